/**
 * The framed random-access API and the web entry agree on the bytes: frames sealed out of order by
 * `createFramedSealer` (and a header from `rewrapHeader`) decrypt on the web entry, streamed and
 * one-shot, with the required pairs reproduced; a message the web entry streams opens frame by frame
 * with `openFramed`; the layout helpers the web entry exports say what the Node entry says. The web
 * entry's own random access (`createFramedSealer`, `openFramed` over Web Crypto) writes what the Node
 * entry opens frame by frame and opens runs of what the Node entry seals, with the same rules: a
 * sequence number sealed once, every frame up to the final one sealed, frames checked in order and
 * released only after their tag verifies.
 * spec: data-format/message-body.md#framed-data.
 */
import { describe, expect, it } from 'vitest';
import * as node from '../src/index';
import { random, readAll, streamOf, u8, web } from './web-entry';

const FRAME = 100;
const key = random(32);
const binding = { bucket: 'b1', key: 'objects/one' };
const sealOptions = { encryptionContext: { tenant: 'acme', ...binding }, requiredEncryptionContextKeys: ['bucket', 'key'] };
const openOptions = { encryptionContext: binding };
const nodeClient = node.createClient({ keyProvider: node.RawAesKeyProvider({ namespace: 'n', name: 'k', key }), frameLength: FRAME });
const webClient = web.createClient({ keyProvider: web.RawAesKeyProvider({ namespace: 'n', name: 'k', key }), frameLength: FRAME });

async function sealedBackwards(plaintext: Uint8Array): Promise<Uint8Array> {
  const sealer = await nodeClient.createFramedSealer(sealOptions);
  const frames = Math.max(1, Math.ceil(plaintext.length / FRAME));
  const out: Uint8Array[] = new Array(frames);
  for (let i = frames - 1; i >= 0; i--) out[i] = sealer.sealFrame(i + 1, plaintext.subarray(i * FRAME, (i + 1) * FRAME), i === frames - 1);
  sealer.finish();
  const whole = new Uint8Array(sealer.headerBytes.length + out.reduce((n, f) => n + f.length, 0));
  whole.set(sealer.headerBytes);
  let at = sealer.headerBytes.length;
  for (const f of out) (whole.set(f, at), (at += f.length));
  return whole;
}

describe('framed random access ↔ web entry', () => {
  it('frames sealed out of order by the Node entry decrypt on the web entry, one-shot and streamed', async () => {
    for (const size of [0, 1, FRAME, FRAME + 1, 5 * FRAME + 3]) {
      const plaintext = random(size);
      const message = await sealedBackwards(plaintext);
      expect(u8((await webClient.decrypt(message, openOptions)).plaintext)).toEqual(plaintext);
      expect(await readAll(webClient.decryptStream(streamOf(message, 37), openOptions).readable)).toEqual(plaintext);
      // Without the required pairs the data key does not unwrap (the raw AES provider binds the full context): refused, typed.
      await expect(webClient.decrypt(message)).rejects.toMatchObject({ code: 'NO_DECRYPTION_KEY' });
    }
  });

  it('a message the web entry streams opens frame by frame with openFramed; the web layout helpers agree with the Node ones', async () => {
    const plaintext = random(4 * FRAME + 9);
    const message = await readAll(webClient.encryptStream(streamOf(plaintext, 64), sealOptions).readable);
    const opened = await nodeClient.openFramed(message, openOptions);
    const layout = opened.layout(message.length);
    expect(web.framedLayout(opened.headerLength, FRAME, message.length)).toEqual(layout);
    expect(web.framedHeaderNeed(message)).toBe(0);
    expect(web.REGULAR_FRAME_OVERHEAD).toBe(node.REGULAR_FRAME_OVERHEAD);
    const span = web.framesFor(layout, 150, 320);
    expect(span).toEqual(opened.framesFor(150, 320, message.length));
    const run = opened.frameReader(span.firstSequence, span.lastSequence, span.lastIsFinal);
    const out = [...run.write(message.subarray(span.byteStart, span.byteEnd + 1)), ...run.end()];
    const first = (span.firstSequence - 1) * FRAME;
    const got = u8(Buffer.concat(out));
    expect(got).toEqual(plaintext.subarray(first, first + got.length));
    expect(got.subarray(span.skip, span.skip + span.end - span.start + 1)).toEqual(plaintext.subarray(span.start, span.end + 1));
    opened.destroy();
  });

  it("a header re-wrapped by the Node entry opens the unchanged body on the web entry with the new provider's key", async () => {
    const plaintext = random(3 * FRAME);
    const message = await sealedBackwards(plaintext);
    const otherKey = random(32);
    const parsed = node.parseHeader(message, { maxEncryptedDataKeys: 10 })!;
    const header = await nodeClient.rewrapHeader(message.subarray(0, parsed.length), {
      ...openOptions,
      keyProviders: [node.RawAesKeyProvider({ namespace: 'n', name: 'other', key: otherKey })],
    });
    const rewrapped = new Uint8Array(header.length + message.length - parsed.length);
    rewrapped.set(header);
    rewrapped.set(message.subarray(parsed.length), header.length);
    const other = web.createClient({ keyProvider: web.RawAesKeyProvider({ namespace: 'n', name: 'other', key: otherKey }), frameLength: FRAME });
    expect(u8((await other.decrypt(rewrapped, openOptions)).plaintext)).toEqual(plaintext);
    await expect(webClient.decrypt(rewrapped, openOptions)).rejects.toBeInstanceOf(web.StrongroomError);
  });

  it('the web sealer seals frames concurrently and out of order; the Node entry opens the message frame by frame, both entries decrypt it', async () => {
    for (const size of [0, 1, FRAME, 5 * FRAME + 3]) {
      const plaintext = random(size);
      const sealer = await webClient.createFramedSealer(sealOptions);
      const frames = Math.max(1, Math.ceil(size / FRAME));
      const sealed = await Promise.all(
        Array.from({ length: frames }, (_, i) => frames - 1 - i).map(async (i) => [i, await sealer.sealFrame(i + 1, plaintext.subarray(i * FRAME, (i + 1) * FRAME), i === frames - 1)] as const),
      );
      sealer.finish();
      const ordered = sealed.sort((a, b) => a[0] - b[0]).map(([, f]) => f);
      const message = u8(Buffer.concat([sealer.headerBytes, ...ordered]));
      expect(u8((await nodeClient.decrypt(message, openOptions)).plaintext)).toEqual(plaintext);
      expect(u8((await webClient.decrypt(message, openOptions)).plaintext)).toEqual(plaintext);
      const opened = await nodeClient.openFramed(message, openOptions);
      const run = opened.frameReader(1);
      expect(u8(Buffer.concat([...run.write(message.subarray(opened.headerLength)), ...run.end()]))).toEqual(plaintext);
      opened.destroy();
    }
  });

  it('the web sealer refuses a number sealed twice, a frame after the final one, and finish() with a gap', async () => {
    const sealer = await webClient.createFramedSealer(sealOptions);
    await sealer.sealFrame(1, random(FRAME), false);
    await expect(sealer.sealFrame(1, random(FRAME), false)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(sealer.sealFrame(2, random(FRAME - 1), false)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await sealer.sealFrame(4, random(7), true);
    await expect(sealer.sealFrame(5, random(FRAME), false)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(() => sealer.finish()).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    await expect(sealer.sealFrame(2, random(FRAME), false)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('web openFramed opens any run of a Node-sealed message; a flipped byte, frames out of order and a cut run are refused, nothing of them released', async () => {
    const plaintext = random(6 * FRAME + 9);
    const message = await sealedBackwards(plaintext);
    const opened = await webClient.openFramed(message, openOptions);
    expect(opened.encryptionContext).toMatchObject({ tenant: 'acme' });
    const layout = opened.layout(message.length);
    for (const [start, end] of [[0, 0], [150, 320], [FRAME - 1, 5 * FRAME], [6 * FRAME, 6 * FRAME + 8]] as const) {
      const span = opened.framesFor(start, end, message.length);
      expect(span).toEqual(web.framesFor(layout, start, end));
      const run = opened.frameReader(span.firstSequence, span.lastSequence, span.lastIsFinal);
      const out: Uint8Array[] = [];
      for (let at = span.byteStart; at <= span.byteEnd; at += 333) out.push(...(await run.write(message.subarray(at, Math.min(span.byteEnd + 1, at + 333)))));
      out.push(...run.end());
      const got = u8(Buffer.concat(out));
      expect(got.subarray(span.skip, span.skip + end - start + 1)).toEqual(plaintext.subarray(start, end + 1));
    }
    const frame = (n: number) => message.subarray(opened.headerLength + (n - 1) * (FRAME + 32), opened.headerLength + n * (FRAME + 32));
    const flipped = Uint8Array.from(frame(2));
    flipped[50]! ^= 1;
    const bad = opened.frameReader(1, 2, false);
    expect(u8(Buffer.concat(await bad.write(frame(1))))).toEqual(plaintext.subarray(0, FRAME));
    await expect(bad.write(flipped)).rejects.toMatchObject({ code: 'AUTHENTICATION_FAILED' });
    await expect(opened.frameReader(2, 3, false).write(frame(3))).rejects.toMatchObject({ code: 'MALFORMED' });
    const cut = opened.frameReader(2, 3, false);
    expect(u8(Buffer.concat(await cut.write(frame(2))))).toEqual(plaintext.subarray(FRAME, 2 * FRAME));
    expect(() => cut.end()).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
    // The last frame of a run is held until end(): a run whose final frame is marked wrongly releases nothing of it.
    const notFinal = opened.frameReader(7, 7, false);
    await expect(notFinal.write(message.subarray(opened.headerLength + 6 * (FRAME + 32)))).rejects.toMatchObject({ code: 'MALFORMED' });
    opened.destroy();
    await expect(webClient.openFramed(message)).rejects.toBeInstanceOf(web.StrongroomError);
  });
});
