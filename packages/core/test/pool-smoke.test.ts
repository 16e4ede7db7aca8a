import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { createClient, createWorkerPool, RawAesKeyProvider } from '../src/index';

it('smoke', async () => {
  const keyProvider = RawAesKeyProvider({ namespace: 's', name: 'k', key: randomBytes(32) });
  const pool = createWorkerPool({ size: 2 });
  const pooled = createClient({ keyProvider, pool, frameLength: 4096 });
  const plain = createClient({ keyProvider, frameLength: 4096 });
  const data = randomBytes(300_000);
  const { ciphertext } = await pooled.encrypt(data);
  expect(Buffer.from((await plain.decrypt(ciphertext)).plaintext).equals(data)).toBe(true);
  const { ciphertext: c2 } = await plain.encrypt(data);
  expect(Buffer.from((await pooled.decrypt(c2)).plaintext).equals(data)).toBe(true);
  const signed = createClient({ keyProvider, pool, suite: 0x0578 });
  const { ciphertext: c3 } = await signed.encrypt(randomBytes(1024));
  await plain.decrypt(c3);
  await pool.close();
});
