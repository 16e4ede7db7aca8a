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
import { fmt, interleaved, loadAverage, median, rate, table, trials } from '../lib/measure.mjs';

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
  // Interleaved: each round measures every contender once (the order rotates), median of the rounds.
  const r = await interleaved([
    ['strongroomEncrypt', () => rate(() => ours.encrypt(kib, { encryptionContext: context }), TRIAL_MS)],
    ['esdkEncrypt', () => rate(() => esdk.encrypt(cmm, kib, { suiteId: ESDK_SUITE[suite], encryptionContext: context, plaintextLength: 1024 }), TRIAL_MS)],
    ['strongroomDecrypt', () => rate(() => ours.decrypt(ciphertext), TRIAL_MS)],
    ['esdkDecrypt', () => rate(() => esdk.decrypt(cmm, esdkCiphertext), TRIAL_MS)],
  ]);
  return Object.fromEntries(r);
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

// Raw node:crypto over the same frames: the in-process ceiling of a framed message. The input chunks
// are cut into frames exactly as Strongroom cuts them (a frame is closed once more bytes follow; the
// last one is the final frame), one createCipheriv per frame with the message format's IV (8 zero
// bytes ‖ u32 sequence number) and body AAD (message id ‖ label ‖ u32 sequence ‖ u64 length), output
// pieces (prefix, ciphertext, tag) collected into an array. No stream hops, no header.
const FRAME_LABEL = Buffer.from('AWSKMSEncryptionClient Frame');
const FINAL_LABEL = Buffer.from('AWSKMSEncryptionClient Final Frame');
function frameParams(messageId, sequence, length, final) {
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(sequence, 8);
  const label = final ? FINAL_LABEL : FRAME_LABEL;
  const aad = Buffer.alloc(messageId.length + label.length + 12);
  messageId.copy(aad);
  label.copy(aad, messageId.length);
  aad.writeUInt32BE(sequence, messageId.length + label.length);
  aad.writeUInt32BE(length, messageId.length + label.length + 8);
  const prefix = Buffer.alloc(final ? 24 : 16);
  return { iv, aad, prefix };
}
function rawFramesEncrypt(frameLength, messageId) {
  const frames = [];
  const pending = [];
  let pendingLength = 0;
  let sequence = 1;
  const take = (n) => {
    const pieces = [];
    pendingLength -= n;
    while (n > 0) {
      const head = pending[0];
      if (head.length <= n) {
        pieces.push(head);
        pending.shift();
        n -= head.length;
      } else {
        pieces.push(head.subarray(0, n));
        pending[0] = head.subarray(n);
        n = 0;
      }
    }
    return pieces;
  };
  const seal = (length, final) => {
    const pieces = take(length);
    const { iv, aad, prefix } = frameParams(messageId, sequence++, length, final);
    const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad);
    const ciphertext = pieces.map((p) => cipher.update(p));
    cipher.final();
    frames.push({ prefix, ciphertext, tag: cipher.getAuthTag(), length, final });
  };
  for (const chunk of chunks) {
    pending.push(chunk);
    pendingLength += chunk.length;
    while (pendingLength > frameLength) seal(frameLength, false);
  }
  seal(pendingLength, true);
  return frames;
}
// The same frames opened: one createDecipheriv per frame, tag set before the plaintext is released.
function rawFramesDecrypt(frames, messageId) {
  const out = [];
  let sequence = 1;
  for (const { ciphertext, tag, length, final } of frames) {
    const { iv, aad } = frameParams(messageId, sequence++, length, final);
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const plaintext = ciphertext.map((c) => decipher.update(c));
    decipher.final();
    out.push(...plaintext);
  }
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
  const messageId = crypto.randomBytes(32);
  const rawFrames = rawFramesEncrypt(frameLength, messageId);
  const runs = {
    rawFramesEncrypt: async () => void rawFramesEncrypt(frameLength, messageId),
    rawFramesDecrypt: async () => void rawFramesDecrypt(rawFrames, messageId),
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
  // The order rotates by one each round, so no contender always runs first or right after another's garbage.
  const names = Object.keys(runs);
  const samples = Object.fromEntries(names.map((k) => [k, []]));
  for (let round = 0; round < STREAM_TRIALS; round++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(round + j) % names.length];
      samples[name].push(await mibPerSecond(runs[name]));
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

// --- run ---------------------------------------------------------------------------------------
console.log(`bench/core — node ${process.version}, OpenSSL ${process.versions.openssl}; medians of interleaved trials (${TRIAL_MS} ms each for small messages); ${loadAverage()}\n`);
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
console.log(loadAverage());
}

if (ONLY !== 'small') {
const openssl = opensslRate();
const pct = (a, b) => (b ? fmt((100 * a) / b) + '%' : 'n/a');
for (const frameLength of FRAME_LENGTHS) {
const stream = await streaming(frameLength);
console.log(`\n${STREAM_MIB} MiB streamed, frame length ${frameLength}${frameLength === DEFAULT_FRAME_LENGTH ? ' (Strongroom default)' : ''}, MiB/s:`);
console.log(table(
  ['', 'Strongroom', '@aws-crypto/client-node (same frame length)', 'ratio', 'raw node:crypto, same frames', 'Strongroom / raw frames', 'raw node:crypto, one GCM', 'openssl speed -evp aes-256-gcm (16 KiB)', 'Strongroom / OpenSSL', 'raw frames / OpenSSL'],
  [
    ['encrypt', fmt(stream.strongroomEncrypt), fmt(stream.esdkEncrypt), fmt(stream.strongroomEncrypt / stream.esdkEncrypt, 1) + '×', fmt(stream.rawFramesEncrypt), pct(stream.strongroomEncrypt, stream.rawFramesEncrypt), fmt(stream.rawNode), openssl ? fmt(openssl) : 'n/a', pct(stream.strongroomEncrypt, openssl), pct(stream.rawFramesEncrypt, openssl)],
    ['decrypt', fmt(stream.strongroomDecrypt), fmt(stream.esdkDecrypt), fmt(stream.strongroomDecrypt / stream.esdkDecrypt, 1) + '×', fmt(stream.rawFramesDecrypt), pct(stream.strongroomDecrypt, stream.rawFramesDecrypt), '', '', pct(stream.strongroomDecrypt, openssl), pct(stream.rawFramesDecrypt, openssl)],
  ],
));
}
console.log(loadAverage());
}
