/**
 * Tampering across providers and formats (issue 9), filling the gaps left by the package suites
 * (core: every bit flip / truncation of ESDK messages and an EDK swap with a raw AES key; s3: every
 * content byte and envelope field; hsm-local: sealed state files):
 *
 * - ESDK messages under each real backend (raw AES, KMS via kms-local, HSM via an hsm-local node):
 *   the encrypted data key of another message, or the encryption context of another message, is
 *   refused; every bit flip of the EDK itself is refused by the backend.
 * - kms-local ciphertext blobs: every bit flip and every truncation is refused by Decrypt over HTTP,
 *   and a blob decrypts only under the encryption context it was made with.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { createClient, parseHeader, RawAesKeyProvider, serializeHeaderBody, StrongroomError, type KeyProvider } from '@strongroom/core';
import { startKmsServer, type KmsServer } from '@strongroom/kms-local';
import { connectHsmCluster, HsmKeyProvider, type HsmClusterClient } from '@strongroom/provider-hsm';
import { KmsKeyProvider } from '@strongroom/provider-kms';
import { startHsmCluster, type LocalHsmCluster } from '@strongroom/testing/servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'strongroom-tamper-'));
let kms: KmsServer;
let kmsClient: KMSClient;
let keyArn: string;
let cluster: LocalHsmCluster;
let hsm: HsmClusterClient;
const providers: Record<string, () => KeyProvider> = {};

beforeAll(async () => {
  kms = await startKmsServer({ dataDir: join(dir, 'kms') });
  kmsClient = new KMSClient({ endpoint: kms.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
  keyArn = (await kmsClient.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
  cluster = await startHsmCluster({ azs: ['us-east-1a'] });
  hsm = await connectHsmCluster({ nodes: [{ url: cluster.urls[0]! }], trustAnchor: cluster.info.trustAnchor, clientCert: cluster.info.clientCert, ...cluster.cryptoUser, keyAvailability: 1 });
  await hsm.generateAesKey({ label: 'tamper-kek', bits: 256 });
  providers['raw AES'] = () => RawAesKeyProvider({ namespace: 'tamper', name: 'k', key: Buffer.alloc(32, 9) });
  providers['KMS (kms-local)'] = () => KmsKeyProvider({ generatorKeyId: keyArn, clientProvider: () => kmsClient });
  providers['HSM (hsm-local)'] = () => HsmKeyProvider({ backend: hsm, keyLabel: 'tamper-kek' });
}, 60_000);

afterAll(async () => {
  await hsm?.close();
  await cluster?.stopAll();
  kmsClient?.destroy();
  await kms?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function refused(run: () => Promise<unknown>): Promise<string> {
  const e = await run().then(() => undefined, (x: unknown) => x);
  if (e === undefined) return 'ACCEPTED';
  return StrongroomError.isInstance(e) ? e.code : `untyped ${String(e)}`;
}

/** Rebuild message `a` with header fields taken from `b` (the rest of `a` unchanged). */
function splice(a: Uint8Array, b: Uint8Array, take: 'encryptedDataKeys' | 'encryptionContext'): Buffer {
  const ha = parseHeader(a, { maxEncryptedDataKeys: 10 })!;
  const hb = parseHeader(b, { maxEncryptedDataKeys: 10 })!;
  const body = serializeHeaderBody({ ...ha.header, [take]: hb.header[take] });
  return Buffer.concat([body, Buffer.from(a).subarray(ha.headerBody.length)]);
}

describe.each(['raw AES', 'KMS (kms-local)', 'HSM (hsm-local)'])('ESDK messages under %s', (name) => {
  it('the encrypted data key or the encryption context of another message is refused', async () => {
    const client = createClient({ keyProvider: providers[name]!(), frameLength: 64 });
    const a = (await client.encrypt('message A '.repeat(20), { encryptionContext: { object: 'a' } })).ciphertext;
    const b = (await client.encrypt('message B '.repeat(20), { encryptionContext: { object: 'b' } })).ciphertext;
    const sameCtx = (await client.encrypt('message C '.repeat(20), { encryptionContext: { object: 'a' } })).ciphertext;
    expect(await refused(() => client.decrypt(splice(a, b, 'encryptedDataKeys')))).not.toBe('ACCEPTED');
    expect(await refused(() => client.decrypt(splice(a, sameCtx, 'encryptedDataKeys')))).not.toBe('ACCEPTED'); // same context, other key
    expect(await refused(() => client.decrypt(splice(a, b, 'encryptionContext')))).not.toBe('ACCEPTED');
    // and every refusal is typed
    for (const m of [splice(a, b, 'encryptedDataKeys'), splice(a, sameCtx, 'encryptedDataKeys'), splice(a, b, 'encryptionContext')]) {
      expect(await refused(() => client.decrypt(m))).not.toMatch(/^untyped|ACCEPTED/);
    }
    expect((await client.decrypt(a)).plaintext.length).toBe(200); // the untouched message still opens
  });

  it('every bit flip of the encrypted data key (provider info and wrapped key) is refused', async () => {
    const provider = providers[name]!();
    const client = createClient({ keyProvider: provider });
    const m = (await client.encrypt('x', { encryptionContext: { object: 'flip' } })).ciphertext;
    const h = parseHeader(m, { maxEncryptedDataKeys: 10 })!;
    const edk = h.header.encryptedDataKeys[0]!;
    const rest = Buffer.from(m).subarray(h.headerBody.length);
    const outcomes: Record<string, number> = {};
    let flips = 0;
    for (const field of ['providerInfo', 'ciphertext'] as const) {
      const bytes = edk[field];
      // KMS blobs are long: flip every bit of the first 64 bytes and of the last 32 (header, IV, tag).
      const positions = [...Array(bytes.length).keys()].filter((i) => bytes.length <= 96 || i < 64 || i >= bytes.length - 32);
      for (const i of positions) {
        for (let bit = 0; bit < 8; bit++) {
          const t = Buffer.from(bytes);
          t[i]! ^= 1 << bit;
          const body = serializeHeaderBody({ ...h.header, encryptedDataKeys: [{ ...edk, [field]: t }] });
          const code = await refused(() => client.decrypt(Buffer.concat([body, rest])));
          outcomes[code] = (outcomes[code] ?? 0) + 1;
          flips++;
        }
      }
    }
    console.log(`${name}: ${flips} EDK bit flips → ${JSON.stringify(outcomes)}`);
    expect(outcomes.ACCEPTED ?? 0).toBe(0);
    expect(Object.keys(outcomes).filter((c) => c.startsWith('untyped'))).toEqual([]);
  }, 120_000);
});

describe('kms-local ciphertext blobs over HTTP', () => {
  it('every bit flip and every truncation is refused; the blob opens only under its own encryption context', async () => {
    const { CiphertextBlob } = await kmsClient.send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('kms secret'), EncryptionContext: { object: 'a' } }));
    const blob = Buffer.from(CiphertextBlob!);
    const decrypt = (b: Uint8Array, ctx: Record<string, string> = { object: 'a' }) =>
      kmsClient.send(new DecryptCommand({ CiphertextBlob: b, EncryptionContext: ctx })).then(() => 'ACCEPTED', (e: { name: string }) => e.name);
    expect(await decrypt(blob)).toBe('ACCEPTED');
    const outcomes: Record<string, number> = {};
    const count = (n: string) => (outcomes[n] = (outcomes[n] ?? 0) + 1);
    for (let i = 0; i < blob.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const t = Buffer.from(blob);
        t[i]! ^= 1 << bit;
        count(await decrypt(t));
      }
    }
    for (let n = 0; n < blob.length; n++) count(await decrypt(blob.subarray(0, n)));
    console.log(`kms-local blob: ${blob.length * 8} bit flips + ${blob.length} truncations → ${JSON.stringify(outcomes)}`);
    expect(outcomes.ACCEPTED ?? 0).toBe(0);
    expect(await decrypt(blob, { object: 'b' })).not.toBe('ACCEPTED');
    expect(await decrypt(blob, {})).not.toBe('ACCEPTED');
  }, 120_000);
});
