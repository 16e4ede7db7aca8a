/**
 * The code a pool worker runs. It is started as an `eval` worker from this function's source text
 * (https://nodejs.org/api/worker_threads.html#new-workerfilename-options), so it ships inside the
 * package's bundle and needs no separate file to locate at run time, in ESM, CommonJS or a bundler.
 * That is why it imports nothing: node:crypto and the parent port are its parameters, and every
 * helper is declared inside it. It does AES-GCM (NIST SP 800-38D; one cipher per frame, as
 * ../node-backend.ts does), ECDSA key generation and signing (FIPS 186-5, DER signatures as the
 * AWS Encryption SDK message footer carries them: data-format/message-footer.md). Batch layouts:
 * ./protocol.ts.
 */
import type { MessagePort } from 'node:worker_threads';
import type { PoolReply, PoolRequest } from './protocol';

type NodeCrypto = typeof import('node:crypto');

export function poolWorkerMain(crypto: NodeCrypto, port: MessagePort): void {
  const algorithm = (key: Uint8Array) => (key.length === 16 ? 'aes-128-gcm' : key.length === 24 ? 'aes-192-gcm' : 'aes-256-gcm');

  /** A transferable buffer holding exactly `bytes` (node:crypto's output, or a copy of it if it shares a buffer). */
  function own(bytes: Uint8Array): ArrayBuffer {
    if (bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length) return bytes.buffer as ArrayBuffer;
    const copy = new Uint8Array(bytes);
    bytes.fill(0);
    return copy.buffer;
  }

  /** Seal or open every frame of a batch; undefined when a tag does not verify (what was opened is zeroed). */
  function run(op: 'seal' | 'open', key: Uint8Array, data: Uint8Array, meta: Uint8Array, frames: number): ArrayBuffer[] | undefined {
    const view = new DataView(meta.buffer, meta.byteOffset, meta.length);
    const outputs: ArrayBuffer[] = [];
    let at = 0;
    let m = 0;
    for (let i = 0; i < frames; i++) {
      const length = view.getUint32(m);
      const iv = meta.subarray(m + 4, m + 16);
      const aad = meta.subarray(m + 34, m + 34 + view.getUint16(m + 32));
      const input = data.subarray(at, at + length);
      if (op === 'seal') {
        const cipher = crypto.createCipheriv(algorithm(key), key, iv, { authTagLength: 16 });
        cipher.setAAD(aad);
        if (length > 0) outputs.push(own(cipher.update(input)));
        cipher.final();
        meta.set(cipher.getAuthTag(), m + 16);
      } else {
        const decipher = crypto.createDecipheriv(algorithm(key), key, iv, { authTagLength: 16 });
        decipher.setAAD(aad);
        decipher.setAuthTag(meta.subarray(m + 16, m + 32));
        const plaintext = length > 0 ? decipher.update(input) : undefined;
        try {
          decipher.final();
        } catch {
          plaintext?.fill(0);
          for (const o of outputs) new Uint8Array(o).fill(0);
          return undefined;
        }
        if (plaintext) outputs.push(own(plaintext));
      }
      at += length;
      m += 34 + aad.length;
    }
    return outputs;
  }

  function answer(request: PoolRequest): { reply: PoolReply; transfer: ArrayBuffer[] } {
    const { id } = request;
    switch (request.op) {
      case 'seal':
      case 'open': {
        let outputs: ArrayBuffer[] | undefined;
        try {
          outputs = run(request.op, request.key, new Uint8Array(request.data), new Uint8Array(request.meta), request.frames);
        } finally {
          request.key.fill(0);
        }
        if (!outputs) {
          const message = 'AES-GCM authentication failed: the data was tampered with or the key is wrong';
          return { reply: { id, ok: false, code: 'AUTHENTICATION_FAILED', message }, transfer: [] };
        }
        const { data, meta } = request;
        return { reply: { id, ok: true, data, meta, outputs }, transfer: [data, meta, ...outputs] };
      }
      case 'keygen': {
        const names = { 'P-256': 'prime256v1', 'P-384': 'secp384r1' } as const;
        const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: names[request.curve] });
        return { reply: { id, ok: true, privateKey, publicKey }, transfer: [] };
      }
      case 'sign': {
        const signature = crypto.sign(request.hash, new Uint8Array(request.data), { key: request.key, dsaEncoding: 'der' });
        return { reply: { id, ok: true, data: request.data, signature }, transfer: [request.data] };
      }
    }
  }

  port.on('message', (request: PoolRequest) => {
    let out: { reply: PoolReply; transfer: ArrayBuffer[] };
    try {
      out = answer(request);
    } catch (e) {
      out = { reply: { id: request.id, ok: false, code: 'INTERNAL', message: `A pool worker failed: ${(e as Error)?.message ?? String(e)}` }, transfer: [] };
    }
    port.postMessage(out.reply, out.transfer);
  });
}

/** The source an eval worker runs: the function above, called with node:crypto and its parent port. */
export const POOL_WORKER_SOURCE = `(${poolWorkerMain.toString()})(require('node:crypto'), require('node:worker_threads').parentPort);`;
