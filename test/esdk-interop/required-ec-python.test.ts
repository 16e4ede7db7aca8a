/**
 * Required encryption context interop with the AWS Encryption SDK for Python + MPL (Required
 * Encryption Context CMM over a raw AES-256 keyring). ESDK specification client-apis/encrypt.md
 * ("encryption context to only authenticate"), client-apis/decrypt.md (reproduced encryption
 * context); MPL framework/required-encryption-context-cmm.md.
 *
 * fixtures/required-ec-python/: messages the Python ESDK wrote; Strongroom must decrypt each given the
 * reproduced context, and refuse every negative the Python writer itself refused, with a typed error.
 * fixtures/required-ec-strongroom/: messages Strongroom wrote (and the Python ESDK read, see the
 * README there); Strongroom must keep reading them.
 */
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { CommitmentPolicy, createClient, createDataKeyCache, type DecryptOptions, RawAesKeyProvider, StrongroomError } from '@strongroom/core';
import { loadRequiredEcFixtures, type RequiredEcFixture } from '@strongroom/testing';
import { afterAll, describe, expect, it } from 'vitest';

const SIGNING_KEY = 'aws-crypto-public-key';

/** The code each manifest negative must give: a stored pair contradicted is caught before any unwrap. */
const NEGATIVE_CODES = new Map([
  ['none', 'NO_DECRYPTION_KEY'],
  ['missing', 'NO_DECRYPTION_KEY'],
  ['wrong-value', 'NO_DECRYPTION_KEY'],
  ['extra-pair', 'NO_DECRYPTION_KEY'],
  ['contradicts-stored', 'ENCRYPTION_CONTEXT'],
]);

const tally = new Map<string, { positives: number; positivesPassed: number; negatives: number; negativesPassed: number }>();
function count(row: string, positive: boolean, passed: boolean): void {
  const t = tally.get(row) ?? { positives: 0, positivesPassed: 0, negatives: 0, negativesPassed: 0 };
  t[positive ? 'positives' : 'negatives']++;
  if (passed) t[positive ? 'positivesPassed' : 'negativesPassed']++;
  tally.set(row, t);
}
afterAll(() => {
  console.log(
    ['Required-EC interop with the Python ESDK (decrypted by Strongroom):']
      .concat([...tally].map(([row, t]) => `  ${row.padEnd(72)} positives ${t.positivesPassed}/${t.positives}, negatives ${t.negativesPassed}/${t.negatives}`))
      .join('\n'),
  );
});

const reader = (f: RequiredEcFixture) =>
  createClient({
    keyProvider: RawAesKeyProvider({ namespace: f.key.providerId, name: f.key.keyName, key: f.key.material }),
    commitmentPolicy: CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT,
  });

async function decrypt(f: RequiredEcFixture, options: DecryptOptions, streaming: boolean) {
  const client = reader(f);
  if (!streaming) return client.decrypt(f.ciphertext, options);
  const stream = client.decryptStream(f.ciphertext, options);
  let encryptionContext: Record<string, string> = {};
  let stored: Record<string, string> = {};
  stream.on('header', (h, c) => {
    encryptionContext = c;
    stored = h.encryptionContext;
  });
  const plaintext = new Uint8Array(await buffer(stream));
  return { plaintext, encryptionContext, header: { encryptionContext: stored } };
}

/** The typed error a call ends with, or undefined if it succeeded; anything untyped is rethrown (a bug). */
async function failure(run: () => Promise<unknown>): Promise<StrongroomError | undefined> {
  try {
    await run();
    return undefined;
  } catch (e) {
    if (!StrongroomError.isInstance(e)) throw e;
    return e;
  }
}

/** What is wrong with one positive decryption (undefined: nothing). */
async function positive(f: RequiredEcFixture, options: DecryptOptions, streaming: boolean): Promise<string | undefined> {
  let out: Awaited<ReturnType<typeof decrypt>> | undefined;
  const error = await failure(async () => {
    out = await decrypt(f, options, streaming);
  });
  if (error) return `${error.code}: ${error.message}`;
  if (!Buffer.from(out!.plaintext).equals(Buffer.from(f.plaintext))) return 'plaintext differs';
  const { [SIGNING_KEY]: _signing, ...authenticated } = out!.encryptionContext;
  if (JSON.stringify(Object.entries(authenticated).sort()) !== JSON.stringify(Object.entries(f.encryptionContext).sort())) {
    return `authenticated context ${JSON.stringify(authenticated)}`;
  }
  const storedRequired = f.requiredKeys.filter((k) => Object.hasOwn(out!.header.encryptionContext, k));
  if (storedRequired.length > 0) return `the message stores required keys ${storedRequired.join(', ')}`;
  return undefined;
}

for (const dir of ['required-ec-python', 'required-ec-strongroom']) {
  const set = loadRequiredEcFixtures(join(import.meta.dirname, 'fixtures', dir));
  describe(`${dir}: written by ${set.writer}`, () => {
    it(`${set.fixtures.length} messages decrypt with the reproduced context: alone, with the stored pairs, declared, expected; one-shot and streaming`, async () => {
      expect(set.fixtures.length).toBeGreaterThan(0);
      const failures: string[] = [];
      for (const f of set.fixtures) {
        const variants: Record<string, DecryptOptions> = {
          reproduced: { encryptionContext: f.reproduced },
          'reproduced+stored': { encryptionContext: f.encryptionContext },
          'declared+expected': { encryptionContext: f.reproduced, requiredEncryptionContextKeys: f.requiredKeys, expectedEncryptionContext: f.encryptionContext },
        };
        let passed = true;
        for (const [name, options] of Object.entries(variants)) {
          for (const streaming of [false, true]) {
            const problem = await positive(f, options, streaming);
            if (problem) {
              failures.push(`${f.id} ${name} ${streaming ? 'stream' : 'one-shot'}: ${problem}`);
              passed = false;
            }
          }
        }
        count(`${set.writer}, suite ${f.suiteId.toString(16).padStart(4, '0')}`, true, passed);
      }
      expect(failures).toEqual([]);
    });

    it('every negative the writer refused is refused here with a typed error', async () => {
      const failures: string[] = [];
      for (const f of set.fixtures) {
        expect(f.negatives.size).toBeGreaterThanOrEqual(4);
        for (const [name, encryptionContext] of f.negatives) {
          const error = await failure(() => decrypt(f, { encryptionContext }, false));
          const passed = error !== undefined && error.code === NEGATIVE_CODES.get(name);
          if (!passed) failures.push(`${f.id} ${name}: ${error ? error.code : 'decrypted'}`);
          count(`${set.writer}, negative: ${name}`, false, passed);
        }
      }
      expect(failures).toEqual([]);
    });

    it('through a data-key cache: a key cached for the reproduced context never decrypts a negative', async () => {
      const failures: string[] = [];
      for (const f of set.fixtures) {
        const cache = createDataKeyCache();
        const client = createClient({
          keyProvider: RawAesKeyProvider({ namespace: f.key.providerId, name: f.key.keyName, key: f.key.material }),
          commitmentPolicy: CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT,
          cache,
        });
        await client.decrypt(f.ciphertext, { encryptionContext: f.reproduced }); // fills the cache
        for (const [name, encryptionContext] of f.negatives) {
          const error = await failure(() => client.decrypt(f.ciphertext, { encryptionContext }));
          const passed = error !== undefined && error.code === NEGATIVE_CODES.get(name);
          if (!passed) failures.push(`${f.id} ${name} after a cached decrypt: ${error ? error.code : 'decrypted'}`);
          count(`${set.writer}, negative through the cache: ${name}`, false, passed);
        }
        const again = await client.decrypt(f.ciphertext, { encryptionContext: f.reproduced });
        // The cache really served the reproduced context (else this test would prove nothing).
        if (!Buffer.from(again.plaintext).equals(Buffer.from(f.plaintext)) || cache.stats.hits < 1) failures.push(`${f.id}: no cache hit`);
      }
      expect(failures).toEqual([]);
    });

    it('an extra declared required key, or an expected pair that differs, is refused before decryption', async () => {
      const failures: string[] = [];
      for (const f of set.fixtures) {
        const extraKey = await failure(() =>
          decrypt(f, { encryptionContext: f.reproduced, requiredEncryptionContextKeys: [...f.requiredKeys, 'not-reproduced'] }, false),
        );
        const [first] = f.requiredKeys;
        const wrongExpected = await failure(() =>
          decrypt(f, { encryptionContext: f.reproduced, expectedEncryptionContext: { [first!]: `${f.reproduced[first!]}-x` } }, false),
        );
        for (const [name, error] of Object.entries({ 'declared key not reproduced': extraKey, 'expected pair differs': wrongExpected })) {
          const passed = error?.code === 'ENCRYPTION_CONTEXT';
          if (!passed) failures.push(`${f.id} ${name}: ${error ? error.code : 'decrypted'}`);
          count(`${set.writer}, negative: ${name}`, false, passed);
        }
      }
      expect(failures).toEqual([]);
    });
  });
}
