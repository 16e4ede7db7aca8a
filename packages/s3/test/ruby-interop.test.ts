/**
 * Interop with the Ruby Amazon S3 Encryption Client V2 (Debian ruby-aws-sdk-s3) through s3rver, both
 * directions: objects Ruby writes decrypt with Strongroom, and V2 objects Strongroom writes decrypt
 * with Ruby. AES/GCM and RSA-OAEP-SHA1 wraps; envelope in metadata and in an instruction file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { EncryptedS3Client } from '../src/index';
import { startS3, type LocalS3 } from './helpers/s3rver';
import { AES_KEY, aesProvider, rsaPair, rsaProvider } from './helpers/providers';
import { requireOrSkip, rubyUnavailable, runRuby } from './helpers/ruby';

const available = requireOrSkip(rubyUnavailable(), 'Ruby S3EC interop');

describe.runIf(available)('Ruby S3 Encryption Client V2 interop', () => {
  let s3: LocalS3;
  let dir: string;
  let pemFile: string;
  beforeAll(async () => {
    s3 = await startS3();
    dir = mkdtempSync(join(tmpdir(), 'strongroom-ruby-'));
    pemFile = join(dir, 'rsa.pem');
    writeFileSync(pemFile, rsaPair.privateKey.export({ type: 'pkcs1', format: 'pem' }));
  });
  afterAll(async () => {
    await s3?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const wraps = ['aes', 'rsa'] as const;
  const locations = ['metadata', 'instruction_file'] as const;
  const sizes = [0, 37, 1_048_593];
  const cases = wraps.flatMap((wrap) => locations.flatMap((location) => sizes.map((size) => ({ wrap, location, size }))));
  const keyMaterial = (wrap: string) => (wrap === 'aes' ? { aes_key_hex: AES_KEY.toString('hex') } : { rsa_pem_file: pemFile });
  const reader = () => new EncryptedS3Client({ client: s3.client, keyProviders: [aesProvider(), rsaProvider()], format: 'v2' });

  it('decrypts objects written by Ruby', async () => {
    const plaintexts = new Map<string, Buffer>();
    const ops = cases.map(({ wrap, location, size }) => {
      const key = `from-ruby/${wrap}/${location}/${size}`;
      const pt = randomBytes(size);
      plaintexts.set(key, pt);
      const file = join(dir, key.replaceAll('/', '_'));
      writeFileSync(file, pt);
      return { op: 'put', key, file, wrap, location, ...keyMaterial(wrap) };
    });
    const results = await runRuby({ endpoint: s3.endpoint, bucket: s3.bucket, ops });
    for (const r of results) expect(r, r.error).toMatchObject({ ok: true });
    expect(results).toHaveLength(ops.length);

    const client = reader();
    for (const [key, pt] of plaintexts) {
      // Ruby really wrote an S3EC V2 envelope where we expect it.
      const rawHead = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
      if (key.includes('/metadata/')) expect(rawHead.Metadata?.['x-amz-key-v2']).toBeDefined();
      else expect(rawHead.Metadata?.['x-amz-key-v2']).toBeUndefined();
      const got = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(pt), key).toBe(true);
      expect(got.ContentLength).toBe(pt.length);
    }
  });

  it('writes V2 objects that Ruby decrypts', async () => {
    const plaintexts = new Map<string, Buffer>();
    const ops = [];
    for (const { wrap, location, size } of cases) {
      const key = `to-ruby/${wrap}/${location}/${size}`;
      const pt = randomBytes(size);
      plaintexts.set(key, pt);
      const writer = new EncryptedS3Client({
        client: s3.client,
        keyProvider: wrap === 'aes' ? aesProvider() : rsaProvider(),
        format: 'v2',
        envelopeLocation: location === 'metadata' ? 'metadata' : 'instruction-file',
      });
      await writer.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: pt }));
      ops.push({ op: 'get', key, file: join(dir, `out_${key.replaceAll('/', '_')}`), wrap, location, ...keyMaterial(wrap) });
    }
    const results = await runRuby({ endpoint: s3.endpoint, bucket: s3.bucket, ops });
    for (const r of results) expect(r, r.error).toMatchObject({ ok: true });
    for (const op of ops) expect(readFileSync(op.file).equals(plaintexts.get(op.key)!), op.key).toBe(true);
  });

  it('Ruby rejects a Strongroom V2 object whose content was tampered with (the check is real)', async () => {
    const key = 'to-ruby/tampered';
    const writer = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider(), format: 'v2' });
    await writer.putObject({ Bucket: s3.bucket, Key: key, Body: randomBytes(100) });
    const raw = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    const body = Buffer.from(await raw.Body!.transformToByteArray());
    body[5]! ^= 1;
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body, Metadata: raw.Metadata }));
    const [r] = await runRuby({ endpoint: s3.endpoint, bucket: s3.bucket, ops: [{ op: 'get', key, file: join(dir, 'tampered'), wrap: 'aes', aes_key_hex: AES_KEY.toString('hex') }] });
    expect(r!.ok).toBe(false);
  });
});
