/**
 * A non-framed message's 8-byte content length, forged (spec: data-format/message-body.md, non-framed
 * data: IV ‖ u64 encrypted content length ‖ content ‖ tag; at most 2^36 - 32 bytes). The streaming
 * decoders of both builds read it before any content and refuse it with a typed error, never a
 * plaintext byte: above the format's maximum (including values past 2^53, which a double cannot hold
 * exactly) is MALFORMED, above the caller's maxFrameLength is LIMIT_EXCEEDED, and a length that does
 * not match the content fails authentication or the message's end.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createClient, parseHeader, RawAesKeyProvider, StrongroomError } from '../src/index';
import { readAll, web } from './web-entry';

const key = randomBytes(32);
const node = createClient({ keyProvider: RawAesKeyProvider({ namespace: 'n', name: 'k', key }), frameLength: 0 });
const webProvider = web.RawAesKeyProvider({ namespace: 'n', name: 'k', key });
const plaintext = randomBytes(100);
const { ciphertext } = await node.encrypt(plaintext);
const body = parseHeader(ciphertext, { maxEncryptedDataKeys: 10 })!.length;

/** The message with its content length field (body offset 12, u64 big-endian) set to `length`. */
function withLength(length: bigint): Uint8Array {
  const forged = new Uint8Array(ciphertext);
  new DataView(forged.buffer).setBigUint64(body + 12, length);
  return forged;
}

/** Decrypt `message` as a stream with each build; both must fail with `code`, releasing nothing. */
async function bothRefuse(message: Uint8Array, code: string, maxFrameLength?: number): Promise<void> {
  const released: Uint8Array[] = [];
  const nodeError = await (async () => {
    const stream = createClient({ keyProvider: RawAesKeyProvider({ namespace: 'n', name: 'k', key }), maxFrameLength }).decryptStream();
    Readable.from([message]).pipe(stream);
    try {
      for await (const c of stream) released.push(c as Uint8Array);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  const webError = await readAll(web.createClient({ keyProvider: webProvider, maxFrameLength }).decryptStream(message).readable).then(
    (out) => (released.push(out), undefined),
    (e: unknown) => e,
  );
  expect(StrongroomError.isInstance(nodeError, code as never), `node: ${String(nodeError)}`).toBe(true);
  expect(web.StrongroomError.isInstance(webError, code as never), `web: ${String(webError)}`).toBe(true);
  expect(released).toEqual([]);
}

describe('a non-framed message with a forged content length', () => {
  it('opens as written (the field read is the one written)', async () => {
    expect(new DataView(ciphertext.buffer, ciphertext.byteOffset).getBigUint64(body + 12)).toBe(100n);
    expect(Buffer.from((await node.decrypt(ciphertext)).plaintext).equals(plaintext)).toBe(true);
  });

  it.each([
    ['one byte over the format maximum (2^36 - 31)', 2n ** 36n - 31n],
    ['2^53 + 1, which a double rounds', 2n ** 53n + 1n],
    ['2^64 - 1', 2n ** 64n - 1n],
  ])('%s: MALFORMED before any content', async (_what, length) => {
    await bothRefuse(withLength(length), 'MALFORMED');
  });

  it('above the caller maxFrameLength: LIMIT_EXCEEDED before any content', async () => {
    await bothRefuse(ciphertext, 'LIMIT_EXCEEDED', 99);
  });

  it.each([
    ['one less than the content', 99n],
    ['one more than the content', 101n],
    ['zero', 0n],
  ])('%s: a typed error, no plaintext', async (_what, length) => {
    const message = withLength(length);
    const released: Uint8Array[] = [];
    let error: unknown;
    try {
      for await (const c of Readable.from([message]).pipe(node.decryptStream())) released.push(c as Uint8Array);
    } catch (e) {
      error = e;
    }
    expect(StrongroomError.isInstance(error), String(error)).toBe(true);
    expect(released).toEqual([]);
    await expect(readAll(web.createClient({ keyProvider: webProvider }).decryptStream(message).readable)).rejects.toSatisfy((e: unknown) => web.StrongroomError.isInstance(e));
  });
});
