/**
 * Random access to framed messages: a message sealed frame by frame (in any order) is the message
 * decrypt() opens; single frames and runs of frames open only when sequence number, final marker
 * and tag are right.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createClient,
  FINAL_FRAME_OVERHEAD,
  framedHeaderNeed,
  framedLayout,
  framesFor,
  type FramedSealer,
  RawAesKeyProvider,
  REGULAR_FRAME_OVERHEAD,
  StrongroomError,
} from '../src/index';

const key = randomBytes(32);
const provider = RawAesKeyProvider({ namespace: 'test', name: 'k1', key });
const FRAME = 100;
const client = createClient({ keyProvider: provider, frameLength: FRAME });
const binding = { bucket: 'b1', key: 'objects/one' };
const sealOptions = { encryptionContext: { tenant: 'acme', ...binding }, requiredEncryptionContextKeys: ['bucket', 'key'] };
const openOptions = { encryptionContext: { tenant: 'acme', ...binding } };

/** Seal `plaintext` frame by frame in the order `order` gives (a permutation of the frame indexes). */
function sealAll(sealer: FramedSealer, plaintext: Uint8Array, order: (n: number) => number[] = (n) => [...Array(n).keys()]): Uint8Array {
  const frames = Math.max(1, Math.ceil(plaintext.length / FRAME));
  const out: Uint8Array[] = new Array(frames);
  for (const i of order(frames)) {
    const final = i === frames - 1;
    out[i] = sealer.sealFrame(i + 1, plaintext.subarray(i * FRAME, final ? plaintext.length : (i + 1) * FRAME), final);
  }
  sealer.finish();
  return Buffer.concat([sealer.headerBytes, ...out]);
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(StrongroomError.isInstance(e)).toBe(true);
    return (e as StrongroomError).code;
  }
  return undefined;
}

describe('framed sealer', () => {
  for (const size of [0, 1, 99, 100, 101, 250, 1000]) {
    it(`${size} bytes sealed frame by frame, in reverse order, is what decrypt() opens`, async () => {
      const plaintext = randomBytes(size);
      const message = sealAll(await client.createFramedSealer(sealOptions), plaintext, (n) => [...Array(n).keys()].reverse());
      const { plaintext: out, encryptionContext } = await client.decrypt(message, openOptions);
      expect(Buffer.from(out).equals(plaintext)).toBe(true);
      expect(encryptionContext).toEqual({ tenant: 'acme', ...binding });
      // The layout predicted from the length alone matches.
      const header = await client.openFramed(message, openOptions);
      const layout = header.layout(message.length);
      expect(layout.plaintextLength).toBe(size);
      expect(layout.headerLength).toBe(header.headerLength);
    });
  }

  it('refuses a sequence number twice (nonce reuse), a frame after the final, a second final, wrong lengths', async () => {
    const sealer = await client.createFramedSealer(sealOptions);
    const full = new Uint8Array(FRAME);
    sealer.sealFrame(2, full, false);
    expect(code(() => sealer.sealFrame(2, full, false))).toBe('INVALID_ARGUMENT');
    expect(code(() => sealer.sealFrame(3, new Uint8Array(FRAME - 1), false))).toBe('INVALID_ARGUMENT');
    expect(code(() => sealer.sealFrame(3, new Uint8Array(FRAME + 1), true))).toBe('INVALID_ARGUMENT');
    expect(code(() => sealer.sealFrame(1, new Uint8Array(5), true))).toBe('INVALID_ARGUMENT'); // final before frame 2
    sealer.sealFrame(3, new Uint8Array(5), true);
    expect(code(() => sealer.sealFrame(4, full, false))).toBe('INVALID_ARGUMENT');
    expect(code(() => sealer.sealFrame(5, new Uint8Array(1), true))).toBe('INVALID_ARGUMENT');
    expect(code(() => sealer.sealFrame(0, full, false))).toBe('LIMIT_EXCEEDED');
    // Frame 1 is missing: finish refuses, and the key is gone afterwards.
    expect(code(() => sealer.finish())).toBe('INVALID_ARGUMENT');
    expect(code(() => sealer.sealFrame(1, full, false))).toBe('INVALID_ARGUMENT');
  });

  it('sealFrameInto writes the frames into one buffer, in any order, as decrypt() opens them; a target too small is refused before anything is sealed', async () => {
    const plaintext = randomBytes(250); // frames of 100, 100, 50
    const sealer = await client.createFramedSealer(sealOptions);
    const at = (sequence: number) => sealer.headerBytes.length + (sequence - 1) * (FRAME + REGULAR_FRAME_OVERHEAD);
    const total = at(3) + 50 + FINAL_FRAME_OVERHEAD;
    const target = new Uint8Array(total);
    target.set(sealer.headerBytes);
    // Too small (one byte short, a bad offset, no buffer): INVALID_ARGUMENT, and the sequence stays free.
    expect(code(() => sealer.sealFrameInto(3, plaintext.subarray(200), true, target, at(3) + 1))).toBe('INVALID_ARGUMENT');
    expect(code(() => sealer.sealFrameInto(2, plaintext.subarray(100, 200), false, target, -1))).toBe('INVALID_ARGUMENT');
    expect(code(() => sealer.sealFrameInto(2, plaintext.subarray(100, 200), false, undefined as unknown as Uint8Array, 0))).toBe('INVALID_ARGUMENT');
    expect(sealer.sealFrameInto(3, plaintext.subarray(200), true, target, at(3))).toBe(50 + FINAL_FRAME_OVERHEAD);
    expect(sealer.sealFrameInto(2, [plaintext.subarray(100, 150), plaintext.subarray(150, 200)], false, target, at(2))).toBe(FRAME + REGULAR_FRAME_OVERHEAD);
    expect(sealer.sealFrameInto(1, plaintext.subarray(0, 100), false, target, at(1))).toBe(FRAME + REGULAR_FRAME_OVERHEAD);
    // The same rules as sealFrame: a sequence number twice is refused.
    expect(code(() => sealer.sealFrameInto(1, plaintext.subarray(0, 100), false, new Uint8Array(1000), 0))).toBe('INVALID_ARGUMENT');
    sealer.finish();
    const { plaintext: out } = await client.decrypt(target, openOptions);
    expect(Buffer.from(out).equals(plaintext)).toBe(true);
  });

  it('finish refuses a message without a final frame', async () => {
    const sealer = await client.createFramedSealer(sealOptions);
    sealer.sealFrame(1, new Uint8Array(FRAME), false);
    expect(code(() => sealer.finish())).toBe('INVALID_ARGUMENT');
  });

  it('only suite 0x0478 with frames', async () => {
    for (const options of [{ suite: 0x0578 }, { frameLength: 0 }]) {
      const other = createClient({ keyProvider: provider, ...options });
      await expect(other.createFramedSealer()).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    }
    const signed = createClient({ keyProvider: provider, suite: 0x0578, frameLength: FRAME });
    const { ciphertext } = await signed.encrypt(randomBytes(300));
    await expect(client.openFramed(ciphertext)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    const nonFramed = await createClient({ keyProvider: provider, frameLength: 0 }).encrypt(randomBytes(10));
    await expect(client.openFramed(nonFramed.ciphertext)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });
});

describe('framed reader', () => {
  it('opens a message encrypt() wrote, frame by frame and by ranges', async () => {
    const plaintext = randomBytes(1234);
    const { ciphertext } = await client.encrypt(plaintext, sealOptions);
    const message = await client.openFramed(ciphertext.subarray(0, 4096), openOptions);
    const layout = message.layout(ciphertext.length);
    expect(layout).toMatchObject({ regularFrames: 12, finalFrameLength: 34, plaintextLength: 1234 });
    for (const [start, end] of [[0, 0], [0, 1233], [99, 100], [100, 199], [1200, 1233], [1233, 1233], [57, 1001]] as const) {
      const span = message.framesFor(start, end, ciphertext.length);
      const reader = message.frameReader(span.firstSequence, span.lastSequence, span.lastIsFinal);
      const pieces = reader.write(ciphertext.subarray(span.byteStart, span.byteEnd + 1));
      pieces.push(...reader.end());
      const got = Buffer.concat(pieces).subarray(span.skip, span.skip + end - start + 1);
      expect(got.equals(plaintext.subarray(start, end + 1))).toBe(true);
    }
    // Single frames.
    const second = message.openFrame(2, ciphertext.subarray(message.headerLength + 132, message.headerLength + 264), false);
    expect(Buffer.from(second).equals(plaintext.subarray(100, 200))).toBe(true);
    // The whole body streamed one byte at a time.
    const all = message.frameReader(1);
    const out: Uint8Array[] = [];
    for (let i = message.headerLength; i < ciphertext.length; i++) out.push(...all.write(ciphertext.subarray(i, i + 1)));
    out.push(...all.end());
    expect(Buffer.concat(out).equals(plaintext)).toBe(true);
  });

  it('rejects wrong sequence numbers, final markers, truncation, reordering, splices and flipped bytes', async () => {
    const plaintext = randomBytes(450);
    const { ciphertext } = await client.encrypt(plaintext, sealOptions);
    const message = await client.openFramed(ciphertext, openOptions);
    const h = message.headerLength;
    const frame = (n: number) => ciphertext.subarray(h + (n - 1) * 132, n === 5 ? ciphertext.length : h + n * 132);
    // Frame 2 asked for as frame 3 (a reordered object), frame 5 (final) asked for as regular, and vice versa.
    expect(code(() => message.openFrame(3, frame(2), false))).toBe('MALFORMED');
    expect(code(() => message.openFrame(5, frame(5), false))).toBe('MALFORMED');
    expect(code(() => message.openFrame(4, frame(4), true))).toBe('MALFORMED');
    // Truncated and extended frames.
    expect(code(() => message.openFrame(2, frame(2).subarray(0, 131), false))).toBe('MALFORMED');
    expect(code(() => message.openFrame(2, Buffer.concat([frame(2), Buffer.of(0)]), false))).toBe('MALFORMED');
    expect(code(() => message.openFrame(2, frame(2).subarray(0, 10), false))).toBe('MALFORMED');
    // Every byte of frame 2 flipped in turn: never opens.
    for (let i = 0; i < 132; i++) {
      const bad = Buffer.from(frame(2));
      bad[i]! ^= 1;
      expect(['MALFORMED', 'AUTHENTICATION_FAILED']).toContain(code(() => message.openFrame(2, bad, false)));
    }
    // Frame 2 of another message with the same key and context: its tag does not verify here.
    const other = await client.encrypt(randomBytes(450), sealOptions);
    const otherFrame2 = other.ciphertext.subarray(h + 132, h + 264);
    expect(code(() => message.openFrame(2, otherFrame2, false))).toBe('AUTHENTICATION_FAILED');
    // Frames 2 and 3 swapped in a run.
    const swapped = message.frameReader(1);
    expect(code(() => swapped.write(Buffer.concat([frame(1), frame(3), frame(2), frame(4), frame(5)])))).toBe('MALFORMED');
    // A run that stops before its last frame, or a whole-body read that ends before the final frame.
    const short = message.frameReader(2, 3, false);
    short.write(frame(2));
    expect(code(() => short.end())).toBe('MALFORMED');
    const truncated = message.frameReader(1);
    truncated.write(ciphertext.subarray(h, h + 4 * 132));
    expect(code(() => truncated.end())).toBe('MALFORMED');
    // Trailing bytes after the final frame.
    const trailing = message.frameReader(4);
    expect(code(() => trailing.write(Buffer.concat([frame(4), frame(5), Buffer.of(1)])))).toBe('MALFORMED');
    // A destroyed message opens nothing.
    message.destroy();
    expect(code(() => message.openFrame(2, frame(2), false))).toBe('INVALID_ARGUMENT');
  });

  it('the header is bound to the reproduced context: another bucket/key fails', async () => {
    const { ciphertext } = await client.encrypt(randomBytes(10), sealOptions);
    await expect(client.openFramed(ciphertext, { encryptionContext: { tenant: 'acme', bucket: 'b1', key: 'objects/two' } })).rejects.toBeInstanceOf(
      StrongroomError,
    );
    await expect(client.openFramed(ciphertext, { encryptionContext: { tenant: 'acme' } })).rejects.toBeInstanceOf(StrongroomError);
  });

  it('reports how many bytes an incomplete header needs', async () => {
    const { ciphertext } = await client.encrypt(randomBytes(10), sealOptions);
    const opened = await client.openFramed(ciphertext, openOptions);
    let have = 1;
    let rounds = 0;
    for (;;) {
      const need = framedHeaderNeed(ciphertext.subarray(0, have));
      if (need === 0) break;
      expect(need).toBeGreaterThan(have);
      have = need;
      rounds++;
    }
    expect(have).toBeLessThanOrEqual(opened.headerLength);
    expect(rounds).toBeGreaterThan(0);
    await expect(client.openFramed(ciphertext.subarray(0, 20), openOptions)).rejects.toMatchObject({ code: 'MALFORMED', details: { need: expect.any(Number) } });
  });
});

describe('framed layout', () => {
  it('follows from the total length, and rejects lengths no message has', () => {
    const H = 200;
    for (const n of [0, 1, 7]) {
      for (const f of [0, 1, FRAME - 1, FRAME]) {
        const total = H + n * (FRAME + REGULAR_FRAME_OVERHEAD) + f + FINAL_FRAME_OVERHEAD;
        expect(framedLayout(H, FRAME, total)).toMatchObject({ regularFrames: n, finalFrameLength: f, plaintextLength: n * FRAME + f });
      }
    }
    expect(code(() => framedLayout(H, FRAME, H + FINAL_FRAME_OVERHEAD - 1))).toBe('MALFORMED');
    expect(code(() => framedLayout(H, FRAME, H + FINAL_FRAME_OVERHEAD + FRAME + 1))).toBe('MALFORMED');
  });

  it('a range outside the plaintext is a 416', () => {
    const layout = framedLayout(200, FRAME, 200 + FINAL_FRAME_OVERHEAD + 50);
    for (const [a, b] of [[50, 50], [0, 50], [10, 9], [-1, 3]] as const) {
      expect(() => framesFor(layout, a, b)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: expect.objectContaining({ status: 416 }) }));
    }
    const empty = framedLayout(200, FRAME, 200 + FINAL_FRAME_OVERHEAD);
    expect(() => framesFor(empty, 0, 0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
