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
 * The output directory must not exist; every file is created exclusively (no overwrite, no symlink followed).
 */
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CommitmentPolicy, createClient, RawAesKeyProvider } from '@strongroom/core';

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
  const { ciphertext, header } = await client.encrypt(plaintext, {
    encryptionContext: t['encryption-context'],
    requiredEncryptionContextKeys: t['required-encryption-context-keys'],
  });
  if (t['required-encryption-context-keys'].some((k) => Object.hasOwn(header.encryptionContext, k))) throw new Error(`${id}: a required key is stored`);
  const sid = `strongroom-${id}`;
  writeNew(join(outDir, 'ciphertexts', sid), ciphertext);
  if (!plaintexts.has(plaintextRef)) {
    writeNew(join(outDir, plaintextRef), plaintext);
    plaintexts.add(plaintextRef);
  }
  tests[sid] = { ...t, ciphertext: `file://ciphertexts/${sid}` };
}

const manifest = {
  manifest: template.manifest,
  writer: { name: 'strongroom', version: corePackage.version, cmm: 'requiredEncryptionContextKeys on encrypt, RawAesKeyProvider (AES-256-GCM)' },
  keys: template.keys,
  tests,
};
writeNew(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
console.log(JSON.stringify({ written: Object.keys(tests).length }));
