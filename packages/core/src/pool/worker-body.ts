/**
 * The code a Node pool worker runs. It is started as an `eval` worker from these functions' source
 * text (https://nodejs.org/api/worker_threads.html#new-workerfilename-options), so it ships inside
 * the package's bundle and needs no separate file to locate at run time, in ESM, CommonJS or a
 * bundler. That is why each function imports nothing and uses no outer name: node:crypto, the parent
 * port and the batch reader are parameters. It does AES-GCM (NIST SP 800-38D; one cipher per frame,
 * as ../node-backend.ts does), ECDSA key generation and signing (FIPS 186-5, DER signatures as the
 * AWS Encryption SDK message footer carries them: data-format/message-footer.md). Batch layouts:
 * ./protocol.ts. Written without destructuring, spread or for-of, so that a bundler that lowers the
 * syntax for old targets has no helper to inject into it.
 */
import type { MessagePort } from 'node:worker_threads';
import type { NodeRequest } from './node-protocol';
import type { TaskFailed } from './protocol';
import { readBatchFrame, type BatchFrame } from './worker-batch';

type NodeCrypto = typeof import('node:crypto');

export function poolWorkerMain(crypto: NodeCrypto, port: MessagePort, readFrame: typeof readBatchFrame): void {
  const algorithm = (key: Uint8Array) => (key.length === 16 ? 'aes-128-gcm' : key.length === 24 ? 'aes-192-gcm' : 'aes-256-gcm');

  /**
   * node:crypto returns each result in a buffer of its own, which is transferred to the client as it
   * is; one that shares a larger buffer is copied (and, when it is plaintext, zeroed), so that only this
   * batch's bytes cross.
   */
  function own(bytes: Uint8Array, wipe: boolean): Uint8Array {
    if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes;
    const copy = new Uint8Array(bytes);
    if (wipe) bytes.fill(0);
    return copy;
  }

  /**
   * Seal every frame of a batch: the message's bytes as pieces, each frame's ciphertext as node:crypto
   * returned it, and the small pieces around them (prefix; tag ‖ next prefix; last tag) in one buffer.
   */
  function seal(key: Uint8Array, data: Uint8Array, meta: Uint8Array, frames: number): Uint8Array[] {
    const frame: BatchFrame = { length: 0, iv: meta, aad: meta, prefix: meta, next: 0 };
    let size = 0;
    for (let i = 0; i < frames; i++) {
      readFrame(meta, frame);
      size += frame.prefix.length + 16;
    }
    const joins = new Uint8Array(size);
    const pieces: Uint8Array[] = [];
    frame.next = 0;
    let at = 0;
    let j = 0;
    let join = 0;
    for (let i = 0; i < frames; i++) {
      readFrame(meta, frame);
      joins.set(frame.prefix, j);
      j += frame.prefix.length;
      pieces.push(joins.subarray(join, j));
      const cipher = crypto.createCipheriv(algorithm(key), key, frame.iv, { authTagLength: 16 });
      cipher.setAAD(frame.aad);
      if (frame.length > 0) pieces.push(own(cipher.update(data.subarray(at, at + frame.length)), false));
      cipher.final();
      join = j;
      joins.set(cipher.getAuthTag(), j);
      j += 16;
      at += frame.length;
    }
    pieces.push(joins.subarray(join, j));
    return pieces;
  }

  /**
   * Open every frame of a batch: the plaintexts, or undefined when a tag does not verify. Unless every
   * frame verified (or when anything throws) every plaintext of the batch is zeroed.
   */
  function open(key: Uint8Array, data: Uint8Array, meta: Uint8Array, frames: number): Uint8Array[] | undefined {
    const frame: BatchFrame = { length: 0, iv: meta, aad: meta, prefix: meta, next: 0 };
    const pieces: Uint8Array[] = [];
    let at = 0;
    let verified = true;
    try {
      for (let i = 0; i < frames && verified; i++) {
        readFrame(meta, frame);
        const length = frame.length;
        const decipher = crypto.createDecipheriv(algorithm(key), key, frame.iv, { authTagLength: 16 });
        decipher.setAAD(frame.aad);
        decipher.setAuthTag(data.subarray(at + length, at + length + 16));
        if (length > 0) pieces.push(own(decipher.update(data.subarray(at, at + length)), true));
        try {
          decipher.final();
        } catch {
          verified = false;
        }
        at += length + 16;
      }
    } catch (e) {
      zero(pieces);
      throw e;
    }
    if (verified) return pieces;
    zero(pieces);
    return undefined;
  }

  function zero(pieces: Uint8Array[]): void {
    for (let i = 0; i < pieces.length; i++) pieces[i]!.fill(0);
  }

  /** The batch's two buffers and every buffer its pieces are views of (each once): what the reply transfers. */
  function transferOf(request: { data: ArrayBuffer; meta: ArrayBuffer }, pieces: Uint8Array[]): ArrayBuffer[] {
    const transfer: ArrayBuffer[] = [request.data, request.meta];
    for (let i = 0; i < pieces.length; i++) {
      const buffer = pieces[i]!.buffer as ArrayBuffer;
      if (transfer.indexOf(buffer) < 0) transfer.push(buffer);
    }
    return transfer;
  }

  function failed(id: number, code: TaskFailed['code'], message: string): { reply: TaskFailed; transfer: ArrayBuffer[] } {
    return { reply: { id: id, ok: false, code: code, message: message }, transfer: [] };
  }

  function answer(request: NodeRequest): { reply: object; transfer: ArrayBuffer[] } {
    const id = request.id;
    switch (request.op) {
      case 'seal':
      case 'open': {
        let pieces: Uint8Array[] | undefined;
        try {
          const data = new Uint8Array(request.data);
          const meta = new Uint8Array(request.meta);
          pieces = request.op === 'seal' ? seal(request.key, data, meta, request.frames) : open(request.key, data, meta, request.frames);
        } finally {
          request.key.fill(0);
        }
        if (!pieces) return failed(id, 'AUTHENTICATION_FAILED', 'AES-GCM authentication failed: the data was tampered with or the key is wrong');
        const reply = { id: id, ok: true, data: request.data, meta: request.meta, pieces: pieces };
        return { reply: reply, transfer: transferOf(request, pieces) };
      }
      case 'keygen': {
        const names = { 'P-256': 'prime256v1', 'P-384': 'secp384r1' } as const;
        const pair = crypto.generateKeyPairSync('ec', { namedCurve: names[request.curve] });
        return { reply: { id: id, ok: true, privateKey: pair.privateKey, publicKey: pair.publicKey }, transfer: [] };
      }
      case 'memory': {
        const m = process.memoryUsage();
        return { reply: { id: id, ok: true, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers }, transfer: [] };
      }
      case 'sign': {
        const signature = crypto.sign(request.hash, new Uint8Array(request.data), { key: request.key, dsaEncoding: 'der' });
        return { reply: { id: id, ok: true, data: request.data, signature: signature }, transfer: [request.data] };
      }
    }
  }

  port.on('message', (request: NodeRequest) => {
    let out: { reply: object; transfer: ArrayBuffer[] };
    try {
      out = answer(request);
    } catch (e) {
      out = failed(request.id, 'INTERNAL', `A pool worker failed: ${(e as Error)?.message ?? String(e)}`);
    }
    port.postMessage(out.reply, out.transfer);
  });
}

/** The source an eval worker runs: the function above, called with node:crypto, its parent port and the batch reader. */
export const POOL_WORKER_SOURCE = `(${poolWorkerMain.toString()})(require('node:crypto'), require('node:worker_threads').parentPort, ${readBatchFrame.toString()});`;
