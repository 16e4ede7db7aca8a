/**
 * KmsRsaKeyProvider against kms-local through the real @aws-sdk/client-kms: no KMS request on
 * encrypt (counted at the server), one Decrypt per message, the key id never taken from the
 * message, the encryption context bound by the digest inside the wrap, signing suites refused,
 * and typed errors for wrong keys, algorithms and KMS failures.
 */
import { CreateKeyCommand, DisableKeyCommand, EnableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { createClient, createDataKeyCache, getSuite, StrongroomError, type EncryptedDataKey } from '@strongroom/core';
import type { KmsServer } from '@strongroom/kms-local';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsRsaKeyProvider, type KmsClientLike, type KmsRsaEncryptionAlgorithm } from '../src/index';
import { CREDENTIALS, createKeyArn, createRsaKey, startKms } from './helpers';

const suite = getSuite(0x0478);
const context = { tenant: 'acme', purpose: 'kms-rsa' };
let server: KmsServer;
let client: KMSClient;
let close: () => Promise<void>;
let rsa: { arn: string; publicKey: Uint8Array };
let rsa4096: { arn: string; publicKey: Uint8Array };
let otherRsa: { arn: string; publicKey: Uint8Array };

beforeAll(async () => {
  ({ server, client, close } = await startKms());
  rsa = await createRsaKey(client);
  rsa4096 = await createRsaKey(client, 'RSA_4096');
  otherRsa = await createRsaKey(client);
});
afterAll(async () => close?.());

const clientProvider = () => client;
const producer = (key: { arn: string; publicKey: Uint8Array }, encryptionAlgorithm: KmsRsaEncryptionAlgorithm = 'RSAES_OAEP_SHA_256') =>
  // A client is configured, so any request it made would be counted at the server.
  KmsRsaKeyProvider({ keyId: key.arn, encryptionAlgorithm, publicKey: key.publicKey, clientProvider });
const consumer = (arn: string, encryptionAlgorithm: KmsRsaEncryptionAlgorithm = 'RSAES_OAEP_SHA_256') =>
  KmsRsaKeyProvider({ keyId: arn, encryptionAlgorithm, clientProvider });
const codeOf = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  return StrongroomError.isInstance(e) ? e.code : `not a StrongroomError: ${String(e)}`;
};

describe('KmsRsaKeyProvider: encrypt offline, decrypt with KMS', () => {
  for (const algorithm of ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] as const) {
    it(`${algorithm}: encrypting 5 messages makes no KMS request; decrypting them makes one Decrypt each`, async () => {
      for (const key of [rsa, rsa4096]) {
        const writer = createClient({ keyProvider: producer(key, algorithm) });
        server.resetRequestCounts();
        const messages = [];
        for (let i = 0; i < 5; i++) messages.push((await writer.encrypt(`message ${i}`, { encryptionContext: context })).ciphertext);
        expect(server.requestCounts).toEqual({});
        const reader = createClient({ keyProvider: consumer(key.arn, algorithm) });
        for (const [i, m] of messages.entries()) {
          const { plaintext, header } = await reader.decrypt(m, { expectedEncryptionContext: context });
          expect(new TextDecoder().decode(plaintext)).toBe(`message ${i}`);
          const [edk] = header.encryptedDataKeys;
          expect(edk!.providerId).toBe('aws-kms-rsa');
          expect(new TextDecoder().decode(edk!.providerInfo)).toBe(key.arn);
          expect(edk!.ciphertext.length).toBe(key === rsa ? 256 : 512);
        }
        expect(server.requestCounts).toEqual({ Decrypt: 5 });
      }
    });
  }

  it('fetchPublicKey: one GetPublicKey for 20 concurrent encrypts, none after', async () => {
    const provider = KmsRsaKeyProvider({ keyId: rsa.arn, encryptionAlgorithm: 'RSAES_OAEP_SHA_1', fetchPublicKey: true, clientProvider });
    expect(await provider.cacheIdentity!('encrypt')).toBeUndefined(); // not known before the fetch
    server.resetRequestCounts();
    const writer = createClient({ keyProvider: provider });
    const out = await Promise.all(Array.from({ length: 20 }, () => writer.encrypt('x', { encryptionContext: context })));
    await writer.encrypt('y');
    expect(server.requestCounts).toEqual({ GetPublicKey: 1 });
    const { plaintext } = await createClient({ keyProvider: consumer(rsa.arn, 'RSAES_OAEP_SHA_1') }).decrypt(out[7]!.ciphertext);
    expect(new TextDecoder().decode(plaintext)).toBe('x');
  });

  it('fetchPublicKey with a publicKey checks it is the key KMS holds: another key is INVALID_ARGUMENT', async () => {
    const wrong = KmsRsaKeyProvider({ keyId: rsa.arn, encryptionAlgorithm: 'RSAES_OAEP_SHA_256', publicKey: otherRsa.publicKey, fetchPublicKey: true, clientProvider });
    expect(await codeOf(wrong.generateDataKey({ suite, encryptionContext: context }))).toBe('INVALID_ARGUMENT');
    const right = KmsRsaKeyProvider({ keyId: rsa.arn, encryptionAlgorithm: 'RSAES_OAEP_SHA_256', publicKey: rsa.publicKey, fetchPublicKey: true, clientProvider });
    expect((await right.generateDataKey({ suite, encryptionContext: context })).plaintextKey).toHaveLength(32);
  });

  it('fetchPublicKey of a signing RSA key or a symmetric key: a typed error naming the key, tried again on the next encrypt', async () => {
    const signing = (await client.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.Arn!;
    const provider = KmsRsaKeyProvider({ keyId: signing, encryptionAlgorithm: 'RSAES_OAEP_SHA_256', fetchPublicKey: true, clientProvider });
    server.resetRequestCounts();
    expect(await codeOf(provider.generateDataKey({ suite, encryptionContext: context }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(provider.generateDataKey({ suite, encryptionContext: context }))).toBe('INVALID_ARGUMENT');
    expect(server.requestCounts).toEqual({ GetPublicKey: 2 });
    // Decrypt with the signing key: KMS InvalidKeyUsageException.
    const { encryptedDataKey } = await producer(rsa).generateDataKey({ suite, encryptionContext: context });
    const relabelled = { ...encryptedDataKey, providerInfo: new TextEncoder().encode(signing) };
    expect(await codeOf(consumer(signing).decryptDataKey({ suite, encryptionContext: context, encryptedDataKey: relabelled }))).toBe('INVALID_ARGUMENT');
    const symmetric = KmsRsaKeyProvider({ keyId: await createKeyArn(client), encryptionAlgorithm: 'RSAES_OAEP_SHA_256', fetchPublicKey: true, clientProvider });
    expect(await codeOf(symmetric.generateDataKey({ suite, encryptionContext: context }))).toBe('UNSUPPORTED');
  });

  it('grant tokens go on GetPublicKey and Decrypt; Decrypt carries the configured key and algorithm and no encryption context', async () => {
    const inputs: { name: string; input: Record<string, unknown> }[] = [];
    const recording: KmsClientLike = {
      send: (command, options) => {
        inputs.push({ name: (command as object).constructor.name, input: (command as { input: Record<string, unknown> }).input });
        return client.send(command as never, options ?? {});
      },
    };
    const options = { keyId: rsa.arn, encryptionAlgorithm: 'RSAES_OAEP_SHA_1' as const, grantTokens: ['grant-1', 'grant-2'], clientProvider: () => recording };
    const { ciphertext } = await createClient({ keyProvider: KmsRsaKeyProvider({ ...options, fetchPublicKey: true }) }).encrypt('granted', { encryptionContext: context });
    await createClient({ keyProvider: KmsRsaKeyProvider(options) }).decrypt(ciphertext);
    expect(inputs.map((i) => i.name)).toEqual(['GetPublicKeyCommand', 'DecryptCommand']);
    expect(inputs[0]!.input).toEqual({ KeyId: rsa.arn, GrantTokens: ['grant-1', 'grant-2'] });
    expect(inputs[1]!.input).toEqual({ KeyId: rsa.arn, CiphertextBlob: expect.any(Uint8Array), EncryptionAlgorithm: 'RSAES_OAEP_SHA_1', GrantTokens: ['grant-1', 'grant-2'] });
  });

  it('fetchPublicKey and abort: a caller that aborts stops waiting (ABORTED); the shared fetch still serves the others', async () => {
    const provider = KmsRsaKeyProvider({ keyId: rsa.arn, encryptionAlgorithm: 'RSAES_OAEP_SHA_256', fetchPublicKey: true, clientProvider });
    const aborted = new AbortController();
    aborted.abort(new Error('stop'));
    server.resetRequestCounts();
    expect(await codeOf(provider.generateDataKey({ suite, encryptionContext: context, abortSignal: aborted.signal }))).toBe('ABORTED');
    expect(server.requestCounts).toEqual({});
    const later = new AbortController();
    const first = provider.generateDataKey({ suite, encryptionContext: context, abortSignal: later.signal });
    const second = provider.generateDataKey({ suite, encryptionContext: context });
    later.abort(new Error('changed my mind'));
    expect(await codeOf(first)).toBe('ABORTED');
    expect((await second).plaintextKey).toHaveLength(32);
    expect(server.requestCounts).toEqual({ GetPublicKey: 1 });
  });

  it('without a public key it cannot encrypt (UNSUPPORTED) and asks KMS nothing', async () => {
    server.resetRequestCounts();
    expect(await codeOf(consumer(rsa.arn).generateDataKey({ suite, encryptionContext: context }))).toBe('UNSUPPORTED');
    expect(server.requestCounts).toEqual({});
  });
});

describe('KmsRsaKeyProvider: attacks on decrypt', () => {
  it("an EDK naming another key the principal can use is not ours: undefined, and KMS is never called with the message's key id", async () => {
    const { encryptedDataKey } = await producer(otherRsa).generateDataKey({ suite, encryptionContext: context });
    server.resetRequestCounts();
    expect(await consumer(rsa.arn).decryptDataKey({ suite, encryptionContext: context, encryptedDataKey })).toBeUndefined();
    // The same ciphertext relabelled with our ARN: KMS is asked with our key, which cannot open it.
    const relabelled = { ...encryptedDataKey, providerInfo: new TextEncoder().encode(rsa.arn) };
    expect(await codeOf(consumer(rsa.arn).decryptDataKey({ suite, encryptionContext: context, encryptedDataKey: relabelled }))).toBe('AUTHENTICATION_FAILED');
    expect(server.requestCounts).toEqual({ Decrypt: 1 });
  });

  it('another encryption context (header swapped, reproduced wrongly): AUTHENTICATION_FAILED after Decrypt, no key returned', async () => {
    const { encryptedDataKey } = await producer(rsa).generateDataKey({ suite, encryptionContext: context });
    for (const other of [{ ...context, tenant: 'evil' }, {}, { ...context, extra: 'x' }]) {
      expect(await codeOf(consumer(rsa.arn).decryptDataKey({ suite, encryptionContext: other, encryptedDataKey }))).toBe('AUTHENTICATION_FAILED');
    }
  });

  it('an EDK whose provider info is not a key ARN (alias ARN, junk, not UTF-8) is MALFORMED and never reaches KMS', async () => {
    const { encryptedDataKey } = await producer(rsa).generateDataKey({ suite, encryptionContext: context });
    const alias = rsa.arn.replace(/key\/.*$/, 'alias/mine');
    server.resetRequestCounts();
    for (const info of [new TextEncoder().encode(alias), new TextEncoder().encode('not-an-arn'), new Uint8Array([0xff, 0xfe])]) {
      const edk: EncryptedDataKey = { ...encryptedDataKey, providerInfo: info };
      expect(await codeOf(consumer(rsa.arn).decryptDataKey({ suite, encryptionContext: context, encryptedDataKey: edk }))).toBe('MALFORMED');
    }
    const empty = { ...encryptedDataKey, ciphertext: new Uint8Array(0) };
    expect(await codeOf(consumer(rsa.arn).decryptDataKey({ suite, encryptionContext: context, encryptedDataKey: empty }))).toBe('MALFORMED');
    expect(server.requestCounts).toEqual({});
  });

  it('the wrong OAEP variant fails as AUTHENTICATION_FAILED (KMS InvalidCiphertextException kept as cause)', async () => {
    const { encryptedDataKey } = await producer(rsa, 'RSAES_OAEP_SHA_256').generateDataKey({ suite, encryptionContext: context });
    const err = await consumer(rsa.arn, 'RSAES_OAEP_SHA_1').decryptDataKey({ suite, encryptionContext: context, encryptedDataKey }).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err, 'AUTHENTICATION_FAILED')).toBe(true);
    expect((err as StrongroomError).cause).toMatchObject({ name: 'InvalidCiphertextException' });
  });

  it('a KMS answer for another key is refused (PROVIDER_ERROR), even when it carries a plaintext', async () => {
    const { encryptedDataKey } = await producer(rsa).generateDataKey({ suite, encryptionContext: context });
    // A lying endpoint: the real kms-local answer with KeyId rewritten.
    const lying: KmsClientLike = {
      send: async (command, options) => ({ ...((await client.send(command as never, options ?? {})) as object), KeyId: otherRsa.arn }),
    };
    const provider = KmsRsaKeyProvider({ keyId: rsa.arn, encryptionAlgorithm: 'RSAES_OAEP_SHA_256', clientProvider: () => lying });
    expect(await codeOf(provider.decryptDataKey({ suite, encryptionContext: context, encryptedDataKey }))).toBe('PROVIDER_ERROR');
  });

  it('multi-Region keys: an EDK naming the key in another Region is decrypted with the configured replica', async () => {
    const mrk = await createRsaKey(client, 'RSA_2048', true);
    const elsewhere = mrk.arn.replace(`:${server.region}:`, ':eu-west-1:');
    const { plaintextKey, encryptedDataKey } = await producer({ arn: elsewhere, publicKey: mrk.publicKey }).generateDataKey({ suite, encryptionContext: context });
    expect(new TextDecoder().decode(encryptedDataKey.providerInfo)).toBe(elsewhere);
    expect(await consumer(mrk.arn).decryptDataKey({ suite, encryptionContext: context, encryptedDataKey })).toEqual(plaintextKey);
    // A single-Region key in another Region is another key.
    const { encryptedDataKey: single } = await producer({ arn: rsa.arn.replace(`:${server.region}:`, ':eu-west-1:'), publicKey: rsa.publicKey }).generateDataKey({
      suite,
      encryptionContext: context,
    });
    expect(await consumer(rsa.arn).decryptDataKey({ suite, encryptionContext: context, encryptedDataKey: single })).toBeUndefined();
  });
});

describe('KmsRsaKeyProvider: suites, configuration and KMS errors', () => {
  it('refuses signing suites both ways (UNSUPPORTED) without a KMS request', async () => {
    const signed = getSuite(0x0578);
    server.resetRequestCounts();
    expect(await codeOf(producer(rsa).generateDataKey({ suite: signed, encryptionContext: context }))).toBe('UNSUPPORTED');
    expect(await codeOf(createClient({ keyProvider: producer(rsa), suite: 0x0578 }).encrypt('x'))).toBe('UNSUPPORTED');
    const { encryptedDataKey } = await producer(rsa).generateDataKey({ suite, encryptionContext: context });
    expect(await codeOf(consumer(rsa.arn).decryptDataKey({ suite: signed, encryptionContext: context, encryptedDataKey }))).toBe('UNSUPPORTED');
    expect(server.requestCounts).toEqual({});
  });

  it('typed errors for a configuration that cannot work', () => {
    const rsaPem = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ type: 'spki', format: 'pem' });
    const bad: [string, () => unknown][] = [
      ['alias', () => KmsRsaKeyProvider({ keyId: 'alias/rsa', encryptionAlgorithm: 'RSAES_OAEP_SHA_256' })],
      ['alias ARN', () => KmsRsaKeyProvider({ keyId: rsa.arn.replace(/key\/.*$/, 'alias/rsa'), encryptionAlgorithm: 'RSAES_OAEP_SHA_256' })],
      ['bare key id', () => KmsRsaKeyProvider({ keyId: rsa.arn.split('/')[1]!, encryptionAlgorithm: 'RSAES_OAEP_SHA_256' })],
      ['symmetric algorithm', () => KmsRsaKeyProvider({ keyId: rsa.arn, encryptionAlgorithm: 'SYMMETRIC_DEFAULT' as never })],
      ['EC key', () => KmsRsaKeyProvider({ keyId: rsa.arn, encryptionAlgorithm: 'RSAES_OAEP_SHA_1', publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey })],
      ['RSA-PSS key', () => KmsRsaKeyProvider({ keyId: rsa.arn, encryptionAlgorithm: 'RSAES_OAEP_SHA_1', publicKey: generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey })],
      ['1024-bit RSA', () => KmsRsaKeyProvider({ keyId: rsa.arn, encryptionAlgorithm: 'RSAES_OAEP_SHA_1', publicKey: rsaPem(1024) })],
      ['2560-bit RSA (no KMS key spec)', () => KmsRsaKeyProvider({ keyId: rsa.arn, encryptionAlgorithm: 'RSAES_OAEP_SHA_1', publicKey: rsaPem(2560) })],
      [
        'a private key',
        () =>
          KmsRsaKeyProvider({
            keyId: rsa.arn,
            encryptionAlgorithm: 'RSAES_OAEP_SHA_1',
            publicKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
          }),
      ],
      ['junk DER', () => KmsRsaKeyProvider({ keyId: rsa.arn, encryptionAlgorithm: 'RSAES_OAEP_SHA_1', publicKey: new Uint8Array(300) })],
    ];
    for (const [what, make] of bad) {
      let err: unknown;
      try {
        make();
      } catch (e) {
        err = e;
      }
      expect(StrongroomError.isInstance(err, 'INVALID_ARGUMENT'), what).toBe(true);
    }
  });

  it('a disabled key is KEY_UNAVAILABLE; a wrong secret is ACCESS_DENIED (AWS error kept as cause)', async () => {
    const { encryptedDataKey } = await producer(rsa).generateDataKey({ suite, encryptionContext: context });
    await client.send(new DisableKeyCommand({ KeyId: rsa.arn }));
    try {
      expect(await codeOf(consumer(rsa.arn).decryptDataKey({ suite, encryptionContext: context, encryptedDataKey }))).toBe('KEY_UNAVAILABLE');
    } finally {
      await client.send(new EnableKeyCommand({ KeyId: rsa.arn }));
    }
    const intruder = new KMSClient({ endpoint: server.endpoint, region: server.region, credentials: { ...CREDENTIALS, secretAccessKey: 'wrong' }, maxAttempts: 1 });
    try {
      const provider = KmsRsaKeyProvider({ keyId: rsa.arn, encryptionAlgorithm: 'RSAES_OAEP_SHA_256', clientProvider: () => intruder, retry: { maxAttempts: 1 } });
      expect(await codeOf(provider.decryptDataKey({ suite, encryptionContext: context, encryptedDataKey }))).toBe('ACCESS_DENIED');
    } finally {
      intruder.destroy();
    }
  });

  it('cache identity: encrypt is per instance (a public key is no credential); decrypt names key, algorithm, endpoint and principal', async () => {
    const [a, b] = [producer(rsa), producer(rsa)];
    const [ea, eb] = [await a.cacheIdentity!('encrypt'), await b.cacheIdentity!('encrypt')];
    expect(ea).toBeTypeOf('string');
    expect(ea).not.toBe(eb);
    expect(await consumer(rsa.arn).cacheIdentity!('decrypt')).toBe(await consumer(rsa.arn).cacheIdentity!('decrypt'));
    expect(await consumer(rsa.arn).cacheIdentity!('decrypt')).not.toBe(await consumer(otherRsa.arn).cacheIdentity!('decrypt'));
    expect(await consumer(rsa.arn, 'RSAES_OAEP_SHA_1').cacheIdentity!('decrypt')).not.toBe(await consumer(rsa.arn).cacheIdentity!('decrypt'));
    // Two public-key-only producers behind one cache and partition: A's second message reuses A's
    // cached data key (same EDK bytes), B never receives it.
    const shared = { cache: createDataKeyCache(), cachePartition: 'shared' };
    const edkOf = (m: { header: { encryptedDataKeys: readonly EncryptedDataKey[] } }) => Buffer.from(m.header.encryptedDataKeys[0]!.ciphertext).toString('hex');
    const [writerA, writerB] = [createClient({ keyProvider: a, ...shared }), createClient({ keyProvider: b, ...shared })];
    const [a1, a2, b1] = [await writerA.encrypt('A', { encryptionContext: context }), await writerA.encrypt('A', { encryptionContext: context }), await writerB.encrypt('B', { encryptionContext: context })];
    expect(edkOf(a2)).toBe(edkOf(a1));
    expect(edkOf(b1)).not.toBe(edkOf(a1));
  });
});
