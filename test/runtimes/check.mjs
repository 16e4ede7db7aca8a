/**
 * The runtime check: plain ESM, no test framework, only Web-standard globals (TextEncoder, atob/btoa,
 * Uint8Array) and the public API of `@strongroom/core` passed in by the runtime's adapter — so the same
 * file runs in Node, Deno, Bun, workerd (Cloudflare Workers) and Chromium. Each check returns
 * `{ name, ok, detail }`; nothing throws out of `runChecks`.
 *
 * What it checks (issue 12, "Test it in each runtime"): raw AES and RSA key providers round-trip
 * (AES-128/192/256 per the ESDK raw AES keyring, RSA-OAEP-SHA1…512 per the raw RSA keyring:
 * https://github.com/awslabs/aws-encryption-sdk-specification/tree/master/framework), a wrong key or a
 * flipped byte is a typed StrongroomError; 0, 1 and frame-boundary sizes one-shot and streamed; a
 * 64 MiB streamed round trip with memory sampled; the stream functions of `@strongroom/core/streams`
 * (passed in as `streams`) against the client; a sample of the public ESDK decrypt vectors; the
 * worker pool (`createWorkerPool`: Node worker_threads in the Node build, Web Workers in the web build;
 * where the runtime has neither, the documented UNSUPPORTED); and the cross-runtime messages (phase
 * "write" makes this runtime's, phase "read" opens everyone's).
 */

const FRAME = 4096;
const SIZES = [0, 1, FRAME - 1, FRAME, FRAME + 1, 2 * FRAME, 3 * FRAME + 1];
const CHUNK = 64 * 1024;
const BIG = 64 * 1024 * 1024;
/**
 * Live-memory growth allowed while 64 MiB streams through, sampled after a GC: the streams' queues,
 * never a copy of the data (a buffering decrypt or encrypt needs 64 MiB more). The table reports the
 * figure measured in each runtime.
 */
const MEMORY_BOUND = 48 * 1024 * 1024;
/** The same where a script cannot ask for a GC (garbage counts too). */
const MEMORY_BOUND_NO_GC = 56 * 1024 * 1024;
const SAMPLE_EVERY = 4 * 1024 * 1024;
const CROSS_SIZE = 3 * FRAME + 77;

export const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
export function toBase64(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/** Deterministic bytes: position i of a stream seeded by `seed`. */
function patternByte(i, seed) {
  const x = Math.imul((i >>> 0) ^ seed, 2654435761) >>> 0;
  return (x ^ (x >>> 15) ^ (i >>> 16)) & 0xff;
}
function pattern(length, seed) {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = patternByte(i, seed);
  return out;
}
function equal(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The readable side of what the client's streams return: the Node entry's Duplex, or the web entry's `{ readable, writable }`. */
const readableOf = (stream) => (stream && typeof stream.getReader !== 'function' && stream.readable && typeof stream.readable.getReader === 'function' ? stream.readable : stream);

/** Chunks of whatever the client's streams return: a Web ReadableStream, a TransformStream's readable, or an async iterable (a Node stream). */
async function* chunksOf(stream) {
  const readable = stream && typeof stream.getReader !== 'function' && stream.readable && typeof stream.readable.getReader === 'function' ? stream.readable : stream;
  if (readable && typeof readable.getReader === 'function') {
    const reader = readable.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }
  for await (const chunk of readable) yield chunk;
}
async function collect(stream) {
  const parts = [];
  let length = 0;
  for await (const c of chunksOf(stream)) {
    parts.push(c);
    length += c.length;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
/** An input the client's streaming entry points take in every runtime: a Web ReadableStream of the given chunks. */
function streamOf(bytes, chunk = 1000) {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
}

async function check(name, fn) {
  try {
    const detail = await fn();
    return { name, ok: true, detail: detail ?? '' };
  } catch (e) {
    return { name, ok: false, detail: String((e && (e.stack || e.message)) || e).slice(0, 2000) };
  }
}
function assert(condition, message) {
  if (!condition) throw new Error(message);
}
async function expectTyped(core, promise, codes, what) {
  try {
    await promise;
  } catch (e) {
    assert(core.StrongroomError.isInstance(e), `${what}: expected a StrongroomError, got ${e && e.name}: ${e && e.message}`);
    assert(codes.includes(e.code), `${what}: expected ${codes.join(' or ')}, got ${e.code}`);
    return e.code;
  }
  throw new Error(`${what}: succeeded, expected ${codes.join(' or ')}`);
}

function keyProviders(core, fixtures) {
  const aes = (bits, name = `aes-${bits}`) => core.RawAesKeyProvider({ namespace: 'runtimes', name, key: fromBase64(fixtures.aes[bits]) });
  const rsa = (padding, { pub = true, priv = true } = {}) =>
    core.RawRsaKeyProvider({ namespace: 'runtimes', name: `rsa-${padding}`, padding, publicKey: pub ? fixtures.rsa.publicKey : undefined, privateKey: priv ? fixtures.rsa.privateKey : undefined });
  return { aes, rsa };
}

async function roundTrip(core, client, plaintext, context) {
  const { ciphertext } = await client.encrypt(plaintext, { encryptionContext: context });
  const { plaintext: back, encryptionContext } = await client.decrypt(ciphertext, { expectedEncryptionContext: context });
  assert(equal(back, plaintext), `round trip of ${plaintext.length} bytes: plaintext differs`);
  for (const [k, v] of Object.entries(context ?? {})) assert(encryptionContext[k] === v, `context ${k} lost`);
  return ciphertext;
}

function providerChecks(core, fixtures) {
  const { aes, rsa } = keyProviders(core, fixtures);
  const out = [];
  for (const bits of [128, 192, 256]) {
    for (const suite of [0x0478, 0x0578]) {
      out.push(() =>
        check(`raw AES-${bits}, suite 0x${suite.toString(16).padStart(4, '0')}: round trip; wrong key and flipped byte are typed errors`, async () => {
          const client = core.createClient({ keyProvider: aes(bits), suite, frameLength: FRAME });
          const plaintext = pattern(5000, bits);
          const ciphertext = await roundTrip(core, client, plaintext, { purpose: 'conformance', bits: String(bits) });
          // A fresh provider with the same key opens it (nothing is held in the instance).
          const again = await core.createClient({ keyProvider: aes(bits), suite }).decrypt(ciphertext);
          assert(equal(again.plaintext, plaintext), 'fresh provider: plaintext differs');
          const wrongKey = { ...fixtures.aes, [bits]: fixtures.aesWrong[bits] };
          const wrong = core.createClient({ keyProvider: keyProviders(core, { ...fixtures, aes: wrongKey }).aes(bits), suite });
          await expectTyped(core, wrong.decrypt(ciphertext), ['NO_DECRYPTION_KEY'], 'wrong key');
          const flipped = ciphertext.slice();
          flipped[flipped.length - 200] ^= 1;
          await expectTyped(core, client.decrypt(flipped), ['AUTHENTICATION_FAILED', 'MALFORMED'], 'flipped byte');
          return `${ciphertext.length} B ciphertext`;
        }),
      );
    }
  }
  for (const padding of ['oaep-sha1', 'oaep-sha256', 'oaep-sha384', 'oaep-sha512']) {
    out.push(() =>
      check(`raw RSA-3072 ${padding}: public-key-only provider encrypts, private key decrypts; public-only cannot decrypt`, async () => {
        const plaintext = pattern(3000, padding.length);
        const writer = core.createClient({ keyProvider: rsa(padding, { priv: false }), frameLength: FRAME });
        const { ciphertext } = await writer.encrypt(plaintext, { encryptionContext: { padding } });
        const reader = core.createClient({ keyProvider: rsa(padding, { pub: false }) });
        const { plaintext: back } = await reader.decrypt(ciphertext, { expectedEncryptionContext: { padding } });
        assert(equal(back, plaintext), 'plaintext differs');
        await expectTyped(core, writer.decrypt(ciphertext), ['NO_DECRYPTION_KEY'], 'public-only decrypt');
        return `${ciphertext.length} B ciphertext`;
      }),
    );
  }
  out.push(() =>
    check('two providers (AES generates, RSA also wraps): either one alone decrypts', async () => {
      const plaintext = pattern(777, 9);
      const both = core.createClient({ keyProviders: [aes(256), rsa('oaep-sha256')], suite: 0x0578 });
      const { ciphertext } = await both.encrypt(plaintext);
      for (const only of [aes(256), rsa('oaep-sha256', { pub: false })]) {
        const { plaintext: back } = await core.createClient({ keyProvider: only }).decrypt(ciphertext);
        assert(equal(back, plaintext), 'plaintext differs');
      }
    }),
  );
  return out;
}

function sizeChecks(core, fixtures, streams) {
  const { aes } = keyProviders(core, fixtures);
  const out = [];
  out.push(() =>
    check(`sizes ${SIZES.join(', ')} (frame ${FRAME}) through @strongroom/core/streams (the stream functions): opened by the client, and the client's messages by them`, async () => {
      assert(streams && typeof streams.encryptStream === 'function', "the runtime's adapter did not load @strongroom/core/streams");
      const keyProvider = streams.RawAesKeyProvider({ namespace: 'runtimes', name: 'aes-256', key: fromBase64(fixtures.aes[256]) });
      const client = core.createClient({ keyProvider: aes(256), frameLength: FRAME });
      for (const size of SIZES) {
        const plaintext = pattern(size, size + 7);
        const context = { size: String(size) };
        const written = await collect(streamOf(plaintext, 1000).pipeThrough(streams.encryptStream({ keyProvider, frameLength: FRAME, encryptionContext: context })));
        const { plaintext: a } = await client.decrypt(written, { expectedEncryptionContext: context });
        assert(equal(a, plaintext), `size ${size}: encryptStream, client decrypt differs`);
        const { ciphertext } = await client.encrypt(plaintext, { encryptionContext: context });
        const b = await collect(streamOf(ciphertext, 333).pipeThrough(streams.decryptStream({ keyProvider, expectedEncryptionContext: context })));
        assert(equal(b, plaintext), `size ${size}: client encrypt, decryptStream differs`);
      }
    }),
  );
  for (const suite of [0x0478, 0x0578]) {
    const hex = suite.toString(16).padStart(4, '0');
    out.push(() =>
      check(`sizes ${SIZES.join(', ')} (frame ${FRAME}), suite 0x${hex}: one-shot, streamed encrypt, streamed decrypt`, async () => {
        const client = core.createClient({ keyProvider: aes(256), suite, frameLength: FRAME });
        for (const size of SIZES) {
          const plaintext = pattern(size, size + suite);
          const oneShot = await roundTrip(core, client, plaintext, { size: String(size) });
          const streamed = await collect(client.encryptStream(streamOf(plaintext, 1000), { encryptionContext: { size: String(size) } }));
          const { plaintext: a } = await client.decrypt(streamed, { expectedEncryptionContext: { size: String(size) } });
          assert(equal(a, plaintext), `size ${size}: streamed encrypt, one-shot decrypt differs`);
          const b = await collect(client.decryptStream(streamOf(oneShot, 333)));
          assert(equal(b, plaintext), `size ${size}: one-shot encrypt, streamed decrypt differs`);
        }
      }),
    );
  }
  out.push(() =>
    check('non-framed (frameLength 0): 0 and 1 bytes round trip', async () => {
      const client = core.createClient({ keyProvider: aes(256), frameLength: 0 });
      for (const size of [0, 1]) await roundTrip(core, client, pattern(size, 1), {});
    }),
  );
  return out;
}

async function bigStream(core, fixtures, memory) {
  const { aes } = keyProviders(core, fixtures);
  const client = core.createClient({ keyProvider: aes(256) });
  const block = pattern(CHUNK, 64);
  const expectedByte = (o) => {
    const r = o % CHUNK;
    return r < 4 ? (Math.floor(o / CHUNK) >>> (8 * r)) & 0xff : block[r];
  };
  let sent = 0;
  const source = new ReadableStream(
    {
      pull(controller) {
        if (sent >= BIG) return controller.close();
        const chunk = block.slice();
        const index = sent / CHUNK;
        for (let r = 0; r < 4; r++) chunk[r] = (index >>> (8 * r)) & 0xff;
        controller.enqueue(chunk);
        sent += CHUNK;
      },
    },
    { highWaterMark: 1 },
  );
  // Live memory: sampled after a full GC (where the runtime lets a script ask for one) every 4 MiB,
  // so garbage not yet collected does not count; what is retained is what a buffering bug would grow.
  memory.gc();
  const baseline = memory.read();
  let peak = baseline;
  let peakRss = memory.rss?.();
  const sample = (collect) => {
    if (collect) memory.gc();
    const now = memory.read();
    if (now !== undefined && (peak === undefined || now > peak)) peak = now;
    const rss = memory.rss?.();
    if (rss !== undefined && rss > peakRss) peakRss = rss;
  };
  let received = 0;
  let bad = -1;
  let nextSample = SAMPLE_EVERY;
  for await (const chunk of chunksOf(client.decryptStream(readableOf(client.encryptStream(source))))) {
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] !== expectedByte(received + i)) {
        bad = received + i;
        break;
      }
    }
    if (bad >= 0) break;
    received += chunk.length;
    if (received >= nextSample) {
      sample(true);
      nextSample += SAMPLE_EVERY;
    } else sample(false);
  }
  assert(bad < 0, `64 MiB stream: byte ${bad} differs`);
  assert(received === BIG, `64 MiB stream: got ${received} bytes`);
  const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;
  const rssText = peakRss === undefined ? '' : `; peak RSS ${mib(peakRss)}`;
  if (baseline === undefined) return { detail: `64 MiB round trip ok; ${memory.kind}${rssText}` };
  const growth = peak - baseline;
  const bound = memory.collects ? MEMORY_BOUND : MEMORY_BOUND_NO_GC;
  assert(growth < bound, `${memory.kind} grew ${mib(growth)} while 64 MiB streamed: more than ${mib(bound)}`);
  return { detail: `64 MiB round trip ok; ${memory.kind}: peak +${mib(growth)} over baseline${rssText}`, peakGrowth: growth, peak, peakRss };
}

function vectorProvider(core, mk, all) {
  if (mk.algorithm === 'aes') return core.RawAesKeyProvider({ namespace: mk.providerId, name: mk.keyId, key: fromBase64(mk.key) });
  const publicKey = all.find((m) => m.publicKey)?.publicKey ?? mk.publicKey;
  return core.RawRsaKeyProvider({ namespace: mk.providerId, name: mk.keyId, padding: mk.padding, publicKey, privateKey: mk.privateKey, allowLegacyPkcs1: true });
}

/** One check per algorithm suite: its sampled vectors must all decrypt to their plaintext. */
function vectorChecks(core, fixtures) {
  const groups = new Map();
  for (const v of fixtures.vectors) {
    const group = `suite 0x${v.id.slice(0, 4)}, raw ${v.masterKeys.some((m) => m.algorithm === 'rsa') ? 'RSA' : 'AES'}`;
    groups.set(group, [...(groups.get(group) ?? []), v]);
  }
  return [...groups].sort().map(([group, vectors]) => () =>
    check(`ESDK public decrypt vectors, ${group}`, async () => {
      const failures = [];
      for (const v of vectors) {
        try {
          const client = core.createClient({
            keyProviders: v.masterKeys.map((mk) => vectorProvider(core, mk, v.masterKeys)),
            commitmentPolicy: core.CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT,
          });
          const options = v.cmm === 'RequiredEncryptionContext' ? { encryptionContext: v.encryptionContext } : { expectedEncryptionContext: v.encryptionContext };
          const { plaintext } = await client.decrypt(fromBase64(v.ciphertext), options);
          if (!equal(plaintext, fromBase64(v.plaintext))) failures.push(`${v.id}: plaintext differs`);
        } catch (e) {
          failures.push(`${v.id}: ${e && e.code ? e.code + ' ' : ''}${e && e.message}`);
        }
      }
      assert(failures.length === 0, `${failures.length}/${vectors.length} vectors failed:\n${failures.slice(0, 4).join('\n')}`);
      return `${vectors.length} vectors`;
    }),
  );
}

/** The messages this runtime writes for every other runtime to open: a signed AES one (streamed) and an RSA-OAEP one. */
async function crossWrite(core, fixtures, runtime, kind) {
  const { aes, rsa } = keyProviders(core, fixtures);
  const plaintext = pattern(CROSS_SIZE, 2026);
  const context = { writer: runtime };
  if (kind === 'aes') {
    const signed = core.createClient({ keyProvider: aes(256), suite: 0x0578, frameLength: FRAME });
    return { [`${runtime}.aes-signed.bin`]: await collect(signed.encryptStream(streamOf(plaintext, 4000), { encryptionContext: context })) };
  }
  const wrapped = core.createClient({ keyProvider: rsa('oaep-sha256', { priv: false }), frameLength: FRAME });
  return { [`${runtime}.rsa-oaep256.bin`]: (await wrapped.encrypt(plaintext, { encryptionContext: context })).ciphertext };
}

/** Opens every message in `messages` (name → bytes): each must decrypt to the cross plaintext with its writer's context. */
async function crossRead(core, fixtures, messages) {
  const { aes, rsa } = keyProviders(core, fixtures);
  const plaintext = pattern(CROSS_SIZE, 2026);
  const results = [];
  for (const [file, bytes] of Object.entries(messages)) {
    const writer = file.slice(0, file.indexOf('.'));
    const rsaMessage = file.includes('.rsa-');
    results.push(
      await check(`open ${file}`, async () => {
        const client = core.createClient({ keyProvider: rsaMessage ? rsa('oaep-sha256', { pub: false }) : aes(256) });
        const streamed = await collect(client.decryptStream(streamOf(bytes, 2500), { expectedEncryptionContext: { writer } }));
        assert(equal(streamed, plaintext), 'streamed decrypt: plaintext differs');
        const { plaintext: back, encryptionContext } = await client.decrypt(bytes);
        assert(equal(back, plaintext) && encryptionContext.writer === writer, 'one-shot decrypt: plaintext or writer differs');
      }),
    );
  }
  return results;
}

/** Frames of the pooled checks: 4 KiB, so a batch (512 KiB) holds 128 and the message spans several batches. */
const POOL_FRAMES = 600;
const POOL_SIZE = POOL_FRAMES * FRAME + 77;

/**
 * The worker pool from the built package: a multi-batch message through a pool of 2, in memory and
 * streamed, both ways against the one-thread client, a signed suite, a tampered frame (typed error,
 * nothing released from its batch on), and close() (ABORTED). A runtime without workers must say
 * UNSUPPORTED, and `parallelism: 1` must still work there (the calling thread).
 */
function poolChecks(core, fixtures) {
  const { aes } = keyProviders(core, fixtures);
  return [
    () =>
      check(`worker pool (createWorkerPool, size 2): ${POOL_FRAMES} frames of ${FRAME} B in memory and streamed both ways, signed suite, tampered frame, close()`, async () => {
        let pool;
        try {
          pool = core.createWorkerPool({ size: 2 });
        } catch (e) {
          if (!core.StrongroomError.isInstance(e) || e.code !== 'UNSUPPORTED') throw e;
          assert(typeof globalThis.Worker !== 'function', `createWorkerPool said UNSUPPORTED although this runtime has a Worker global: ${e.message}`);
          await expectTyped(core, (async () => core.createClient({ keyProvider: aes(256), parallelism: 2 }))(), ['UNSUPPORTED'], 'parallelism 2 without workers');
          const one = core.createClient({ keyProvider: aes(256), parallelism: 1, frameLength: FRAME });
          await roundTrip(core, one, pattern(3 * FRAME + 5, 7), {});
          return 'no workers in this runtime: createWorkerPool and parallelism 2 are UNSUPPORTED, parallelism 1 runs on the calling thread';
        }
        try {
          const plaintext = pattern(POOL_SIZE, 5);
          const pooled = core.createClient({ keyProvider: aes(256), pool, frameLength: FRAME });
          const plain = core.createClient({ keyProvider: aes(256), frameLength: FRAME });
          const context = { pool: 'yes' };
          const { ciphertext } = await pooled.encrypt(plaintext, { encryptionContext: context });
          assert(equal((await plain.decrypt(ciphertext)).plaintext, plaintext), 'pool encrypt → one-thread decrypt: plaintext differs');
          assert(equal((await pooled.decrypt(ciphertext, { expectedEncryptionContext: context })).plaintext, plaintext), 'pool → pool in memory: plaintext differs');
          const streamed = await collect(pooled.encryptStream(streamOf(plaintext, 65536), { encryptionContext: context }));
          assert(equal(await collect(pooled.decryptStream(streamOf(streamed, 50000))), plaintext), 'pool stream → pool stream: plaintext differs');
          const fromPlain = (await plain.encrypt(plaintext)).ciphertext;
          assert(equal(await collect(pooled.decryptStream(streamOf(fromPlain, 70000))), plaintext), 'one-thread → pool stream: plaintext differs');
          const signed = core.createClient({ keyProvider: aes(256), pool, suite: 0x0578, frameLength: FRAME });
          const signedMessage = await collect(signed.encryptStream(streamOf(plaintext, 65536)));
          assert(equal((await plain.decrypt(signedMessage)).plaintext, plaintext), 'signed, pool stream → one-thread: plaintext differs');
          // Frame 300 is in the third batch (128 frames each): the first two batches may be released, nothing from the third on.
          const headerLength = core.parseHeader(ciphertext, { maxEncryptedDataKeys: 10 }).length;
          const target = 300;
          const tampered = ciphertext.slice();
          tampered[headerLength + target * (FRAME + 32) + 100] ^= 1;
          const got = [];
          const code = await expectTyped(
            core,
            (async () => {
              for await (const c of chunksOf(pooled.decryptStream(streamOf(tampered, 65536)))) got.push(c);
            })(),
            ['AUTHENTICATION_FAILED'],
            'tampered frame through the pool',
          );
          const released = got.reduce((n, c) => n + c.length, 0);
          assert(released <= 256 * FRAME, `tampered frame ${target}: ${released} bytes released, more than the batches before it`);
          let at = 0;
          for (const c of got) {
            assert(equal(c, plaintext.subarray(at, at + c.length)), 'tampered stream: released bytes differ from the plaintext');
            at += c.length;
          }
          const closing = pool.close();
          await expectTyped(core, pooled.encrypt(plaintext), ['ABORTED'], 'encrypt after close()');
          await closing;
          return `round trips ok; tampered frame: ${code} after ${released} B released`;
        } finally {
          await pool.close();
        }
      }),
  ];
}

/**
 * @param core the `@strongroom/core` module as the runtime loads it
 * @param fixtures keys and vectors from the test driver (fixtures.json)
 * @param options.runtime short name (file names of the cross messages)
 * @param options.phase 'write' (every check, then this runtime's cross messages) or 'read' (open `messages`)
 * @param options.memory `{ kind, read(): number | undefined, gc(): void }`
 * @param options.messages for phase 'read': file name → bytes
 */
export async function runChecks(core, fixtures, { runtime, phase, memory, messages, streams }) {
  if (phase === 'read') return { checks: await crossRead(core, fixtures, messages) };
  const checks = [];
  for (const pending of [...providerChecks(core, fixtures), ...sizeChecks(core, fixtures, streams), ...vectorChecks(core, fixtures)]) checks.push(await pending());
  let peak;
  checks.push(
    await check('64 MiB streamed round trip, bounded memory', async () => {
      const r = await bigStream(core, fixtures, memory);
      peak = r;
      return r.detail;
    }),
  );
  // After the 64 MiB stream, so that the pool's threads and garbage are not in that check's baseline.
  for (const pending of poolChecks(core, fixtures)) checks.push(await pending());
  const written = {};
  for (const kind of ['aes', 'rsa']) {
    checks.push(
      await check(`cross-runtime: write the ${kind === 'aes' ? 'signed AES' : 'RSA-OAEP'} message`, async () => {
        const files = await crossWrite(core, fixtures, runtime, kind);
        Object.assign(written, files);
        return Object.keys(files).join(', ');
      }),
    );
  }
  return { checks, written, memory: { kind: memory.kind, peak: peak?.peak, growth: peak?.peakGrowth, peakRss: peak?.peakRss } };
}
