/**
 * Write Strongroom's required-encryption-context fixtures: the same matrix (suite, frame length,
 * plaintext, context, required keys, negatives) as a template manifest, encrypted by @strongroom/core
 * with the required keys authenticated but not stored (ESDK specification client-apis/encrypt.md,
 * "encryption context to only authenticate"). Another ESDK reads the result (see
 * fixtures/required-ec-strongroom/README.md); required-ec-python.test.ts keeps reading it.
 *
 *   npm run build && node test/esdk-interop/write-required-ec-fixtures.mjs \
 *     test/esdk-interop/fixtures/required-ec-python <new output directory>
 *
 * Every framed message is written twice: by encrypt() (length known) and by encryptStream() fed in
 * 100-byte writes (length unknown until the end: the stream encoder holds one frame back, so a
 * plaintext ending on a frame boundary still ends with a full final frame, as encrypt() writes it).
 *
 * The output directory must not exist; every file is created exclusively (no overwrite, no symlink followed).
 */
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { CommitmentPolicy, createClient, parseHeader, RawAesKeyProvider } from '@strongroom/core';

const [templateDir, outDir] = process.argv.slice(2);
if (!templateDir || !outDir) {
  console.error('usage: node write-required-ec-fixtures.mjs <template fixture dir> <new output dir>');
  process.exit(2);
}
const template = JSON.parse(readFileSync(join(templateDir, 'manifest.json'), 'utf8'));
if (template.manifest?.type !== 'strongroom-required-ec-decrypt' || template.manifest?.version !== 1) {
  throw new Error(`${templateDir}: expected a strongroom-required-ec-decrypt v1 manifest`);
}
const corePackage = JSON.parse(readFileSync(new URL('../../packages/core/package.json', import.meta.url), 'utf8'));

/** encryptStream() as a transform, fed in 100-byte writes: the writer never learns the length up front. */
async function encryptStreamed(client, plaintext, options) {
  const duplex = client.encryptStream(options);
  const out = buffer(duplex);
  for (let i = 0; i < plaintext.length; i += 100) duplex.write(plaintext.subarray(i, i + 100));
  duplex.end();
  return new Uint8Array(await out);
}

function writeNew(path, bytes) {
  const fd = openSync(path, 'wx', 0o644); // O_CREAT|O_EXCL: refuses an existing file or symlink
  try {
    writeSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
}

mkdirSync(outDir); // not recursive: the leaf must be new
mkdirSync(join(outDir, 'ciphertexts'));
mkdirSync(join(outDir, 'plaintexts'));

const plaintexts = new Set();
const tests = {};
for (const [id, t] of Object.entries(template.tests)) {
  const key = template.keys[t.key];
  const suite = Number.parseInt(t.suite, 16);
  const client = createClient({
    keyProvider: RawAesKeyProvider({ namespace: key['provider-id'], name: key['key-name'], key: new Uint8Array(Buffer.from(key['material-base64'], 'base64')) }),
    suite,
    frameLength: t['frame-length'],
    commitmentPolicy: suite >= 0x0478 ? CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT : CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT,
  });
  const plaintextRef = t.plaintext.slice('file://'.length);
  const plaintext = readFileSync(join(templateDir, plaintextRef));
  const options = { encryptionContext: t['encryption-context'], requiredEncryptionContextKeys: t['required-encryption-context-keys'] };
  const written = { [`strongroom-${id}`]: (await client.encrypt(plaintext, options)).ciphertext };
  if (t['frame-length'] > 0) written[`strongroom-stream-${id}`] = await encryptStreamed(client, plaintext, options);
  for (const [sid, ciphertext] of Object.entries(written)) {
    const stored = parseHeader(ciphertext, { maxEncryptedDataKeys: 10 }).header.encryptionContext;
    if (t['required-encryption-context-keys'].some((k) => Object.hasOwn(stored, k))) throw new Error(`${sid}: a required key is stored`);
    writeNew(join(outDir, 'ciphertexts', sid), ciphertext);
    tests[sid] = { ...t, ciphertext: `file://ciphertexts/${sid}` };
  }
  if (!plaintexts.has(plaintextRef)) {
    writeNew(join(outDir, plaintextRef), plaintext);
    plaintexts.add(plaintextRef);
  }
}

const manifest = {
  manifest: template.manifest,
  writer: { name: 'strongroom', version: corePackage.version, cmm: 'requiredEncryptionContextKeys on encrypt, RawAesKeyProvider (AES-256-GCM)' },
  keys: template.keys,
  tests,
};
writeNew(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
console.log(JSON.stringify({ written: Object.keys(tests).length }));
