// bench/core — Strongroom core vs @aws-crypto/client-node vs raw node:crypto vs `openssl speed`.
// Run: npm run bench -w bench -- core   (or: node bench/core/run.mjs after `npm run build`)
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  getLocalCryptographicMaterialsCache,
  NodeCachingMaterialsManager,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from '@aws-crypto/client-node';
import { createClient, createDataKeyCache, DEFAULT_FRAME_LENGTH, RawAesKeyProvider } from '@strongroom/core';
import { fmt, median, rate, table, trials } from '../lib/measure.mjs';

const TRIAL_MS = Number(process.env.BENCH_TRIAL_MS ?? 1000);
const STREAM_MIB = Number(process.env.BENCH_STREAM_MIB ?? 64);
const FRAME_LENGTHS = (process.env.BENCH_FRAME_LENGTHS ?? String(DEFAULT_FRAME_LENGTH)).split(',').map(Number);
const ONLY = process.env.BENCH_ONLY; // 'small' | 'stream'
const STREAM_TRIALS = Number(process.env.BENCH_STREAM_TRIALS ?? 7);
const key = crypto.randomBytes(32);
const context = { tenant: 'bench' };
const kib = crypto.randomBytes(1024);

// --- peers -------------------------------------------------------------------------------------
const esdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const keyring = new RawAesKeyringNode({
  keyName: 'k', keyNamespace: 'bench', unencryptedMasterKey: new Uint8Array(key),
  wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING, utf8Sorting: true,
});
const esdkCmm = () => new NodeCachingMaterialsManager({
  backingMaterials: keyring, cache: getLocalCryptographicMaterialsCache(1000), maxAge: 600_000,
  maxMessagesEncrypted: 2 ** 32, maxBytesEncrypted: 2 ** 50,
});
const ESDK_SUITE = { 0x0478: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY, 0x0578: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384 };

const provider = RawAesKeyProvider({ namespace: 'bench', name: 'k', key });
const cachedClient = (suite) => createClient({ keyProvider: provider, suite, cache: createDataKeyCache({ capacity: 1000, maxAge: 600_000 }) });

function rawGcm1k() {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  c.update(kib);
  c.final();
  c.getAuthTag();
}

function opensslRate() {
  try {
    const out = execFileSync('openssl', ['speed', '-elapsed', '-seconds', '2', '-evp', 'aes-256-gcm'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const line = out.split('\n').find((l) => l.startsWith('AES-256-GCM') || l.startsWith('aes-256-gcm'));
    const cols = line.trim().split(/\s+/).slice(1).map((v) => Number.parseFloat(v));
    return (cols[cols.length - 1] * 1000) / 2 ** 20; // 16384-byte blocks, in MiB/s
  } catch {
    return undefined;
  }
}

// --- small messages ----------------------------------------------------------------------------
async function smallMessages(suite) {
  const ours = cachedClient(suite);
  const cmm = esdkCmm();
  const { ciphertext } = await ours.encrypt(kib, { encryptionContext: context });
  const { result: esdkCiphertext } = await esdk.encrypt(cmm, kib, { suiteId: ESDK_SUITE[suite], encryptionContext: context, plaintextLength: 1024 });
  const r = {
    strongroomEncrypt: await trials(() => rate(() => ours.encrypt(kib, { encryptionContext: context }), TRIAL_MS)),
    esdkEncrypt: await trials(() => rate(() => esdk.encrypt(cmm, kib, { suiteId: ESDK_SUITE[suite], encryptionContext: context, plaintextLength: 1024 }), TRIAL_MS)),
    strongroomDecrypt: await trials(() => rate(() => ours.decrypt(ciphertext), TRIAL_MS)),
    esdkDecrypt: await trials(() => rate(() => esdk.decrypt(cmm, esdkCiphertext), TRIAL_MS)),
  };
  return r;
}

// --- streaming ---------------------------------------------------------------------------------
const CHUNK = 64 * 1024;
const chunks = Array.from({ length: (STREAM_MIB * 2 ** 20) / CHUNK }, () => crypto.randomBytes(CHUNK));
const sink = () => new Writable({ write(_c, _e, cb) { cb(); } });
async function mibPerSecond(run) {
  const t = performance.now();
  await run();
  return STREAM_MIB / ((performance.now() - t) / 1000);
}
async function collect(stream) {
  const out = [];
  await pipeline(stream, new Writable({ write(c, _e, cb) { out.push(c); cb(); } }));
  return out;
}

async function streaming(frameLength) {
  const ours = createClient({ keyProvider: provider, frameLength });
  // Warm-up: two passes each (JIT, buffer pools, page faults on fresh memory) before any timing.
  let ourMessage, esdkMessage;
  for (let i = 0; i < 2; i++) {
    ourMessage = await collect(ours.encryptStream(Readable.from(chunks), { encryptionContext: context }));
    esdkMessage = await collect(Readable.from(chunks).pipe(esdk.encryptStream(keyring, { suiteId: ESDK_SUITE[0x0478], frameLength, encryptionContext: context })));
    await pipeline(Readable.from(ourMessage), ours.decryptStream(), sink());
    await pipeline(Readable.from(esdkMessage), esdk.decryptUnsignedMessageStream(keyring), sink());
  }
  const runs = {
    rawNode: async () => {
      const c = crypto.createCipheriv('aes-256-gcm', key, crypto.randomBytes(12));
      for (const chunk of chunks) c.update(chunk);
      c.final();
    },
    strongroomEncrypt: () => pipeline(Readable.from(chunks), ours.encryptStream({ encryptionContext: context }), sink()),
    esdkEncrypt: () => pipeline(Readable.from(chunks), esdk.encryptStream(keyring, { suiteId: ESDK_SUITE[0x0478], frameLength, encryptionContext: context }), sink()),
    strongroomDecrypt: () => pipeline(Readable.from(ourMessage), ours.decryptStream(), sink()),
    esdkDecrypt: () => pipeline(Readable.from(esdkMessage), esdk.decryptUnsignedMessageStream(keyring), sink()),
  };
  // Interleaved rounds: each round measures every contender once, so drift in machine load hits all.
  const samples = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  for (let round = 0; round < STREAM_TRIALS; round++) {
    for (const [name, run] of Object.entries(runs)) samples[name].push(await mibPerSecond(run));
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

// --- run ---------------------------------------------------------------------------------------
console.log(`bench/core — node ${process.version}, ${crypto.getCiphers().includes('aes-256-gcm') ? 'OpenSSL ' + process.versions.openssl : ''}; median of trials (${TRIAL_MS} ms each)\n`);
if (ONLY !== 'stream') {
const raw1k = await trials(() => rate(rawGcm1k, TRIAL_MS));
const unsigned = await smallMessages(0x0478);
const signed = await smallMessages(0x0578);
const rows = [
  ['1 KiB encrypt, cached key, 0x0478', fmt(unsigned.strongroomEncrypt), fmt(unsigned.esdkEncrypt), fmt(unsigned.strongroomEncrypt / unsigned.esdkEncrypt, 1) + '×', fmt(raw1k), fmt(unsigned.strongroomEncrypt / raw1k, 2) + '×'],
  ['1 KiB decrypt, cached key, 0x0478', fmt(unsigned.strongroomDecrypt), fmt(unsigned.esdkDecrypt), fmt(unsigned.strongroomDecrypt / unsigned.esdkDecrypt, 1) + '×', '', ''],
  ['1 KiB encrypt, cached key, 0x0578 (signed)', fmt(signed.strongroomEncrypt), fmt(signed.esdkEncrypt), fmt(signed.strongroomEncrypt / signed.esdkEncrypt, 1) + '×', '', ''],
  ['1 KiB decrypt, cached key, 0x0578 (signed)', fmt(signed.strongroomDecrypt), fmt(signed.esdkDecrypt), fmt(signed.strongroomDecrypt / signed.esdkDecrypt, 1) + '×', '', ''],
];
console.log(table(['messages/s', 'Strongroom', '@aws-crypto/client-node', 'ratio', 'raw node:crypto GCM 1 KiB', 'Strongroom / raw'], rows));
}

if (ONLY !== 'small') {
const openssl = opensslRate();
for (const frameLength of FRAME_LENGTHS) {
const stream = await streaming(frameLength);
console.log(`\n${STREAM_MIB} MiB streamed, frame length ${frameLength}${frameLength === DEFAULT_FRAME_LENGTH ? ' (Strongroom default)' : ''}, MiB/s:`);
console.log(table(
  ['', 'Strongroom', '@aws-crypto/client-node (same frame length)', 'ratio', 'raw node:crypto GCM', 'openssl speed -evp aes-256-gcm (16 KiB)', 'Strongroom / OpenSSL'],
  [
    ['encrypt', fmt(stream.strongroomEncrypt), fmt(stream.esdkEncrypt), fmt(stream.strongroomEncrypt / stream.esdkEncrypt, 1) + '×', fmt(stream.rawNode), openssl ? fmt(openssl) : 'n/a', openssl ? fmt((100 * stream.strongroomEncrypt) / openssl) + '%' : 'n/a'],
    ['decrypt', fmt(stream.strongroomDecrypt), fmt(stream.esdkDecrypt), fmt(stream.strongroomDecrypt / stream.esdkDecrypt, 1) + '×', '', '', openssl ? fmt((100 * stream.strongroomDecrypt) / openssl) + '%' : 'n/a'],
  ],
));
}
}
