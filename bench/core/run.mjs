// bench/core — Strongroom core vs @aws-crypto/client-node vs raw node:crypto vs `openssl speed`.
// Run: npm run bench -w bench -- core   (or: node bench/core/run.mjs after `npm run build`)
import * as crypto from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createClient, DEFAULT_FRAME_LENGTH, SUITES } from '@strongroom/core';
import { fmt, interleavedRounds, loadAverage, median, numberFromChild, rate, roundRatio, table, warmedMedian } from '../lib/measure.mjs';
import { esdkPeer, ESDK_SUITE } from '../lib/esdk.mjs';
import { opensslGcmRate } from '../lib/openssl.mjs';
import { formatFloor } from '../lib/format-floor.mjs';
import { leanMessages } from '../lib/lean-message.mjs';
import { benchKeyProvider, cachedClient } from '../lib/strongroom.mjs';

const TRIAL_MS = Number(process.env.BENCH_TRIAL_MS ?? 1000);
const STREAM_MIB = Number(process.env.BENCH_STREAM_MIB ?? 64);
const FRAME_LENGTHS = (process.env.BENCH_FRAME_LENGTHS ?? String(DEFAULT_FRAME_LENGTH)).split(',').map(Number);
const ONLY = process.env.BENCH_ONLY; // 'small' | 'stream'
const STREAM_TRIALS = Number(process.env.BENCH_STREAM_TRIALS ?? 7);
const key = crypto.randomBytes(32);
const context = { tenant: 'bench' };
const kib = crypto.randomBytes(1024);

// --- peers -------------------------------------------------------------------------------------
const { esdk, keyring, cachingCmm: esdkCmm } = esdkPeer(key);

const provider = benchKeyProvider(key);

function rawGcm1k() {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  c.update(kib);
  c.final();
  c.getAuthTag();
}

// --- small messages ----------------------------------------------------------------------------
async function smallMessages(suite) {
  const ours = cachedClient(provider, suite);
  const cmm = esdkCmm();
  const { ciphertext } = await ours.encrypt(kib, { encryptionContext: context });
  const { result: esdkCiphertext } = await esdk.encrypt(cmm, kib, { suiteId: ESDK_SUITE[suite], encryptionContext: context, plaintextLength: 1024 });
  // Interleaved: each round measures every contender once (the order rotates); rates are medians of
  // the rounds, ratios medians of the per-round ratios. Raw node:crypto (one GCM of 1 KiB) and the
  // format's floor on node:crypto (bench/lib/format-floor.mjs) run in the same rounds as the unsigned suite.
  const floor = formatFloor();
  // The leanest complete message (bench/lib/lean-message.mjs), over a data key from the same provider:
  // refused unless Strongroom's client opens it, so what is timed is a real message.
  const lean = suite === 0x0478 ? leanMessages(await provider.generateDataKey({ suite: SUITES.get(0x0478), encryptionContext: context })) : undefined;
  if (lean) {
    const opened = await ours.decrypt(lean.encrypt(kib, context), { expectedEncryptionContext: context });
    if (!Buffer.from(opened.plaintext).equals(kib)) throw new Error('bench/lib/lean-message.mjs wrote a message that does not open to its plaintext');
  }
  return interleavedRounds([
    ['strongroomEncrypt', () => rate(() => ours.encrypt(kib, { encryptionContext: context }), TRIAL_MS)],
    ['esdkEncrypt', () => rate(() => esdk.encrypt(cmm, kib, { suiteId: ESDK_SUITE[suite], encryptionContext: context, plaintextLength: 1024 }), TRIAL_MS)],
    ['strongroomDecrypt', () => rate(() => ours.decrypt(ciphertext), TRIAL_MS)],
    ['esdkDecrypt', () => rate(() => esdk.decrypt(cmm, esdkCiphertext), TRIAL_MS)],
    ...(suite === 0x0478 ? [['raw', () => rate(rawGcm1k, TRIAL_MS)], ['floorEncrypt', () => rate(floor.encrypt, TRIAL_MS)], ['floorDecrypt', () => rate(floor.decrypt, TRIAL_MS)], ['leanEncrypt', () => rate(() => lean.encrypt(kib, context), TRIAL_MS)]] : []),
  ]);
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
// pieces (prefix, ciphertext, tag) handed to a sink that drops them, as the streamed contenders' sink
// does (collecting 64 MiB of output would time the garbage collector, not GCM); `keep` collects them
// once, for the decrypt peer's input. No stream hops, no header.
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
async function rawFramesEncrypt(frameLength, messageId, keep = false) {
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
    const tag = cipher.getAuthTag();
    if (keep) frames.push({ prefix, ciphertext, tag, length, final });
  };
  for (const chunk of chunks) {
    pending.push(chunk);
    pendingLength += chunk.length;
    while (pendingLength > frameLength) seal(frameLength, false);
    if ((sequence & 15) === 0) await yieldToEventLoop();
  }
  seal(pendingLength, true);
  return frames;
}
// A turn of the event loop every 16 frames, as a stream gives one between chunks: a loop that never
// yields keeps Node from finishing its garbage collection work (freed output buffers pile up) and ran at
// a fraction of its rate here when the other contenders' garbage was around.
const yieldToEventLoop = () => new Promise((resolve) => setImmediate(resolve));
// The same frames opened: one createDecipheriv per frame, tag set before the plaintext is released.
async function rawFramesDecrypt(frames, messageId) {
  let released = 0;
  let sequence = 1;
  for (const { ciphertext, tag, length, final } of frames) {
    const { iv, aad } = frameParams(messageId, sequence++, length, final);
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const plaintext = ciphertext.map((c) => decipher.update(c));
    decipher.final();
    for (const p of plaintext) released += p.length;
    if ((sequence & 15) === 0) await yieldToEventLoop();
  }
  return released;
}

// Each streamed contender is measured in a process of its own (BENCH_STREAM_CHILD=name:frameLength):
// two warm-up passes (JIT, buffer pools, first-touch page faults), then the median of three timed
// passes. In one shared process, a contender's rate depended on whose garbage it ran after (the raw
// frame loop ran at a fifth of its own rate right after the ESDK's streams), which is the previous
// contender's cost, not its own.
async function contender(name, frameLength) {
  const ours = createClient({ keyProvider: provider, frameLength });
  const messageId = crypto.randomBytes(32);
  const esdkOptions = { suiteId: ESDK_SUITE[0x0478], frameLength, encryptionContext: context };
  const ourMessage = name === 'strongroomDecrypt' ? await collect(ours.encryptStream(Readable.from(chunks), { encryptionContext: context })) : undefined;
  const esdkMessage = name === 'esdkDecrypt' ? await collect(Readable.from(chunks).pipe(esdk.encryptStream(keyring, esdkOptions))) : undefined;
  const rawFrames = name === 'rawFramesDecrypt' ? await rawFramesEncrypt(frameLength, messageId, true) : undefined;
  const runs = {
    rawFramesEncrypt: () => rawFramesEncrypt(frameLength, messageId),
    rawFramesDecrypt: () => rawFramesDecrypt(rawFrames, messageId),
    rawNode: async () => {
      const c = crypto.createCipheriv('aes-256-gcm', key, crypto.randomBytes(12));
      for (let i = 0; i < chunks.length; i++) {
        c.update(chunks[i]);
        if ((i & 15) === 15) await yieldToEventLoop(); // as the frame loops do
      }
      c.final();
    },
    strongroomEncrypt: () => pipeline(Readable.from(chunks), ours.encryptStream({ encryptionContext: context }), sink()),
    esdkEncrypt: () => pipeline(Readable.from(chunks), esdk.encryptStream(keyring, esdkOptions), sink()),
    strongroomDecrypt: () => pipeline(Readable.from(ourMessage), ours.decryptStream(), sink()),
    esdkDecrypt: () => pipeline(Readable.from(esdkMessage), esdk.decryptUnsignedMessageStream(keyring), sink()),
  };
  const run = runs[name];
  if (!run) throw new Error(`unknown contender ${name}`);
  return warmedMedian(run, mibPerSecond);
}
const STREAM_CONTENDERS = ['rawFramesEncrypt', 'rawFramesDecrypt', 'rawNode', 'strongroomEncrypt', 'esdkEncrypt', 'strongroomDecrypt', 'esdkDecrypt'];
const inChild = (name, frameLength) => numberFromChild(import.meta.url, { BENCH_STREAM_CHILD: `${name}:${frameLength}` }, name);

async function streaming(frameLength) {
  // Interleaved rounds: each round measures every contender once, so drift in machine load hits all;
  // the order rotates by one each round. `openssl speed` runs for one second in each round: the C
  // ceiling drifts with the machine as we do.
  // BENCH_STREAM_ONLY=name,name: only these contenders.
  const only = process.env.BENCH_STREAM_ONLY?.split(',');
  const cases = [['openssl', () => opensslGcmRate(1) ?? Number.NaN], ...STREAM_CONTENDERS.map((name) => [name, () => inChild(name, frameLength)])];
  const rounds = await interleavedRounds(cases.filter(([name]) => !only || only.includes(name)), STREAM_TRIALS);
  // BENCH_VERBOSE=1: every round's value, to see the spread behind a median.
  if (process.env.BENCH_VERBOSE) for (const [name, v] of rounds) console.error(name.padEnd(18), v.map((x) => fmt(x)).join(' '));
  return rounds;
}

if (process.env.BENCH_STREAM_CHILD) {
  const [name, frameLength] = process.env.BENCH_STREAM_CHILD.split(':');
  console.log(await contender(name, Number(frameLength)));
  process.exit(0);
}

// --- run ---------------------------------------------------------------------------------------
console.log(`bench/core — node ${process.version}, OpenSSL ${process.versions.openssl}; medians of interleaved trials (${TRIAL_MS} ms each for small messages); ${loadAverage()}\n`);
const med = (rounds, name) => median(rounds.get(name));
const times = (rounds, a, b) => fmt(roundRatio(rounds, a, b), 1) + '×';
const pct = (rounds, a, b) => {
  const r = roundRatio(rounds, a, b);
  return r === undefined || Number.isNaN(r) ? 'n/a' : fmt(100 * r) + '%';
};
if (ONLY !== 'stream') {
const unsigned = await smallMessages(0x0478);
const signed = await smallMessages(0x0578);
const rows = [
  ['1 KiB encrypt, cached key, 0x0478', fmt(med(unsigned, 'strongroomEncrypt')), fmt(med(unsigned, 'esdkEncrypt')), times(unsigned, 'strongroomEncrypt', 'esdkEncrypt'), fmt(med(unsigned, 'raw')), fmt(roundRatio(unsigned, 'strongroomEncrypt', 'raw'), 2) + '×'],
  ['1 KiB decrypt, cached key, 0x0478', fmt(med(unsigned, 'strongroomDecrypt')), fmt(med(unsigned, 'esdkDecrypt')), times(unsigned, 'strongroomDecrypt', 'esdkDecrypt'), '', ''],
  ['1 KiB encrypt, cached key, 0x0578 (signed)', fmt(med(signed, 'strongroomEncrypt')), fmt(med(signed, 'esdkEncrypt')), times(signed, 'strongroomEncrypt', 'esdkEncrypt'), '', ''],
  ['1 KiB decrypt, cached key, 0x0578 (signed)', fmt(med(signed, 'strongroomDecrypt')), fmt(med(signed, 'esdkDecrypt')), times(signed, 'strongroomDecrypt', 'esdkDecrypt'), '', ''],
];
console.log(`${rows.length} rows, ${Number(process.env.BENCH_TRIALS ?? 5)} interleaved rounds; rates are medians, ratios medians of the per-round ratios`);
console.log(table(['messages/s', 'Strongroom', '@aws-crypto/client-node', 'ratio', 'raw node:crypto GCM 1 KiB', 'Strongroom / raw'], rows));
// The floor: what the format's unavoidable node:crypto calls alone reach. The ESDK's rate over it is
// the highest ratio against the ESDK that any implementation on node:crypto could reach.
console.log(
  table(
    ['1 KiB, 0x0478, messages/s', "the format's floor on node:crypto", 'floor / ESDK (the reachable ceiling)', 'Strongroom / floor'],
    [
      ['encrypt', fmt(med(unsigned, 'floorEncrypt')), fmt(roundRatio(unsigned, 'floorEncrypt', 'esdkEncrypt'), 1) + '×', fmt(100 * roundRatio(unsigned, 'strongroomEncrypt', 'floorEncrypt')) + '%'],
      ['decrypt', fmt(med(unsigned, 'floorDecrypt')), fmt(roundRatio(unsigned, 'floorDecrypt', 'esdkDecrypt'), 1) + '×', fmt(100 * roundRatio(unsigned, 'strongroomDecrypt', 'floorDecrypt')) + '%'],
    ],
  ),
);
// The leanest complete message (one frame, cached key, nothing general): the ceiling of a whole
// message, where the floor above is the ceiling of its crypto calls alone.
console.log(
  table(
    ['1 KiB, 0x0478, messages/s', 'leanest complete message (bench/lib/lean-message.mjs)', 'lean / ESDK', 'lean / floor', 'Strongroom / lean'],
    [['encrypt', fmt(med(unsigned, 'leanEncrypt')), fmt(roundRatio(unsigned, 'leanEncrypt', 'esdkEncrypt'), 1) + '×', fmt(100 * roundRatio(unsigned, 'leanEncrypt', 'floorEncrypt')) + '%', fmt(100 * roundRatio(unsigned, 'strongroomEncrypt', 'leanEncrypt')) + '%']],
  ),
);
console.log(loadAverage());
}

if (ONLY !== 'small') {
for (const frameLength of FRAME_LENGTHS) {
const stream = await streaming(frameLength);
console.log(`\n${STREAM_MIB} MiB streamed, frame length ${frameLength}${frameLength === DEFAULT_FRAME_LENGTH ? ' (Strongroom default)' : ''}, MiB/s, ${STREAM_TRIALS} interleaved rounds (openssl speed, 1 s, in each); rates are medians, ratios medians of the per-round ratios:`);
console.log(table(
  ['', 'Strongroom', '@aws-crypto/client-node (same frame length)', 'ratio', 'raw node:crypto, same frames', 'Strongroom / raw frames', 'raw node:crypto, one GCM', 'openssl speed -evp aes-256-gcm (16 KiB)', 'Strongroom / OpenSSL', 'raw frames / OpenSSL'],
  [
    ['encrypt', fmt(med(stream, 'strongroomEncrypt')), fmt(med(stream, 'esdkEncrypt')), times(stream, 'strongroomEncrypt', 'esdkEncrypt'), fmt(med(stream, 'rawFramesEncrypt')), pct(stream, 'strongroomEncrypt', 'rawFramesEncrypt'), fmt(med(stream, 'rawNode')), fmt(med(stream, 'openssl')), pct(stream, 'strongroomEncrypt', 'openssl'), pct(stream, 'rawFramesEncrypt', 'openssl')],
    ['decrypt', fmt(med(stream, 'strongroomDecrypt')), fmt(med(stream, 'esdkDecrypt')), times(stream, 'strongroomDecrypt', 'esdkDecrypt'), fmt(med(stream, 'rawFramesDecrypt')), pct(stream, 'strongroomDecrypt', 'rawFramesDecrypt'), '', '', pct(stream, 'strongroomDecrypt', 'openssl'), pct(stream, 'rawFramesDecrypt', 'openssl')],
  ],
));
}
console.log(loadAverage());
}
