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

  function seal(key: Uint8Array, data: Uint8Array, meta: DataView, frames: number): void {
    let at = 0;
    let m = 0;
    for (let i = 0; i < frames; i++) {
      const prefixLength = meta.getUint8(m);
      const ivOffset = meta.getUint8(m + 1);
      const length = meta.getUint32(m + 2);
      const aadLength = meta.getUint16(m + 6);
      const aad = new Uint8Array(meta.buffer, m + 8, aadLength);
      m += 8 + aadLength;
      const cipher = crypto.createCipheriv(algorithm(key), key, data.subarray(at + ivOffset, at + ivOffset + 12), { authTagLength: 16 });
      cipher.setAAD(aad);
      const body = at + prefixLength;
      if (length > 0) data.set(cipher.update(data.subarray(body, body + length)), body);
      cipher.final();
      data.set(cipher.getAuthTag(), body + length);
      at = body + length + 16;
    }
  }

  function open(key: Uint8Array, data: Uint8Array, meta: DataView, frames: number): boolean {
    let at = 0;
    let m = 0;
    for (let i = 0; i < frames; i++) {
      const length = meta.getUint32(m);
      const iv = new Uint8Array(meta.buffer, m + 4, 12);
      const tag = new Uint8Array(meta.buffer, m + 16, 16);
      const aadLength = meta.getUint16(m + 32);
      const aad = new Uint8Array(meta.buffer, m + 34, aadLength);
      m += 34 + aadLength;
      const decipher = crypto.createDecipheriv(algorithm(key), key, iv, { authTagLength: 16 });
      decipher.setAAD(aad);
      decipher.setAuthTag(tag);
      if (length > 0) data.set(decipher.update(data.subarray(at, at + length)), at);
      try {
        decipher.final();
      } catch {
        return false;
      }
      at += length;
    }
    return true;
  }

  function answer(request: PoolRequest): { reply: PoolReply; transfer: ArrayBuffer[] } {
    const { id } = request;
    switch (request.op) {
      case 'seal':
      case 'open': {
        const data = new Uint8Array(request.data);
        try {
          const meta = new DataView(request.meta);
          if (request.op === 'seal') seal(request.key, data, meta, request.frames);
          else if (!open(request.key, data, meta, request.frames)) {
            data.fill(0);
            const message = 'AES-GCM authentication failed: the data was tampered with or the key is wrong';
            return { reply: { id, ok: false, code: 'AUTHENTICATION_FAILED', message }, transfer: [] };
          }
        } finally {
          request.key.fill(0);
        }
        return { reply: { id, ok: true, data: request.data }, transfer: [request.data] };
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
