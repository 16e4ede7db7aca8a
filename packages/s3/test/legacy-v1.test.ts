/**
 * V1 legacy reads: objects written by the Ruby V1 client (`Aws::S3::Encryption::Client`, Debian
 * ruby-aws-sdk-s3) with an AES key (data key wrapped with AES/ECB) and an RSA key (RSA PKCS#1 v1.5),
 * content AES/CBC, envelope in metadata and in an instruction file, through s3rver and Ceph RGW.
 * Strongroom reads them only with both legacy flags and a provider from legacyRawAesKeyProvider /
 * legacyRawRsaKeyProvider; otherwise a typed error names what to set. Padding-oracle hygiene: a
 * wrong key, a bad CBC padding and a bad RSA padding give the same error.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, generateKeyPairSync, publicEncrypt, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { StrongroomError } from '@strongroom/core';
import { EncryptedS3Client, legacyRawAesKeyProvider, legacyRawRsaKeyProvider } from '../src/index';
import { pkcs1Decode32 } from '../src/legacy-v1';
import { AES_KEY, aesProvider, rsaPair, rsaProvider } from './helpers/providers';
import { requireOrSkip, rubyUnavailable, runRuby } from './helpers/ruby';
import { s3Servers } from './helpers/s3-servers';
import type { LocalS3 } from './helpers/s3rver';

const otherPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const available = requireOrSkip(rubyUnavailable(), 'Ruby S3EC V1 interop');
const legacy = { wrappingAlgorithms: true, unauthenticatedModes: true } as const;
const legacyAes = (key: Uint8Array = AES_KEY) => legacyRawAesKeyProvider({ namespace: 's3-test', name: 'aes-1', key });
const legacyRsa = (pair = rsaPair) => legacyRawRsaKeyProvider({ namespace: 's3-test', name: 'rsa-1', publicKey: pair.publicKey, privateKey: pair.privateKey, padding: 'oaep-sha1' });
const bytes = async (b: { transformToByteArray(): Promise<Uint8Array> } | undefined) => Buffer.from(await b!.transformToByteArray());

/** The error a failed legacy decryption gives, whatever failed. */
async function failure(p: Promise<{ Body?: unknown }>): Promise<{ code: string; message: string }> {
  const err = await p.then(async (out) => bytes(out.Body as never)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(StrongroomError.isInstance(err), String(err)).toBe(true);
  return { code: (err as StrongroomError).code, message: (err as Error).message };
}

describe.runIf(available).each(s3Servers('Ruby S3EC V1 interop'))('V1 objects written by Ruby, on %s', (kind, start) => {
  let s3: LocalS3;
  let dir: string;
  let pemFile: string;
  const plaintexts = new Map<string, Buffer>();
  const creds = () => {
    const rgw = inject('rgw');
    return kind === 'rgw' && !('unavailable' in rgw) ? { access_key: rgw.accessKeyId, secret_key: rgw.secretAccessKey } : {};
  };

  beforeAll(async () => {
    s3 = await start();
    dir = mkdtempSync(join(tmpdir(), 'strongroom-ruby-v1-'));
    pemFile = join(dir, 'rsa.pem');
    writeFileSync(pemFile, rsaPair.privateKey.export({ type: 'pkcs1', format: 'pem' }));
    const ops = [];
    for (const wrap of ['aes-v1', 'rsa-v1'] as const) {
      for (const location of ['metadata', 'instruction_file'] as const) {
        for (const size of [0, 37, 1_048_593]) {
          const key = `v1/${wrap}/${location}/${size}`;
          const pt = randomBytes(size);
          plaintexts.set(key, pt);
          const file = join(dir, key.replaceAll('/', '_'));
          writeFileSync(file, pt);
          ops.push({ op: 'put', key, file, wrap, location, ...(wrap === 'aes-v1' ? { aes_key_hex: AES_KEY.toString('hex') } : { rsa_pem_file: pemFile }) });
        }
      }
    }
    const results = await runRuby({ endpoint: s3.endpoint, bucket: s3.bucket, ...creds(), ops });
    for (const r of results) expect(r, r.error).toMatchObject({ ok: true });
    expect(results).toHaveLength(ops.length);
  }, 180_000);
  afterAll(async () => {
    await s3?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('Ruby wrote V1 envelopes: x-amz-key (48 bytes for AES/ECB, the modulus length for RSA), no x-amz-wrap-alg', async () => {
    for (const [key] of plaintexts) {
      if (!key.includes('/metadata/')) continue;
      const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
      expect(head.Metadata?.['x-amz-wrap-alg']).toBeUndefined();
      expect(Buffer.from(head.Metadata!['x-amz-key']!, 'base64').length).toBe(key.includes('aes-v1') ? 48 : 256);
    }
  });

  it('reads every one with both legacy flags and the legacy raw providers', async () => {
    const reader = new EncryptedS3Client({ client: s3.client, keyProviders: [legacyAes(), legacyRsa()], legacy });
    for (const [key, pt] of plaintexts) {
      const got = await reader.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
      expect((await bytes(got.Body)).equals(pt), key).toBe(true);
      expect(got.ContentLength, key).toBe(pt.length);
    }
  });

  it('without a flag or a legacy provider: a typed error that says what to set', async () => {
    const Key = 'v1/aes-v1/metadata/37';
    const noFlags = new EncryptedS3Client({ client: s3.client, keyProvider: legacyAes() });
    await expect(noFlags.getObject({ Bucket: s3.bucket, Key })).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining('legacy.unauthenticatedModes') });
    const cbcOnly = new EncryptedS3Client({ client: s3.client, keyProvider: legacyAes(), legacy: { unauthenticatedModes: true } });
    await expect(cbcOnly.getObject({ Bucket: s3.bucket, Key })).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining('legacy.wrappingAlgorithms') });
    const plain = new EncryptedS3Client({ client: s3.client, keyProviders: [aesProvider(), rsaProvider()], legacy });
    await expect(plain.getObject({ Bucket: s3.bucket, Key })).rejects.toMatchObject({ code: 'NO_DECRYPTION_KEY', message: expect.stringContaining('legacyRawAesKeyProvider') });
  });

  it('a wrong key, a bad CBC padding and a bad RSA padding give the same error', async () => {
    const read = (providers: ReturnType<typeof legacyAes>[], Key: string) =>
      new EncryptedS3Client({ client: s3.client, keyProviders: providers, legacy }).getObject({ Bucket: s3.bucket, Key });
    const wrongAes = await failure(read([legacyAes(Buffer.alloc(32, 1))], 'v1/aes-v1/metadata/37'));

    // The last CBC block modified: its padding no longer verifies under the right key.
    const raw = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'v1/aes-v1/metadata/37' }));
    const body = await bytes(raw.Body);
    body[body.length - 1]! ^= 0x5a;
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'v1/tampered-padding', Body: body, Metadata: raw.Metadata }));
    const badPadding = await failure(read([legacyAes()], 'v1/tampered-padding'));

    // x-amz-key replaced by an RSA ciphertext of a message that is not PKCS#1 padded (raw RSA of random bytes).
    const rawRsa = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'v1/rsa-v1/metadata/37' }));
    const rsaBody = await bytes(rawRsa.Body);
    // Ruby records the plaintext length: a key that is not the writer's (implicit rejection gives a
    // pseudo-random one) fails even when its CBC padding happens to verify, as it does once in 256.
    expect(rawRsa.Metadata!['x-amz-unencrypted-content-length']).toBe('37');
    const notPadded = Buffer.concat([Buffer.of(0), randomBytes(255)]);
    const forged = publicEncrypt({ key: rsaPair.publicKey, padding: constants.RSA_NO_PADDING }, notPadded).toString('base64');
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'v1/bad-rsa-padding', Body: rsaBody, Metadata: { ...rawRsa.Metadata, 'x-amz-key': forged } }));
    const badRsa = await failure(read([legacyRsa()], 'v1/bad-rsa-padding'));
    const wrongRsa = await failure(read([legacyRsa(otherPair)], 'v1/rsa-v1/metadata/37'));

    expect(wrongAes.code).toBe('AUTHENTICATION_FAILED');
    for (const e of [badPadding, badRsa, wrongRsa]) expect(e).toEqual(wrongAes);
  });
});

describe('PKCS#1 v1.5 decoding (implicit rejection)', () => {
  const fallback = Buffer.alloc(32, 0xee);
  const good = () => Buffer.concat([Buffer.of(0, 2), Buffer.alloc(256 - 35, 0x11), Buffer.of(0), Buffer.alloc(32, 0x42)]);
  it('returns the message of a well-formed block', () => {
    expect(pkcs1Decode32(good(), fallback)).toEqual({ key: Buffer.alloc(32, 0x42), ok: true });
  });
  it.each([
    ['first byte not 0', (b: Buffer) => (b[0] = 1)],
    ['block type not 2', (b: Buffer) => (b[1] = 1)],
    ['a zero inside the padding string', (b: Buffer) => (b[100] = 0)],
    ['no separator before a 32-byte message', (b: Buffer) => (b[256 - 33] = 7)],
    ['a zero right after the type byte', (b: Buffer) => (b[2] = 0)],
  ])('%s: the fallback key, not an error', (_what, spoil) => {
    const b = good();
    spoil(b);
    expect(pkcs1Decode32(b, fallback)).toEqual({ key: fallback, ok: false });
  });
});
