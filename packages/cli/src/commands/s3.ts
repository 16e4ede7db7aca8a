/**
 * `strongroom s3 cp <local|-> s3://bucket/key` and back. Uploads write framed objects by default
 * (an AWS Encryption SDK message bound to its bucket and key, docs/s3.md#framed-objects), or the
 * Amazon S3 Encryption Client V3/V2 formats with `--format`; parts are sealed and uploaded
 * `--concurrency` at a time in bounded memory. Downloads read every format (./s3-download.ts):
 * framed objects through concurrent verified ranged GETs, V2/V3 objects into a file at any size,
 * authenticated before the file gets its name. Progress bars on a TTY.
 */
import { EncryptedS3Client, type EncryptedS3ClientConfig } from '@strongroom/s3';
import { parseContext, parseS3Url } from '../args';
import { s3ClientFor } from '../s3-client';
import { UsageError } from '../exit';
import { createProgress } from '../progress';
import { parseKeyUri } from '../key-uri';
import { keyProviderFromUri } from '../providers';
import type { CliContext } from './context';
import { openInput } from './crypt';
import { downloadObject } from './s3-download';

/** Object formats `s3 cp` writes. */
export const S3_FORMATS = ['framed', 'v3', 'v2'] as const;
export type S3Format = (typeof S3_FORMATS)[number];

export interface S3CpOptions {
  key: string;
  context?: string[];
  keyFile?: string;
  partSize?: number;
  /** Written format; default framed. */
  format?: string;
  /** Parts uploaded (default 2), or ranged GETs of a framed download (default 4), at once. */
  concurrency?: string;
}

const MiB = 1024 * 1024;
/**
 * Defaults sized so that a transfer of any size stays well under 64 MiB of memory growth
 * (packages/cli/test/s3-cp-large.test.ts measures it with a 1 GiB object): uploads hold about
 * (concurrency + 1) × part size, downloads concurrency × part size, plus garbage not yet collected.
 * 5 MiB is S3's smallest part but the last; with S3's 10,000 parts that covers 48 GiB, and a larger
 * input of known size gets larger parts.
 */
export const S3_CP_DEFAULTS = { uploadPartSize: 5 * MiB, uploadConcurrency: 2, downloadPartSize: 2 * MiB, downloadConcurrency: 4 } as const;
const MAX_PARTS = 10_000;
/** Framed parts carry whole 64 KiB frames (the default frame length), so part sizes are multiples of it. */
const FRAME = 64 * 1024;

/** The upload part size: `--part-size`, else the default, raised for inputs too large for 10,000 parts. */
export function uploadPartSize(explicit: number | undefined, inputSize: number | undefined): number {
  if (explicit !== undefined) return explicit;
  const needed = inputSize === undefined ? 0 : Math.ceil(inputSize / MAX_PARTS / FRAME) * FRAME;
  return Math.max(S3_CP_DEFAULTS.uploadPartSize, needed);
}

/** `--format`: framed (default), v3 or v2. */
export function parseFormat(value: string | undefined): S3Format {
  if (value === undefined) return 'framed';
  if (!(S3_FORMATS as readonly string[]).includes(value)) throw new UsageError(`--format ${JSON.stringify(value.slice(0, 20))}: expected framed, v3 or v2`);
  return value as S3Format;
}

/** `--concurrency`: 1 … 64 (default: `fallback`). */
export function parseConcurrency(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = /^\d{1,2}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= 64)) throw new UsageError(`--concurrency ${JSON.stringify(value.slice(0, 20))}: expected a whole number from 1 to 64`);
  return n;
}

/** Whether the key's S3EC wrap can bind an encryption context (kms+context); framed objects always can. */
const kmsWrapped = (kind: string) => kind === 'kms' || kind === 'cks';

export async function runS3Cp(ctx: CliContext, source: string, destination: string, o: S3CpOptions): Promise<void> {
  const src = parseS3Url(source);
  const dst = parseS3Url(destination);
  if (src && dst) throw new UsageError('s3 cp: copy between a local file and S3 (s3 → s3 is not supported)');
  if (!src && !dst) throw new UsageError('s3 cp: one side must be s3://bucket/key');
  const format = parseFormat(o.format);
  if (src && o.format !== undefined) throw new UsageError('--format applies to uploads; downloads read every format');
  const concurrency = parseConcurrency(o.concurrency, dst ? S3_CP_DEFAULTS.uploadConcurrency : S3_CP_DEFAULTS.downloadConcurrency);
  const config = ctx.config();
  const encryptionContext = parseContext(o.context);
  const kind = parseKeyUri(o.key).kind;
  const hasContext = Object.keys(encryptionContext).length > 0;
  if (dst && hasContext && format !== 'framed' && !kmsWrapped(kind)) {
    // S3EC objects bind an encryption context only through KMS (kms+context); the AES/GCM wrap of
    // raw and HSM keys has no place for it, so accepting it would promise a check that never happens.
    throw new UsageError(`--context with --format ${format} needs a kms:// or cks:// key (${kind}:// keys wrap with AES/GCM, which cannot bind it); framed objects bind it with any key`);
  }
  const opened = await keyProviderFromUri(o.key, { config, rawKeyFile: o.keyFile, abortSignal: ctx.signal });
  const client = s3ClientFor(config.s3);
  try {
    const base: EncryptedS3ClientConfig = { client, keyProvider: opened.provider, ...(opened.kmsKeyArn ? { kmsKeyIds: [opened.kmsKeyArn] } : {}) };
    if (dst) {
      const s3 = new EncryptedS3Client({ ...base, format });
      const input = openInput(source, 'plaintext');
      const progress = createProgress(`upload s3://${dst.bucket}/${dst.key}`, input.size);
      const upload = s3.upload({
        Bucket: dst.bucket,
        Key: dst.key,
        Body: input.stream,
        encryptionContext,
        abortSignal: ctx.signal,
        queueSize: concurrency,
        partSize: uploadPartSize(o.partSize, input.size),
      });
      upload.on('httpUploadProgress', (p: { loaded?: number; total?: number }) => progress.set(p.loaded ?? 0, p.total));
      try {
        await upload.done();
      } finally {
        progress.stop();
      }
    } else {
      const from = src!;
      await downloadObject({
        bucket: from.bucket,
        key: from.key,
        destination,
        encryptionContext,
        signal: ctx.signal,
        concurrency,
        partSize: o.partSize ?? S3_CP_DEFAULTS.downloadPartSize,
        buffered: new EncryptedS3Client(base),
        streaming: new EncryptedS3Client({ ...base, delayedAuthentication: true }),
        // --context on a V2/V3 object under a raw or HSM key: the library refuses it (ENCRYPTION_CONTEXT),
        // as its wrap stores no context to check, before any byte is written.
      });
    }
  } finally {
    client.destroy();
    await opened.close();
  }
}
