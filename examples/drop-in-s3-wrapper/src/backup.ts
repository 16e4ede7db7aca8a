/**
 * drop-in-s3-wrapper: an existing S3 backup script, unchanged. It only needs "something with
 * `send(command)`" — so turning it client-side encrypted is a one-line change where the client is
 * made (see `makeClient` below): `new S3Client(...)` becomes
 * `new EncryptedS3Client({ client: new S3Client(...), keyProvider })`. The commands stay the real
 * `PutObjectCommand` / `GetObjectCommand` / `ListObjectsV2Command`.
 */
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { KeyProvider } from '@strongroom/core';
import { EncryptedS3Client } from '@strongroom/s3';

/** The one thing the script needs from a client. Both S3Client and EncryptedS3Client fit. */
export interface SendsS3Commands {
  send: S3Client['send'];
}

/** The only line that differs between the plain and the encrypted script. */
export function makeClient(config: S3ClientConfig, keyProvider?: KeyProvider): SendsS3Commands {
  const plain = new S3Client(config);
  return keyProvider ? (new EncryptedS3Client({ client: plain, keyProvider }) as unknown as SendsS3Commands) : plain;
}

// ---- the existing script, as it was -------------------------------------------------------

/** Upload every file of `dir` under `prefix/`. */
export async function backupDirectory(s3: SendsS3Commands, bucket: string, dir: string, prefix: string): Promise<string[]> {
  const names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
  for (const name of names) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${name}`, Body: await readFile(join(dir, name)) }));
  }
  return names;
}

/** Download everything under `prefix/` into `dir`. */
export async function restoreDirectory(s3: SendsS3Commands, bucket: string, prefix: string, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/` }));
  const keys = (listed.Contents ?? []).map((o) => o.Key!).filter((k) => !k.endsWith('.instruction')).sort();
  for (const key of keys) {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    await writeFile(join(dir, key.slice(prefix.length + 1)), await out.Body!.transformToByteArray());
  }
  return keys;
}
