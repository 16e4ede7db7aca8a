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
  /**
   * Memory pacing. Every update() returns a fresh buffer outside the V8 heap, dead once copied; V8
   * frees such buffers when a scavenge finds them dead, and scavenges when the young generation is
   * full — but this loop allocates almost nothing on the heap, so without help the dead buffers
   * pile up to ~30 MiB per worker before a collection. So the worker runs with a small young
   * generation (WORKER_RESOURCE_LIMITS in ./worker-pool.ts) and allocates, per frame, a short-lived
   * array of a quarter of the frame's size: a scavenge every few MiB of output, which frees them.
   */
  let ballast: unknown[] = [];
  const pace = (length: number) => {
    ballast = new Array(length >> 5);
  };
  const algorithm = (key: Uint8Array) => (key.length === 16 ? 'aes-128-gcm' : key.length === 24 ? 'aes-192-gcm' : 'aes-256-gcm');

  /**
   * Seal or open every frame of a batch into `output`; false when a tag does not verify (then
   * `output` is zeroed). node:crypto's own output buffers are copied into `output` and dropped
   * (opened ones zeroed first).
   */
  function run(op: 'seal' | 'open', key: Uint8Array, data: Uint8Array, meta: Uint8Array, output: Uint8Array, frames: number): boolean {
    const frame: BatchFrame = { length: 0, iv: meta, aad: meta, prefix: meta, next: 0 };
    let at = 0;
    let o = 0;
    for (let i = 0; i < frames; i++) {
      readFrame(meta, frame);
      const length = frame.length;
      const input = data.subarray(at, at + length);
      if (op === 'seal') {
        output.set(frame.prefix, o);
        o += frame.prefix.length;
        const cipher = crypto.createCipheriv(algorithm(key), key, frame.iv, { authTagLength: 16 });
        cipher.setAAD(frame.aad);
        if (length > 0) output.set(cipher.update(input), o);
        pace(length);
        cipher.final();
        output.set(cipher.getAuthTag(), o + length);
        o += length + 16;
        at += length;
      } else {
        const decipher = crypto.createDecipheriv(algorithm(key), key, frame.iv, { authTagLength: 16 });
        decipher.setAAD(frame.aad);
        decipher.setAuthTag(data.subarray(at + length, at + length + 16));
        const plaintext = length > 0 ? decipher.update(input) : undefined;
        pace(length);
        let verified = true;
        try {
          decipher.final();
        } catch {
          verified = false;
        }
        if (plaintext) {
          if (verified) output.set(plaintext, o);
          plaintext.fill(0);
        }
        if (!verified) {
          output.fill(0);
          return false;
        }
        o += length;
        at += length + 16;
      }
    }
    return true;
  }

  function failed(id: number, code: TaskFailed['code'], message: string): { reply: TaskFailed; transfer: ArrayBuffer[] } {
    return { reply: { id: id, ok: false, code: code, message: message }, transfer: [] };
  }

  function answer(request: NodeRequest): { reply: object; transfer: ArrayBuffer[] } {
    const id = request.id;
    switch (request.op) {
      case 'seal':
      case 'open': {
        let ok: boolean;
        try {
          ok = run(request.op, request.key, new Uint8Array(request.data), new Uint8Array(request.meta), new Uint8Array(request.output), request.frames);
        } finally {
          request.key.fill(0);
        }
        if (!ok) return failed(id, 'AUTHENTICATION_FAILED', 'AES-GCM authentication failed: the data was tampered with or the key is wrong');
        const reply = { id: id, ok: true, data: request.data, meta: request.meta, output: request.output };
        return { reply: reply, transfer: [request.data, request.meta, request.output] };
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
