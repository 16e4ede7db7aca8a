/**
 * What marks a multipart upload as started by a Strongroom client, for both entries: the upload's
 * metadata (`x-amz-meta-x-strongroom-upload`) and the name and body of its marker object
 * `<key>.strongroom-upload.<id>`, id = the first 16 hex digits of SHA-256 (FIPS 180-4) of the UploadId
 * (./upload-marker.ts explains why; S3 ListMultipartUploads:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html).
 */

/** Metadata (without `x-amz-meta-`) on every multipart upload this client starts. */
export const UPLOAD_METADATA = 'x-strongroom-upload';
/** Marker objects are named `<key>` + this + id. */
export const UPLOAD_MARKER_INFIX = '.strongroom-upload.';

export function uploadMetadata(): Record<string, string> {
  return { [UPLOAD_METADATA]: '1' };
}

/** The marker's key, given the SHA-256 of the UploadId in hex. */
export function markerKeyFromDigest(key: string | undefined, uploadIdSha256Hex: string): string {
  return `${key}${UPLOAD_MARKER_INFIX}${uploadIdSha256Hex.slice(0, 16)}`;
}

/** The marker object's JSON body. */
export function markerBody(key: string | undefined, uploadId: string): string {
  return JSON.stringify({ v: 1, key, uploadId, started: new Date().toISOString() });
}
