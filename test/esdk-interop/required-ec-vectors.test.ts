/**
 * Required encryption context interop: the public decrypt vectors written by ESDK-NET with the MPL's
 * Required Encryption Context CMM (ESDK specification client-apis/encrypt.md "encryption context to
 * only authenticate"; MPL framework/required-encryption-context-cmm.md), positives and negatives,
 * every one that needs no AWS account; negatives derived from each positive; the MPL's
 * required-encryption-context-cmm encrypt scenarios; and @aws-crypto/client-node (which has no
 * reproduced-context input) as an outside reader.
 */
import { constants } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import {
  buildClient,
  CommitmentPolicy as EsdkPolicy,
  type KeyringNode,
  MultiKeyringNode,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
  RawRsaKeyringNode,
} from '@aws-crypto/client-node';
import { CommitmentPolicy, createClient, type KeyProvider, parseHeader, RawAesKeyProvider, RawRsaKeyProvider, StrongroomError } from '@strongroom/core';
import { loadRequiredEcDecryptVectors, loadRequiredEcEncryptScenarios, type RequiredEcDecryptVector, type RequiredEcMasterKey } from '@strongroom/testing';
import { afterAll, describe, expect, it } from 'vitest';

const vectors = loadRequiredEcDecryptVectors();
const runnable = vectors.filter((v) => v.rawOnly && v.ciphertext !== undefined);
const needAws = vectors.filter((v) => !v.rawOnly);
const scenarios = loadRequiredEcEncryptScenarios();

/** Passed counts per writer, CMM and polarity, printed at the end. */
const tally = new Map<string, { positives: number; positivesPassed: number; negatives: number; negativesPassed: number }>();
function count(row: string, positive: boolean, passed: boolean): void {
  const t = tally.get(row) ?? { positives: 0, positivesPassed: 0, negatives: 0, negativesPassed: 0 };
  if (positive) {
    t.positives++;
    if (passed) t.positivesPassed++;
  } else {
    t.negatives++;
    if (passed) t.negativesPassed++;
  }
  tally.set(row, t);
}
afterAll(() => {
  const lines = [...tally].map(
    ([row, t]) => `  ${row.padEnd(78)} positives ${t.positivesPassed}/${t.positives} passed, negatives ${t.negativesPassed}/${t.negatives} passed`,
  );
  console.log(
    [
      `Required-EC vectors: ${vectors.length} published, ${runnable.length} run, ${needAws.length} skipped (AWS KMS key in account 658956600833: needs an AWS account)`,
      ...lines,
    ].join('\n'),
  );
});

function providerFor(mk: RequiredEcMasterKey, all: readonly RequiredEcMasterKey[]): KeyProvider {
  if (mk.encryptionAlgorithm === 'aes') return RawAesKeyProvider({ namespace: mk.providerId, name: mk.key.keyId, key: mk.key.material as Uint8Array });
  // The vectors name either half of the one public RSA vector pair; only the private half decrypts.
  const privateKey = mk.key.type === 'private' ? (mk.key.material as string) : undefined;
  const publicKey = (all.find((m) => m.key.type === 'public')?.key.material as string | undefined) ?? privateKey;
  return RawRsaKeyProvider({ namespace: mk.providerId, name: mk.key.keyId, publicKey, privateKey, padding: mk.padding!, allowLegacyPkcs1: true });
}
const reader = (v: { masterKeys: readonly RequiredEcMasterKey[] }) =>
  createClient({ keyProviders: v.masterKeys.map((mk) => providerFor(mk, v.masterKeys)), commitmentPolicy: CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT });

function esdkKeyring(masterKeys: readonly RequiredEcMasterKey[]): KeyringNode {
  const rings: KeyringNode[] = masterKeys.map((mk) => {
    if (mk.encryptionAlgorithm === 'aes') {
      return new RawAesKeyringNode({
        keyName: mk.key.keyId,
        keyNamespace: mk.providerId,
        unencryptedMasterKey: new Uint8Array(mk.key.material as Uint8Array),
        wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
        utf8Sorting: true,
      });
    }
    const privateKey = mk.key.type === 'private' ? (mk.key.material as string) : undefined;
    const publicKey = masterKeys.find((m) => m.key.type === 'public')?.key.material as string | undefined;
    return new RawRsaKeyringNode({
      keyName: mk.key.keyId,
      keyNamespace: mk.providerId,
      rsaKey: privateKey ? { privateKey, publicKey } : { publicKey: publicKey! },
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: mk.padding!.slice(5) as 'sha1' | 'sha256' | 'sha384' | 'sha512',
    });
  });
  return rings.length === 1 ? rings[0]! : new MultiKeyringNode({ generator: rings[0], children: rings.slice(1) });
}
const esdk = buildClient(EsdkPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT);

/** Decrypt as the writer's own runner does: the Required EC CMM gets the whole context as reproduced and required. */
async function strongroomDecrypt(v: RequiredEcDecryptVector, streaming: boolean) {
  const client = reader(v);
  const options =
    v.cmm === 'RequiredEncryptionContext' ? { encryptionContext: v.encryptionContext, requiredEncryptionContextKeys: Object.keys(v.encryptionContext) } : {};
  if (!streaming) return client.decrypt(v.ciphertext!, options);
  const stream = client.decryptStream(v.ciphertext!, options);
  let context: unknown;
  stream.on('header', (_h, c) => (context = c));
  const plaintext = new Uint8Array(await buffer(stream));
  return { plaintext, encryptionContext: context as Record<string, string> };
}

async function outcome(run: () => Promise<unknown>): Promise<StrongroomError | undefined> {
  try {
    await run();
    return undefined;
  } catch (e) {
    if (!StrongroomError.isInstance(e)) throw e; // an untyped failure is a bug, never a pass
    return e;
  }
}

describe('published ESDK-NET vectors (Default and Required Encryption Context CMM)', () => {
  const groups = new Map<string, RequiredEcDecryptVector[]>();
  for (const v of runnable) groups.set(`${v.set} ${v.cmm}`, [...(groups.get(`${v.set} ${v.cmm}`) ?? []), v]);
  for (const [name, group] of groups) {
    it(`${name}: ${group.length} vectors, one-shot and streaming`, async () => {
      const failures: string[] = [];
      for (const v of group) {
        let passed = true;
        for (const streaming of [false, true]) {
          let result: Awaited<ReturnType<typeof strongroomDecrypt>> | undefined;
          const error = await outcome(async () => {
            result = await strongroomDecrypt(v, streaming);
          });
          if (v.expect === 'success') {
            if (error) failures.push(`${v.id} (${streaming ? 'stream' : 'one-shot'}): ${error.code} ${error.message}`);
            else if (!Buffer.from(result!.plaintext).equals(Buffer.from(v.plaintext))) failures.push(`${v.id}: plaintext differs`);
            else if (Object.entries(v.encryptionContext).some(([k, val]) => result!.encryptionContext[k] !== val)) failures.push(`${v.id}: context differs`);
            else continue;
          } else if (error) continue;
          else failures.push(`${v.id} (${streaming ? 'stream' : 'one-shot'}): decrypted, but ${v.reason}`);
          passed = false;
        }
        if (v.cmm === 'RequiredEncryptionContext') {
          // The writer required every key: none of them is stored in the message.
          const stored = parseHeader(v.ciphertext!, { maxEncryptedDataKeys: 10 })!.header.encryptionContext;
          if (Object.keys(v.encryptionContext).some((k) => Object.hasOwn(stored, k))) {
            failures.push(`${v.id}: a required key is stored`);
            passed = false;
          }
        }
        count(`${v.writer} (${v.set}) cmm ${v.cmm}`, v.expect === 'success', passed);
      }
      expect(failures).toEqual([]);
    });
  }

  it('negatives derived from every Required-EC positive: missing, wrong, partial or extra reproduced context', async () => {
    const positives = runnable.filter((v) => v.cmm === 'RequiredEncryptionContext' && v.expect === 'success');
    expect(positives.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const v of positives) {
      const [first, ...rest] = Object.keys(v.encryptionContext);
      const mutations: Record<string, Record<string, string>> = {
        missing: {},
        wrong: { ...v.encryptionContext, [first!]: `${v.encryptionContext[first!]}-x` },
        partial: Object.fromEntries(rest.map((k) => [k, v.encryptionContext[k]!])),
        extra: { ...v.encryptionContext, unexpected: 'pair' },
      };
      for (const [what, encryptionContext] of Object.entries(mutations)) {
        const error = await outcome(() => reader(v).decrypt(v.ciphertext!, { encryptionContext }));
        const passed = error !== undefined && ['AUTHENTICATION_FAILED', 'NO_DECRYPTION_KEY'].includes(error.code);
        if (!passed) failures.push(`${v.id} ${what}: ${error ? error.code : 'decrypted'}`);
        count(`${v.writer} (${v.set}) cmm ${v.cmm}, derived (${what})`, false, passed);
      }
    }
    expect(failures).toEqual([]);
  });

  it('@aws-crypto/client-node (no reproduced-context input) reads the Default vectors and cannot read the Required-EC ones', async () => {
    const failures: string[] = [];
    for (const v of runnable.filter((x) => x.expect === 'success' && x.set === 'v4-Net-4.0.1')) {
      const result = await esdk.decrypt(esdkKeyring(v.masterKeys), v.ciphertext!).then(
        (r) => Buffer.from(r.plaintext).equals(Buffer.from(v.plaintext)),
        () => false,
      );
      const expected = v.cmm === 'Default';
      if (result !== expected) failures.push(`${v.id}: client-node ${result ? 'read' : 'refused'} it`);
      count(`@aws-crypto/client-node reading ${v.writer} cmm ${v.cmm}`, expected, result === expected);
    }
    expect(failures).toEqual([]);
  });
});

describe('MPL required-encryption-context-cmm scenarios (Strongroom writes and reads)', () => {
  it(`${scenarios.length} scenarios: required keys not stored, the reproduced context decrypts, one fewer required pair does not`, async () => {
    expect(scenarios.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const s of scenarios) {
      const committing = s.suiteId >= 0x0478;
      const client = createClient({
        keyProvider: providerFor(s.masterKey, [s.masterKey]),
        suite: s.suiteId,
        frameLength: s.frameLength,
        commitmentPolicy: committing ? CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT : CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT,
      });
      const { ciphertext, header } = await client.encrypt(s.plaintext, {
        encryptionContext: s.encryptionContext,
        requiredEncryptionContextKeys: s.requiredEncryptionContextKeys,
      });
      let passed = s.requiredEncryptionContextKeys.every((k) => !Object.hasOwn(header.encryptionContext, k));
      const error = await outcome(async () => {
        const out = await client.decrypt(ciphertext, { encryptionContext: s.reproducedEncryptionContext });
        if (!Buffer.from(out.plaintext).equals(Buffer.from(s.plaintext))) throw new StrongroomError('INTERNAL', 'plaintext differs');
      });
      passed &&= (error === undefined) === (s.expect === 'success');
      if (!passed) failures.push(`${s.id}: ${error?.message ?? 'stored a required key or decrypted unexpectedly'}`);
      count('MPL required-encryption-context-cmm scenarios (Strongroom both sides)', s.expect === 'success', passed);
      const dropped = { ...s.reproducedEncryptionContext };
      delete dropped[s.requiredEncryptionContextKeys[0]!];
      const negative = await outcome(() => client.decrypt(ciphertext, { encryptionContext: dropped }));
      if (!negative) failures.push(`${s.id}: decrypted without required key ${s.requiredEncryptionContextKeys[0]}`);
      count('MPL required-encryption-context-cmm scenarios, derived (a required pair left out)', false, negative !== undefined);
    }
    expect(failures).toEqual([]);
  });

  it('client-node reads what Strongroom writes with nothing required, and refuses it with pairs required', async () => {
    const mk = scenarios[0]!.masterKey;
    const client = createClient({ keyProvider: providerFor(mk, [mk]) });
    const encryptionContext = { key1: 'val1', key2: 'val2' };
    const plain = await client.encrypt('interop', { encryptionContext });
    const required = await client.encrypt('interop', { encryptionContext, requiredEncryptionContextKeys: ['key1', 'key2'] });
    const read = await esdk.decrypt(esdkKeyring([mk]), plain.ciphertext);
    expect(Buffer.from(read.plaintext).toString()).toBe('interop');
    await expect(esdk.decrypt(esdkKeyring([mk]), required.ciphertext)).rejects.toThrow();
  });
});
