/**
 * `strongroom s3 rewrap s3://bucket/key --key <current> --to <new>`: re-wrap an encrypted object's
 * data key under another key without downloading or rewriting its body (key rotation), through
 * `EncryptedS3Client.rewrapObject` — a server-side self-copy with the new envelope
 * (CopyObject with MetadataDirective REPLACE and CopySourceIfMatch:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
 */
import { EncryptedS3Client } from '@strongroom/s3';
import { parseContext, parseS3Url } from '../args';
import { s3ClientFor } from '../s3-client';
import { UsageError } from '../exit';
import { parseKeyUri } from '../key-uri';
import { keyProviderFromUri, type OpenedProvider } from '../providers';
import type { CliContext } from './context';

export interface S3RewrapOptions {
  key: string;
  to: string;
  context?: string[];
  toContext?: string[];
  keyFile?: string;
  toKeyFile?: string;
}

const bindsContext = (uri: string) => ['kms', 'cks'].includes(parseKeyUri(uri).kind);

export async function runS3Rewrap(ctx: CliContext, target: string, o: S3RewrapOptions): Promise<void> {
  const loc = parseS3Url(target);
  if (!loc) throw new UsageError('s3 rewrap: expected s3://bucket/key');
  const encryptionContext = parseContext(o.context);
  const toEncryptionContext = o.toContext === undefined ? undefined : parseContext(o.toContext);
  // S3EC objects bind a context only through KMS (kms+context): refuse a promise that cannot be kept.
  if (Object.keys(encryptionContext).length > 0 && !bindsContext(o.key)) throw new UsageError('--context needs a kms:// or cks:// --key (other keys cannot bind a context in the S3 object format)');
  if (toEncryptionContext && Object.keys(toEncryptionContext).length > 0 && !bindsContext(o.to)) throw new UsageError('--to-context needs a kms:// or cks:// --to key');
  const config = ctx.config();
  const opened: OpenedProvider[] = [];
  const client = s3ClientFor(config.s3);
  try {
    const from = await keyProviderFromUri(o.key, { config, rawKeyFile: o.keyFile, abortSignal: ctx.signal });
    opened.push(from);
    const to = await keyProviderFromUri(o.to, { config, rawKeyFile: o.toKeyFile ?? o.keyFile, abortSignal: ctx.signal });
    opened.push(to);
    const kmsKeyIds = [from.kmsKeyArn, to.kmsKeyArn].filter((x): x is string => x !== undefined);
    const s3 = new EncryptedS3Client({ client, keyProviders: [to.provider, from.provider], kmsKeyIds });
    const r = await s3.rewrapObject(
      { Bucket: loc.bucket, Key: loc.key, toProvider: to.provider, ...(toEncryptionContext ? { toEncryptionContext } : {}) },
      { encryptionContext, abortSignal: ctx.signal },
    );
    const where = { metadata: 'object metadata', 'instruction-file': 'instruction file', header: 'message header' }[r.envelopeLocation];
    const body = r.format === 'framed' ? 'the frames were copied server-side' : 'the body was not rewritten';
    ctx.print(`re-wrapped s3://${loc.bucket}/${loc.key}: ${r.fromWrapAlgorithm} → ${r.toWrapAlgorithm} (${r.format}, wrapped key in the ${where}); ${body}`);
  } finally {
    client.destroy();
    for (const p of opened) await p.close();
  }
}
