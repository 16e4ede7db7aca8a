/**
 * The pool workers' bodies (src/pool/worker-body.ts for Node, src/pool/web-worker-body.ts for Web
 * Workers) run in this thread, on a port or scope of our own and a node:crypto or Web Crypto whose
 * calls we can make fail: a batch opens all or nothing. Whether a tag fails or the crypto throws
 * part-way through, every plaintext the batch had already produced is zeroed and none is sent; a
 * batch that opens hands each frame back in the crypto's own buffer, transferred.
 */
import * as nodeCrypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SealedPiece } from '../src/frame-reader';
import { FrameBatch } from '../src/pool/frame-batch';
import { poolWorkerMain } from '../src/pool/worker-body';
import { webPoolWorkerMain, type WorkerScope } from '../src/pool/web-worker-body';
import { readBatchFrame } from '../src/pool/worker-batch';

const FRAME = 4096;
const key = nodeCrypto.randomBytes(32);

/** Four sealed frames of `plaintext` (4 × FRAME bytes), as a decoder hands them to the pool. */
function sealedFrames(plaintext: Uint8Array): SealedPiece[] {
  return [0, 1, 2, 3].map((i) => {
    const iv = nodeCrypto.randomBytes(12);
    const aad = nodeCrypto.randomBytes(40);
    const cipher = nodeCrypto.createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad);
    const ciphertext = cipher.update(plaintext.subarray(i * FRAME, (i + 1) * FRAME));
    cipher.final();
    return { kind: 'sealed', prefix: new Uint8Array(0), iv, aad, ciphertext: [ciphertext], tag: cipher.getAuthTag(), final: false };
  });
}

/** The open batch of `frames` as the pool sends it (with its key copy), the tag of frame `flip` corrupted if given. */
function openTask(frames: SealedPiece[], flip?: number) {
  const batch = new FrameBatch('open', frames.length, FRAME, undefined);
  frames.forEach((f, i) => batch.addOpen(i === flip ? { ...f, tag: f.tag.map((b, j) => (j === 0 ? b ^ 1 : b)) } : f));
  return batch.task(key).task;
}

/** A batch that failed: the reply's code, nothing transferred, and `count` plaintexts produced, each a whole frame, zeroed. */
function expectFailed(result: { reply: Record<string, unknown>; transfer: ArrayBuffer[]; produced: Uint8Array[] }, code: string, count: number): void {
  expect(result.reply).toMatchObject({ ok: false, code });
  expect(result.transfer).toHaveLength(0);
  expect(result.produced).toHaveLength(count);
  expect(result.produced.every((p) => p.length === FRAME && zeroed(p))).toBe(true);
}

const zeroed = (bytes: Uint8Array) => bytes.every((b) => b === 0);

/**
 * Run one open batch through the worker body. `failAt`: the createDecipheriv call (0-based) that
 * throws; `flip`: a frame whose tag is corrupted. Returns the reply, what it transferred, and every
 * plaintext buffer node:crypto produced in the worker.
 */
function openBatch(frames: SealedPiece[], options: { failAt?: number; flip?: number } = {}) {
  const produced: Uint8Array[] = [];
  let calls = 0;
  const crypto = {
    ...nodeCrypto,
    createDecipheriv: (...args: Parameters<typeof nodeCrypto.createDecipheriv>) => {
      if (calls++ === options.failAt) throw new Error('injected failure');
      const decipher = nodeCrypto.createDecipheriv(...args);
      const update = decipher.update.bind(decipher) as (data: Uint8Array) => Buffer;
      (decipher as unknown as { update: (data: Uint8Array) => Buffer }).update = (data) => {
        const out = update(data);
        produced.push(out);
        return out;
      };
      return decipher;
    },
  } as typeof nodeCrypto;
  let handler: ((request: unknown) => void) | undefined;
  const sent: { reply: Record<string, unknown>; transfer: ArrayBuffer[] }[] = [];
  const port = {
    on: (_event: string, listener: (request: unknown) => void) => void (handler = listener),
    postMessage: (reply: Record<string, unknown>, transfer: ArrayBuffer[]) => void sent.push({ reply, transfer }),
  };
  poolWorkerMain(crypto, port as never, readBatchFrame);
  const task = openTask(frames, options.flip);
  handler!({ ...task, id: 1 });
  return { ...sent[0]!, produced, taskKey: task.key };
}

describe('the Node pool worker opens a batch all or nothing', () => {
  const plaintext = nodeCrypto.randomBytes(4 * FRAME);
  const frames = sealedFrames(plaintext);

  it("hands every frame back in node:crypto's own buffer, transferred, and wipes the key copy", () => {
    const { reply, transfer, produced, taskKey } = openBatch(frames);
    expect(reply.ok).toBe(true);
    const pieces = reply.pieces as Uint8Array[];
    expect(pieces).toHaveLength(4);
    pieces.forEach((piece, i) => {
      expect(piece).toBe(produced[i]);
      expect(Buffer.from(piece).equals(plaintext.subarray(i * FRAME, (i + 1) * FRAME))).toBe(true);
      expect(transfer).toContain(piece.buffer);
    });
    expect(zeroed(taskKey)).toBe(true);
  });

  it('on a tag that fails in the third frame: AUTHENTICATION_FAILED, nothing sent, the two plaintexts before it zeroed', () => {
    expectFailed(openBatch(frames, { flip: 2 }), 'AUTHENTICATION_FAILED', 3);
  });

  it('when node:crypto throws part-way: INTERNAL, nothing sent, the plaintexts already produced zeroed', () => {
    expectFailed(openBatch(frames, { failAt: 2 }), 'INTERNAL', 2);
  });
});

/** The same batch through the web worker body, on Node's Web Crypto; `throwAt`: the decrypt call (0-based) that throws instead of rejecting. */
async function openBatchWeb(frames: SealedPiece[], options: { throwAt?: number; flip?: number } = {}) {
  const subtle = globalThis.crypto.subtle;
  const produced: ArrayBuffer[] = [];
  let calls = 0;
  let listener: ((event: { data: unknown }) => void) | undefined;
  const sent: { reply: Record<string, unknown>; transfer: ArrayBuffer[] }[] = [];
  const scope = {
    crypto: {
      subtle: {
        importKey: subtle.importKey.bind(subtle),
        encrypt: subtle.encrypt.bind(subtle),
        decrypt: (params: Parameters<typeof subtle.decrypt>[0], k: Parameters<typeof subtle.decrypt>[1], data: Uint8Array) => {
          if (calls++ === options.throwAt) throw new TypeError('injected failure');
          return subtle.decrypt(params, k, data).then((out) => (produced.push(out), out));
        },
      },
    },
    addEventListener: (_type: string, l: (event: { data: unknown }) => void) => void (listener = l),
    postMessage: (reply: Record<string, unknown>, transfer: ArrayBuffer[]) => void sent.push({ reply, transfer }),
  } as unknown as WorkerScope;
  webPoolWorkerMain(scope, readBatchFrame);
  listener!({ data: { ...openTask(frames, options.flip), id: 1 } });
  // The worker answers only after every decrypt it started has settled.
  await expect.poll(() => sent.length).toBe(1);
  return { ...sent[0]!, produced: produced.map((b) => new Uint8Array(b)) };
}

describe('the web pool worker opens a batch all or nothing', () => {
  const plaintext = nodeCrypto.randomBytes(4 * FRAME);
  const frames = sealedFrames(plaintext);

  it("hands every frame back in Web Crypto's own buffer, transferred", async () => {
    const { reply, transfer, produced } = await openBatchWeb(frames);
    expect(reply.ok).toBe(true);
    const pieces = (reply.pieces as Uint8Array[]).filter((p) => p.length > 0);
    expect(pieces).toHaveLength(4);
    pieces.forEach((piece, i) => {
      expect(Buffer.from(piece).equals(plaintext.subarray(i * FRAME, (i + 1) * FRAME))).toBe(true);
      expect(transfer).toContain(piece.buffer);
      expect(produced.some((p) => p.buffer === piece.buffer)).toBe(true);
    });
  });

  it('on a tag that fails: AUTHENTICATION_FAILED, nothing sent, every plaintext that opened zeroed', async () => {
    expectFailed(await openBatchWeb(frames, { flip: 2 }), 'AUTHENTICATION_FAILED', 3);
  });

  it('when a Web Crypto call throws instead of rejecting: INTERNAL, nothing sent, the frames already started zeroed', async () => {
    expectFailed(await openBatchWeb(frames, { throwAt: 2 }), 'INTERNAL', 2);
  });
});
