/**
 * `@strongroom/s3` for browsers, workers, Deno and Cloudflare Workers (the `browser`, `worker`,
 * `workerd`, `deno` and `default` export conditions): `EncryptedS3Client` over core's web entry (Web
 * Crypto, WHATWG streams), writing and reading the same objects as the Node entry — framed (AWS
 * Encryption SDK messages, streamed frame by frame), V3 and V2 (Amazon S3 Encryption Client formats,
 * s3-encryption/data-format/content-metadata.md); framed objects also by range and through download()
 * (verified concurrent ranged GETs). No Node import (the build checks). See README.md, "The web entry",
 * for what stays on Node.
 *
 * @module \@strongroom/s3 (web)
 */
export { EncryptedS3Client, type S3Command } from './web-encrypted-s3-client';
export type { EncryptedS3ClientConfig, EncryptedSendOptions, CommitmentPolicy } from './options';
export { DEFAULT_BUFFER_SIZE, DEFAULT_FRAMED_FRAME_LENGTH, MAX_FRAMED_FRAME_LENGTH } from './options';
export { DEFAULT_DOWNLOAD_CONCURRENCY, DEFAULT_DOWNLOAD_PART_SIZE, type DownloadParams } from './download-plan';
export { WebEncryptedUpload as EncryptedUpload, WEB_DEFAULT_PART_SIZE as DEFAULT_PART_SIZE, WEB_DEFAULT_QUEUE_SIZE as DEFAULT_QUEUE_SIZE, type WebUploadParams as UploadParams, type WebProgress as Progress } from './web-upload';
export type { WebBody, WebSdkBody, WebSdkStreamMixin } from './web-body';
export { FRAMED_FORMAT_METADATA, FRAMED_FORMAT_VALUE, BINDING_CONTEXT_KEY, BUCKET_CONTEXT_KEY, KEY_CONTEXT_KEY } from './framed-format';
export { UPLOAD_METADATA, UPLOAD_MARKER_INFIX } from './upload-marker-name';
export { parseEnvelope, serializeEnvelope, type Envelope, type FormatVersion, type ContentAlgorithm } from './envelope';
export type { WrapAlgorithm } from './metadata-keys';
