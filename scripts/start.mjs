// `npm start`: the main job. Until the dev stack lands (issue 8), it runs the core end to end:
// envelope-encrypt a sample file with two providers (AES and RSA), stream it back, verify.
import { generateKeyPairSync, randomBytes, createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { createClient, createDataKeyCache, RawAesKeyProvider, RawRsaKeyProvider } from '@strongroom/core';

const sample = randomBytes(8 * 1024 * 1024);
const aes = RawAesKeyProvider({ namespace: 'demo', name: 'aes-key', key: randomBytes(32) });
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
const rsa = RawRsaKeyProvider({ namespace: 'demo', name: 'break-glass', publicKey, privateKey, padding: 'oaep-sha256' });
const context = { app: 'strongroom-demo', object: 'sample.bin' };

const writer = createClient({ keyProviders: [aes, rsa], cache: createDataKeyCache() });
const t0 = performance.now();
const ciphertext = await buffer(writer.encryptStream(Readable.from([sample]), { encryptionContext: context }));
const t1 = performance.now();
for (const [name, provider] of [['AES key', aes], ['RSA break-glass key', rsa]]) {
  const reader = createClient({ keyProvider: provider });
  const plaintext = await buffer(reader.decryptStream(ciphertext, { expectedEncryptionContext: context }));
  const ok = createHash('sha256').update(plaintext).digest('hex') === createHash('sha256').update(sample).digest('hex');
  console.log(`decrypt with the ${name}: ${ok ? 'ok' : 'MISMATCH'}`);
  if (!ok) process.exit(1);
}
console.log(`encrypted ${sample.length / 2 ** 20} MiB into ${ciphertext.length} bytes in ${(t1 - t0).toFixed(0)} ms (suite 0x0478, 2 EDKs)`);
