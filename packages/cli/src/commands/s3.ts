/**
 * `strongroom s3 cp <local|-> s3://bucket/key` and back: encrypted on the way up with
 * EncryptedS3Client (Amazon S3 Encryption Client V3 format, multipart for large files, bounded
 * memory), decrypted on the way down (./s3-download.ts: any size into a file, authenticated before
 * the file gets its name). Progress bars on a TTY.
 */
import { EncryptedS3Client, type EncryptedS3ClientConfig } from '@strongroom/s3';
import { parseContext, parseS3Url } from '../args';
import { s3ClientFor } from '../clients';
import { UsageError } from '../exit';
import { createProgress } from '../progress';
import { parseKeyUri } from '../key-uri';
import { keyProviderFromUri } from '../providers';
import type { CliContext } from './context';
import { openInput } from './crypt';
import { downloadObject } from './s3-download';

export interface S3CpOptions {
  key: string;
  context?: string[];
  keyFile?: string;
  partSize?: number;
}

export async function runS3Cp(ctx: CliContext, source: string, destination: string, o: S3CpOptions): Promise<void> {
  const src = parseS3Url(source);
  const dst = parseS3Url(destination);
  if (src && dst) throw new UsageError('s3 cp: copy between a local file and S3 (s3 → s3 is not supported)');
  if (!src && !dst) throw new UsageError('s3 cp: one side must be s3://bucket/key');
  const config = ctx.config();
  const encryptionContext = parseContext(o.context);
  const kind = parseKeyUri(o.key).kind;
  if (Object.keys(encryptionContext).length > 0 && kind !== 'kms' && kind !== 'cks') {
    // S3EC objects bind an encryption context only through KMS (kms+context); the AES/GCM wrap of
    // raw and HSM keys has no place for it, so accepting it would promise a check that never happens.
    throw new UsageError(`--context needs a kms:// or cks:// key in the S3 object format (${kind}:// keys wrap with AES/GCM, which cannot bind it)`);
  }
  const opened = await keyProviderFromUri(o.key, { config, rawKeyFile: o.keyFile, abortSignal: ctx.signal });
  const client = s3ClientFor(config.s3);
  try {
    const base: EncryptedS3ClientConfig = { client, keyProvider: opened.provider, ...(opened.kmsKeyArn ? { kmsKeyIds: [opened.kmsKeyArn] } : {}) };
    const s3 = new EncryptedS3Client(base);
    if (dst) {
      const input = openInput(source, 'plaintext');
      const progress = createProgress(`upload s3://${dst.bucket}/${dst.key}`, input.size);
      const upload = s3.upload({
        Bucket: dst.bucket,
        Key: dst.key,
        Body: input.stream,
        encryptionContext,
        abortSignal: ctx.signal,
        ...(o.partSize ? { partSize: o.partSize } : {}),
      });
      upload.on('httpUploadProgress', (p: { loaded?: number; total?: number }) => progress.set(p.loaded ?? 0, p.total));
      try {
        await upload.done();
      } finally {
        progress.stop();
      }
    } else {
      const from = src!;
      const streaming = new EncryptedS3Client({ ...base, delayedAuthentication: true });
      await downloadObject({ bucket: from.bucket, key: from.key, destination, encryptionContext, signal: ctx.signal, buffered: s3, streaming });
    }
  } finally {
    client.destroy();
    await opened.close();
  }
}
