import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import {
  CommitmentPolicy,
  createClient,
  nodeBackend,
  RawAesKeyProvider,
  StrongroomError,
  SUITES,
} from '../src/index';
import { nobleBackend } from '../src/noble';

const key = randomBytes(32);
const provider = RawAesKeyProvider({ namespace: 'test', name: 'k1', key });
const context = { tenant: 'acme', purpose: 'unit-test' };

describe('round trips', () => {
  for (const suite of SUITES.values()) {
    for (const frameLength of [0, 1, 100, 4096]) {
      it(`suite ${suite.name} frameLength ${frameLength}`, async () => {
        const policy = suite.committing ? CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT : CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT;
        const client = createClient({ keyProvider: provider, suite: suite.id, frameLength, commitmentPolicy: policy });
        for (const size of [0, 1, 99, 100, 101, 5000]) {
          const plaintext = randomBytes(size);
          const { ciphertext, header } = await client.encrypt(plaintext, { encryptionContext: context });
          expect(header.suite.id).toBe(suite.id);
          const { plaintext: out } = await client.decrypt(ciphertext, { expectedEncryptionContext: context });
          expect(Buffer.from(out).equals(plaintext)).toBe(true);
        }
      });
    }
  }

  it('node and noble backends interoperate both ways, signed and unsigned', async () => {
    for (const suite of [0x0478, 0x0578, 0x0214, 0x0378]) {
      const policy = suite >= 0x0478 ? CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT : CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT;
      const nodeClient = createClient({ keyProvider: RawAesKeyProvider({ namespace: 'n', name: 'k', key, backend: nodeBackend }), suite, commitmentPolicy: policy, frameLength: 512 });
      const nobleClient = createClient({ keyProvider: RawAesKeyProvider({ namespace: 'n', name: 'k', key, backend: nobleBackend }), suite, commitmentPolicy: policy, frameLength: 512, backend: nobleBackend });
      const plaintext = randomBytes(3000);
      const a = await nodeClient.encrypt(plaintext, { encryptionContext: context });
      expect(Buffer.from((await nobleClient.decrypt(a.ciphertext)).plaintext).equals(plaintext)).toBe(true);
      const b = await nobleClient.encrypt(plaintext, { encryptionContext: context });
      expect(Buffer.from((await nodeClient.decrypt(b.ciphertext)).plaintext).equals(plaintext)).toBe(true);
    }
  });

  it('streams in and out', async () => {
    const client = createClient({ keyProvider: provider, frameLength: 1000 });
    const plaintext = randomBytes(100_000);
    const pieces = Array.from({ length: 37 }, (_, i) => plaintext.subarray(i * 2703, (i + 1) * 2703));
    const ciphertext = await buffer(client.encryptStream(Readable.from(pieces), { encryptionContext: context }));
    const out = await buffer(client.decryptStream(Readable.from([ciphertext.subarray(0, 7), ciphertext.subarray(7, 5000), ciphertext.subarray(5000)])));
    expect(out.equals(plaintext)).toBe(true);
  });

  it('refuses a wrong expected context', async () => {
    const client = createClient({ keyProvider: provider });
    const { ciphertext } = await client.encrypt('x', { encryptionContext: context });
    await expect(client.decrypt(ciphertext, { expectedEncryptionContext: { tenant: 'evil' } })).rejects.toSatisfy((e) =>
      StrongroomError.isInstance(e, 'ENCRYPTION_CONTEXT'),
    );
  });
});
