/**
 * The 440 AWS KMS scenarios of the public ESDK manifest 0003-awses-message-encryption.v2
 * (aws-crypto-tools-test-vector-framework; keys from 0002-keys.v3: alias/EncryptDecrypt and
 * alias/EncryptOnly in account 658956600833, us-west-2) run without AWS: kms-local, seeded with
 * those keys (packages/testing/fixtures/esdk/kms-seed.yaml), on a real socket, in strict SigV4 mode.
 *
 * Both directions, batched per algorithm suite: Strongroom's KmsKeyProvider (the real
 * @aws-sdk/client-kms) encrypts and @aws-crypto/client-node's KmsKeyringNode (its own client from
 * `getClient`) decrypts, and the reverse. As in the framework, the encrypt side names the keys by
 * alias ARN and the decrypt side holds only the decryptable key's ARN (the EDK provider info is
 * always the key ARN, AWS Encryption SDK specification: aws-kms-keyring.md).
 */
import { KMS, KMSClient, DescribeKeyCommand } from '@aws-sdk/client-kms';
import { getClient, KmsKeyringNode } from '@aws-crypto/client-node';
import { CommitmentPolicy, createClient, parseHeader, serializeHeaderBody, StrongroomError } from '@strongroom/core';
import { kmsKeyProviders, KmsKeyProvider } from '@strongroom/provider-kms';
import { loadDecryptGenerationScenarios, loadEncryptScenarios, type EncryptScenario } from '@strongroom/testing';
import { ESDK_KMS_SEED, startKmsLocal, type StartedKmsLocal } from '@strongroom/testing/servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esdkForbid, esdkRequire, esdkSuite } from './helpers';

const kmsScenarios = loadEncryptScenarios().filter((s) => s.masterKeys.some((m) => m.type === 'aws-kms'));
const DECRYPTABLE = 'arn:aws:kms:us-west-2:658956600833:key/b3537ef1-d8dc-4780-9f5a-55776cbb2f7f';
const ENCRYPT_ONLY = 'arn:aws:kms:us-west-2:658956600833:key/590fd781-ddde-4036-abec-3e1ab5a5d2ad';

let kms: StartedKmsLocal;
let esdkKms: KMS;
let sdkClients: Map<string, KMSClient>;
/** Alias ARN (as the keys manifest names it) → key ARN (as DescribeKey on kms-local answers). */
const keyArnOf = new Map<string, string>();

beforeAll(async () => {
  kms = await startKmsLocal({ seed: ESDK_KMS_SEED });
  const config = { endpoint: kms.endpoint, credentials: kms.credentials, maxAttempts: 1 };
  // The ESDK's own client factory, pointed at kms-local; it sets the Region from each key ARN.
  const esdkClientFor = getClient(KMS, config);
  const client = esdkClientFor('us-west-2');
  if (!client) throw new Error('getClient declined us-west-2');
  esdkKms = client;
  sdkClients = new Map();
  for (const mk of kmsScenarios.flatMap((s) => s.masterKeys)) {
    if (keyArnOf.has(mk.key.keyId)) continue;
    const described = await esdkKms.send(new DescribeKeyCommand({ KeyId: mk.key.keyId }));
    keyArnOf.set(mk.key.keyId, described.KeyMetadata!.Arn!);
  }
});
afterAll(async () => {
  esdkKms?.destroy();
  for (const c of sdkClients?.values() ?? []) c.destroy();
  await kms?.close();
});

/** Strongroom's client provider: one real @aws-sdk/client-kms client per Region, at kms-local. */
const strongroomClientFor = (region: string) => {
  let c = sdkClients.get(region);
  if (!c) {
    c = new KMSClient({ region, endpoint: kms.endpoint, credentials: kms.credentials, maxAttempts: 1 });
    sdkClients.set(region, c);
  }
  return c;
};
const esdkClientProvider = () => esdkKms;

function policyFor(suiteId: number) {
  return suiteId >= 0x0478 ? CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT : CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT;
}
const names = (s: EncryptScenario) => s.masterKeys.map((m) => m.key.keyId);
const decryptable = (s: EncryptScenario) => s.masterKeys.filter((m) => m.key.decrypt).map((m) => keyArnOf.get(m.key.keyId)!);

/** Strongroom encrypting for the scenario's keys (generator first, as named: alias ARNs). */
function strongroomEncryptor(s: EncryptScenario) {
  const [generatorKeyId, ...keyIds] = names(s);
  return createClient({
    keyProviders: kmsKeyProviders({ generatorKeyId: generatorKeyId!, keyIds, clientProvider: strongroomClientFor }),
    suite: s.suiteId,
    frameLength: s.frameLength,
    commitmentPolicy: policyFor(s.suiteId),
  });
}
/** Strongroom decrypting with the decryptable key ARNs only. */
function strongroomDecryptor(s: EncryptScenario) {
  return createClient({ keyProvider: KmsKeyProvider({ keyIds: decryptable(s), clientProvider: strongroomClientFor }), commitmentPolicy: policyFor(s.suiteId) });
}
const edkArns = (providerInfos: readonly Uint8Array[]) => providerInfos.map((p) => new TextDecoder().decode(p));

const bySuite = new Map<number, EncryptScenario[]>();
for (const s of kmsScenarios) bySuite.set(s.suiteId, [...(bySuite.get(s.suiteId) ?? []), s]);

describe('the 0003 AWS KMS scenarios through seeded kms-local', () => {
  it('the manifest has 440 KMS scenarios, and the seeded aliases resolve to the vectors\' fixed key ARNs', () => {
    expect(kmsScenarios).toHaveLength(440);
    expect(Object.fromEntries(keyArnOf)).toEqual({
      'arn:aws:kms:us-west-2:658956600833:alias/EncryptDecrypt': DECRYPTABLE,
      'arn:aws:kms:us-west-2:658956600833:alias/EncryptOnly': ENCRYPT_ONLY,
    });
  });

  for (const [suiteId, scenarios] of bySuite) {
    const hex = suiteId.toString(16).padStart(4, '0');
    it(`suite ${hex}: Strongroom (KmsKeyProvider) encrypts, the ESDK (KmsKeyringNode) decrypts (${scenarios.length} scenarios)`, async () => {
      const failures: string[] = [];
      for (const s of scenarios) {
        try {
          const { ciphertext } = await strongroomEncryptor(s).encrypt(s.plaintext, { encryptionContext: s.encryptionContext });
          const expected = names(s).map((n) => keyArnOf.get(n)!);
          const header = parseHeader(ciphertext, { maxEncryptedDataKeys: 10 })!.header;
          if (JSON.stringify(edkArns(header.encryptedDataKeys.map((k) => k.providerInfo))) !== JSON.stringify(expected)) failures.push(`${s.id}: EDKs are not for ${expected.join(', ')}`);
          const esdk = suiteId >= 0x0478 ? esdkRequire : esdkForbid;
          const { plaintext, messageHeader } = await esdk.decrypt(new KmsKeyringNode({ keyIds: decryptable(s), clientProvider: esdkClientProvider }), ciphertext);
          if (!Buffer.from(plaintext).equals(Buffer.from(s.plaintext))) failures.push(`${s.id}: plaintext differs`);
          for (const [k, v] of Object.entries(s.encryptionContext)) {
            if (messageHeader.encryptionContext[k] !== v) failures.push(`${s.id}: context ${k} differs`);
          }
        } catch (e) {
          failures.push(`${s.id}: ${(e as Error).message}`);
        }
      }
      expect(failures.slice(0, 5)).toEqual([]);
    });

    it(`suite ${hex}: the ESDK (KmsKeyringNode) encrypts, Strongroom (KmsKeyProvider) decrypts (${scenarios.length} scenarios)`, async () => {
      const failures: string[] = [];
      const nonFramed = scenarios.filter((s) => s.frameLength === 0).length;
      if (nonFramed > 0) console.log(`suite ${hex}: ${nonFramed} frame-size-0 KMS scenarios written framed (4096) by the ESDK, which cannot write non-framed messages`);
      for (const s of scenarios) {
        try {
          const [generatorKeyId, ...keyIds] = names(s);
          const esdk = suiteId >= 0x0478 ? esdkRequire : esdkForbid;
          // The ESDK cannot write non-framed messages: frame size 0 is written framed at 4096 (as in the raw-key suite).
          const { result } = await esdk.encrypt(new KmsKeyringNode({ generatorKeyId, keyIds, clientProvider: esdkClientProvider }), s.plaintext, {
            suiteId: esdkSuite(suiteId),
            encryptionContext: s.encryptionContext,
            frameLength: s.frameLength === 0 ? 4096 : s.frameLength,
          });
          const { plaintext, header } = await strongroomDecryptor(s).decrypt(result, { expectedEncryptionContext: s.encryptionContext });
          if (!Buffer.from(plaintext).equals(Buffer.from(s.plaintext))) failures.push(`${s.id}: plaintext differs`);
          if (header.suite.id !== suiteId) failures.push(`${s.id}: suite differs`);
          const expected = names(s).map((n) => keyArnOf.get(n)!);
          if (JSON.stringify(edkArns(header.encryptedDataKeys.map((k) => k.providerInfo))) !== JSON.stringify(expected)) failures.push(`${s.id}: EDKs are not for ${expected.join(', ')}`);
        } catch (e) {
          failures.push(`${s.id}: ${(e as Error).message}`);
        }
      }
      expect(failures.slice(0, 5)).toEqual([]);
    });
  }

  it('every data key went through kms-local: one GenerateDataKey per message, one Encrypt per extra key, one Decrypt per message', () => {
    const twoKey = kmsScenarios.filter((s) => s.masterKeys.length === 2).length;
    expect(twoKey).toBe(220);
    const counts = kms.server.requestCounts;
    expect({ GenerateDataKey: counts.GenerateDataKey, Encrypt: counts.Encrypt, Decrypt: counts.Decrypt }).toEqual({
      GenerateDataKey: 2 * kmsScenarios.length,
      Encrypt: 2 * twoKey,
      Decrypt: 2 * kmsScenarios.length,
    });
  });
});

describe('KMS negatives (0006 has none for KMS scenarios: its change-edk-provider-info case, applied to KMS messages)', () => {
  const providerInfoCase = loadDecryptGenerationScenarios().find((s) => typeof s.tampering === 'object' && s.tampering !== null && 'change-edk-provider-info' in s.tampering)!;
  const rewriteTo = (providerInfoCase.tampering as Record<string, string[]>)['change-edk-provider-info']!;

  it(`an EDK whose provider info is rewritten to ${rewriteTo.join(', ')} is refused by Strongroom and by the ESDK`, async () => {
    const sample = kmsScenarios.filter((s) => s.masterKeys.length === 1 && s.frameLength === 4096 && s.suiteId === 0x0478);
    expect(sample.length).toBeGreaterThan(0);
    for (const s of sample) {
      const { ciphertext } = await strongroomEncryptor(s).encrypt(s.plaintext, { encryptionContext: s.encryptionContext });
      const parsed = parseHeader(ciphertext, { maxEncryptedDataKeys: 10 })!;
      for (const info of [...rewriteTo, ENCRYPT_ONLY]) {
        const edks = parsed.header.encryptedDataKeys.map((k) => ({ ...k, providerInfo: new TextEncoder().encode(info) }));
        const tampered = Buffer.concat([serializeHeaderBody({ ...parsed.header, encryptedDataKeys: edks }), ciphertext.subarray(parsed.headerBody.length)]);
        // Strongroom, holding the decryptable key only: no EDK is for it.
        await expect(strongroomDecryptor(s).decrypt(tampered)).rejects.toSatisfy((e: unknown) => StrongroomError.isInstance(e));
        // Strongroom holding the key the EDK now claims (kms-local refuses: the blob is another key's), or the header tag fails.
        const claimed = createClient({ keyProvider: KmsKeyProvider({ keyIds: [ENCRYPT_ONLY], clientProvider: strongroomClientFor }) });
        await expect(claimed.decrypt(tampered)).rejects.toSatisfy((e: unknown) => StrongroomError.isInstance(e));
        await expect(esdkRequire.decrypt(new KmsKeyringNode({ keyIds: [DECRYPTABLE], clientProvider: esdkClientProvider }), tampered)).rejects.toThrow();
      }
      // and the untampered message opens
      const { plaintext } = await strongroomDecryptor(s).decrypt(ciphertext);
      expect(Buffer.from(plaintext).equals(Buffer.from(s.plaintext))).toBe(true);
    }
  });
});
