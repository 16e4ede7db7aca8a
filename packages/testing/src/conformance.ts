/**
 * The shared KeyProvider conformance suite: every provider package runs it, so every backend is held
 * to the same contract (modelled on the AWS Encryption SDK keyring interface, aws-encryption-sdk-
 * specification framework/keyring-interface.md) — round trips, context binding (keys named like
 * Object.prototype members included), foreign EDKs ignored, multi-provider messages, cache
 * identity, concurrency, tampering and abort.
 *
 * @example
 * describeKeyProviderConformance('RawAesKeyProvider', async () => ({
 *   provider: RawAesKeyProvider({ namespace: 'ns', name: 'a', key: randomBytes(32) }),
 *   other: RawAesKeyProvider({ namespace: 'ns', name: 'b', key: randomBytes(32) }),
 * }));
 */
import { randomBytes } from 'node:crypto';
import {
  CommitmentPolicy,
  createClient,
  type EncryptedDataKey,
  type KeyProvider,
  RawAesKeyProvider,
  StrongroomError,
  SUITES,
} from '@strongroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

export interface ConformanceSubject {
  /** The provider under test. */
  provider: KeyProvider;
  /** Another provider of the same kind with a different key (its EDKs are foreign to `provider`). */
  other?: KeyProvider;
  /** Called once after the suite. */
  cleanup?: () => Promise<void> | void;
}

export interface ConformanceOptions {
  /** Suites to round-trip. Default: 0x0478, 0x0578 and 0x0114 (a 128-bit data key). */
  suites?: number[];
  /** False for providers whose wrap does not bind the encryption context (raw RSA, by the ESDK spec). */
  bindsEncryptionContext?: boolean;
  /** Parallel operations in the concurrency test. Default 32. */
  concurrency?: number;
  /** Per-test timeout in ms. Default 60 000. */
  timeout?: number;
}

const context = { tenant: 'conformance', purpose: 'key-provider-suite' };

/** Names of Object.prototype members: as context keys they must be bound like any other key. */
export const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'] as const;

/** The context plus `name: value`; a computed key is an own property even for `__proto__` (as JSON.parse builds it). */
function contextWith(name: string, value: string): Record<string, string> {
  return { ...context, [name]: value };
}

async function rejectsOrUndefined(promise: Promise<Uint8Array | undefined>, notEqualTo?: Uint8Array): Promise<void> {
  let result: Uint8Array | undefined;
  try {
    result = await promise;
  } catch {
    return; // rejecting is fine
  }
  if (result !== undefined && notEqualTo) expect(Buffer.from(result).equals(Buffer.from(notEqualTo))).toBe(false);
  expect(result).toBeUndefined();
}

export function describeKeyProviderConformance(
  name: string,
  factory: () => Promise<ConformanceSubject> | ConformanceSubject,
  options: ConformanceOptions = {},
): void {
  const suites = (options.suites ?? [0x0478, 0x0578, 0x0114]).map((id) => SUITES.get(id)!);
  const binds = options.bindsEncryptionContext ?? true;
  const concurrency = options.concurrency ?? 32;
  const timeout = options.timeout ?? 60_000;

  describe(`KeyProvider conformance: ${name}`, () => {
    let subject: ConformanceSubject;
    beforeAll(async () => {
      subject = await factory();
    }, timeout);
    afterAll(async () => {
      await subject?.cleanup?.();
    }, timeout);

    it('has a provider id', () => {
      expect(typeof subject.provider.providerId).toBe('string');
      expect(subject.provider.providerId.length).toBeGreaterThan(0);
    });

    for (const suite of suites) {
      it(`generates, wraps and unwraps ${suite.keyLength * 8}-bit data keys (${suite.name})`, async () => {
        const { provider } = subject;
        const generated = await provider.generateDataKey({ suite, encryptionContext: context });
        expect(generated.plaintextKey.length).toBe(suite.keyLength);
        expect(generated.encryptedDataKey.providerId).toBe(provider.providerId);
        expect(Buffer.from(generated.encryptedDataKey.ciphertext).includes(Buffer.from(generated.plaintextKey))).toBe(false);
        const unwrapped = await provider.decryptDataKey({ suite, encryptionContext: context, encryptedDataKey: generated.encryptedDataKey });
        expect(unwrapped && Buffer.from(unwrapped).equals(Buffer.from(generated.plaintextKey))).toBe(true);

        const existing = randomBytes(suite.keyLength);
        const edks = [await provider.encryptDataKey({ suite, encryptionContext: context, plaintextKey: existing })].flat();
        expect(edks.length).toBeGreaterThan(0);
        for (const edk of edks) {
          const again = await provider.decryptDataKey({ suite, encryptionContext: context, encryptedDataKey: edk });
          expect(again && Buffer.from(again).equals(existing)).toBe(true);
        }
      }, timeout);

      it(`round-trips messages through createClient (${suite.name})`, async () => {
        const client = createClient({
          keyProvider: subject.provider,
          suite: suite.id,
          commitmentPolicy: suite.committing ? CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT : CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT,
          frameLength: 1024,
        });
        for (const size of [0, 1, 5000]) {
          const plaintext = randomBytes(size);
          const { ciphertext } = await client.encrypt(plaintext, { encryptionContext: context });
          const { plaintext: out, header } = await client.decrypt(ciphertext, { expectedEncryptionContext: context });
          expect(Buffer.from(out).equals(plaintext)).toBe(true);
          expect(header.encryptionContext.tenant).toBe(context.tenant);
        }
      }, timeout);
    }

    it('refuses a message whose encryption context does not match', async () => {
      const client = createClient({ keyProvider: subject.provider });
      const { ciphertext } = await client.encrypt('secret', { encryptionContext: context });
      await expect(client.decrypt(ciphertext, { expectedEncryptionContext: { tenant: 'someone-else' } })).rejects.toSatisfy((e) =>
        StrongroomError.isInstance(e, 'ENCRYPTION_CONTEXT'),
      );
    }, timeout);

    if (binds) {
      it('binds the encryption context into the wrapped key', async () => {
        const suite = suites[0]!;
        const { plaintextKey, encryptedDataKey } = await subject.provider.generateDataKey({ suite, encryptionContext: context });
        await rejectsOrUndefined(
          subject.provider.decryptDataKey({ suite, encryptionContext: { ...context, tenant: 'other' }, encryptedDataKey }),
          plaintextKey,
        );
      }, timeout);

      it('binds context keys named like Object.prototype members (__proto__, constructor, …) like any other key', async () => {
        const suite = suites[0]!;
        for (const name of PROTOTYPE_NAMES) {
          const mine = contextWith(name, 'tenant-A');
          expect(Object.hasOwn(mine, name) && mine[name]).toBe('tenant-A');
          const { plaintextKey, encryptedDataKey } = await subject.provider.generateDataKey({ suite, encryptionContext: mine });
          const back = await subject.provider.decryptDataKey({ suite, encryptionContext: contextWith(name, 'tenant-A'), encryptedDataKey });
          expect(Buffer.from(back!).equals(Buffer.from(plaintextKey)), name).toBe(true);
          await rejectsOrUndefined(subject.provider.decryptDataKey({ suite, encryptionContext: contextWith(name, 'tenant-B'), encryptedDataKey }), plaintextKey);
          await rejectsOrUndefined(subject.provider.decryptDataKey({ suite, encryptionContext: { ...context }, encryptedDataKey }), plaintextKey);
        }
      }, timeout);
    }

    it('states a cache identity of its key, not of its names: another key never has the same identity', async () => {
      const { provider, other } = subject;
      if (typeof provider.cacheIdentity !== 'function') return; // cached per instance only
      const mine = await provider.cacheIdentity('decrypt');
      expect(mine === undefined || (typeof mine === 'string' && mine.length > 0)).toBe(true);
      if (other && typeof other.cacheIdentity === 'function' && mine !== undefined) {
        expect(await other.cacheIdentity('decrypt')).not.toBe(mine);
      }
    }, timeout);

    it('ignores EDKs of other providers and other keys', async () => {
      const suite = suites[0]!;
      const foreign: EncryptedDataKey = { providerId: `${subject.provider.providerId}-not`, providerInfo: new Uint8Array([1, 2, 3]), ciphertext: randomBytes(48) };
      expect(await subject.provider.decryptDataKey({ suite, encryptionContext: context, encryptedDataKey: foreign })).toBeUndefined();
      if (subject.other) {
        const theirs = await subject.other.generateDataKey({ suite, encryptionContext: context });
        await rejectsOrUndefined(
          subject.provider.decryptDataKey({ suite, encryptionContext: context, encryptedDataKey: theirs.encryptedDataKey }),
          theirs.plaintextKey,
        );
        // A message wrapped only for the other key cannot be opened by this provider.
        const otherClient = createClient({ keyProvider: subject.other });
        const { ciphertext } = await otherClient.encrypt('x', { encryptionContext: context });
        await expect(createClient({ keyProvider: subject.provider }).decrypt(ciphertext)).rejects.toSatisfy((e) =>
          StrongroomError.isInstance(e, 'NO_DECRYPTION_KEY'),
        );
      }
    }, timeout);

    it('never returns a key for a tampered EDK', async () => {
      const suite = suites[0]!;
      const { plaintextKey, encryptedDataKey } = await subject.provider.generateDataKey({ suite, encryptionContext: context });
      const positions = [0, Math.floor(encryptedDataKey.ciphertext.length / 2), encryptedDataKey.ciphertext.length - 1];
      for (const i of positions) {
        const ciphertext = new Uint8Array(encryptedDataKey.ciphertext);
        ciphertext[i]! ^= 0x01;
        await rejectsOrUndefined(subject.provider.decryptDataKey({ suite, encryptionContext: context, encryptedDataKey: { ...encryptedDataKey, ciphertext } }), plaintextKey);
      }
    }, timeout);

    it('works next to another provider in one message (either one opens it)', async () => {
      const breakGlass = RawAesKeyProvider({ namespace: 'conformance-break-glass', name: 'k', key: randomBytes(32) });
      const both = createClient({ keyProviders: [subject.provider, breakGlass] });
      const { ciphertext, header } = await both.encrypt('two keys', { encryptionContext: context });
      expect(header.encryptedDataKeys.length).toBe(2);
      for (const p of [subject.provider, breakGlass]) {
        const { plaintext } = await createClient({ keyProvider: p }).decrypt(ciphertext);
        expect(Buffer.from(plaintext).toString()).toBe('two keys');
      }
      const reversed = createClient({ keyProviders: [breakGlass, subject.provider] });
      const second = await reversed.encrypt('generator second', { encryptionContext: context });
      expect(Buffer.from((await createClient({ keyProvider: subject.provider }).decrypt(second.ciphertext)).plaintext).toString()).toBe('generator second');
    }, timeout);

    it(`handles ${concurrency} concurrent operations`, async () => {
      const client = createClient({ keyProvider: subject.provider });
      const results = await Promise.all(
        Array.from({ length: concurrency }, async (_, i) => {
          const { ciphertext } = await client.encrypt(`message ${i}`, { encryptionContext: { ...context, i: String(i) } });
          return Buffer.from((await client.decrypt(ciphertext)).plaintext).toString();
        }),
      );
      expect(results).toEqual(Array.from({ length: concurrency }, (_, i) => `message ${i}`));
    }, timeout);

    it('honours an aborted signal', async () => {
      const suite = suites[0]!;
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      const isAbort = (e: unknown) => (e as Error)?.name === 'AbortError' || StrongroomError.isInstance(e, 'ABORTED');
      await expect(subject.provider.generateDataKey({ suite, encryptionContext: context, abortSignal: controller.signal })).rejects.toSatisfy(isAbort);
      const { encryptedDataKey } = await subject.provider.generateDataKey({ suite, encryptionContext: context });
      await expect(
        subject.provider.decryptDataKey({ suite, encryptionContext: context, encryptedDataKey, abortSignal: controller.signal }),
      ).rejects.toSatisfy(isAbort);
      const client = createClient({ keyProvider: subject.provider });
      await expect(client.encrypt('x', { encryptionContext: context, abortSignal: controller.signal })).rejects.toSatisfy(isAbort);
    }, timeout);
  });
}
