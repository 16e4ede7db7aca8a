/**
 * The code a web pool worker runs (a module Web Worker started from a Blob URL of this source text,
 * https://html.spec.whatwg.org/multipage/workers.html, so it ships inside the web bundle and a
 * bundler needs no configuration for it). Like the Node worker body (./worker-body.ts) it uses no
 * outer name: the worker's global scope and the batch reader (./worker-batch.ts) are its parameters;
 * and it is written without async/await, destructuring, spread or for-of, so that a bundler lowering
 * the syntax for old targets has no helper to inject. AES-GCM is Web Crypto's (W3C Web Cryptography
 * API, https://www.w3.org/TR/webcrypto/#aes-gcm: the tag is appended to the ciphertext, which is why a
 * batch to open carries each frame's ciphertext ‖ tag). Batch layouts: ./protocol.ts.
 *
 * Web Crypto returns each result in a fresh buffer, which is transferred to the client as it is: a
 * sealed frame is its prefix (from one buffer of the batch's prefixes) and Web Crypto's ciphertext ‖
 * tag; an opened frame is Web Crypto's plaintext. Opening is all or nothing: every frame of the batch
 * is decrypted, and unless all verified every plaintext is zeroed and the answer is
 * AUTHENTICATION_FAILED.
 */
import type { WebKey } from '../web-crypto-api';
import type { BatchTask, TaskFailed } from './protocol';
import type { BatchFrame, readBatchFrame } from './worker-batch';

type Params = { name: 'AES-GCM'; iv: Uint8Array; additionalData: Uint8Array; tagLength: 128 };

/** What the worker needs of its global scope (`self`). */
export interface WorkerScope {
  readonly crypto: {
    readonly subtle: {
      importKey(format: 'raw', key: Uint8Array, algorithm: 'AES-GCM', extractable: false, usages: string[]): Promise<WebKey>;
      encrypt(params: Params, key: WebKey, data: Uint8Array): Promise<ArrayBuffer>;
      decrypt(params: Params, key: WebKey, data: Uint8Array): Promise<ArrayBuffer>;
    };
  };
  addEventListener(type: 'message', listener: (event: { readonly data: BatchTask & { readonly id: number } }) => void): void;
  postMessage(message: object, transfer: ArrayBuffer[]): void;
}

export function webPoolWorkerMain(scope: WorkerScope, readFrame: typeof readBatchFrame): void {
  const subtle = scope.crypto.subtle;

  function failure(id: number, code: TaskFailed['code'], message: string): TaskFailed {
    return { id: id, ok: false, code: code, message: message };
  }

  /** Zero every result that was produced (a batch that failed hands none of them on). */
  function zeroFulfilled(settled: PromiseSettledResult<ArrayBuffer>[]): void {
    for (let i = 0; i < settled.length; i++) {
      const s = settled[i]!;
      if (s.status === 'fulfilled') new Uint8Array(s.value).fill(0);
    }
  }

  /** Seal or open every frame of the batch; resolves the reply (its pieces in order) and what to transfer. */
  function run(request: BatchTask & { readonly id: number }): Promise<{ reply: object; transfer: ArrayBuffer[] }> {
    const seal = request.op === 'seal';
    const data = new Uint8Array(request.data);
    const meta = new Uint8Array(request.meta);
    let imported: Promise<WebKey>;
    try {
      imported = subtle.importKey('raw', request.key, 'AES-GCM', false, [seal ? 'encrypt' : 'decrypt']);
    } finally {
      // importKey copies the key bytes when it is called.
      request.key.fill(0);
    }
    return imported.then(
      function (key) {
        const results: Promise<ArrayBuffer>[] = [];
        const prefixes: Uint8Array[] = [];
        const frame: BatchFrame = { length: 0, iv: meta, aad: meta, prefix: meta, next: 0 };
        let at = 0;
        let size = 0;
        try {
          for (let i = 0; i < request.frames; i++) {
            readFrame(meta, frame);
            const params: Params = { name: 'AES-GCM', iv: frame.iv, additionalData: frame.aad, tagLength: 128 };
            const end = at + frame.length + (seal ? 0 : 16);
            results.push(seal ? subtle.encrypt(params, key, data.subarray(at, end)) : subtle.decrypt(params, key, data.subarray(at, end)));
            prefixes.push(frame.prefix);
            size += frame.prefix.length;
            at = end;
          }
        } catch (e) {
          // A call that throws instead of rejecting: the frames already started are zeroed as they finish.
          return Promise.allSettled(results).then(function (settled) {
            zeroFulfilled(settled);
            throw e;
          });
        }
        return Promise.allSettled(results).then(function (settled) {
          let failed = false;
          for (let i = 0; i < settled.length; i++) if (settled[i]!.status === 'rejected') failed = true;
          if (failed) {
            zeroFulfilled(settled);
            const reply = seal
              ? failure(request.id, 'INTERNAL', 'Web Crypto failed to seal a frame in a pool worker')
              : failure(request.id, 'AUTHENTICATION_FAILED', 'AES-GCM authentication failed: the data was tampered with or the key is wrong');
            return { reply: reply, transfer: [] };
          }
          const joins = new Uint8Array(size);
          const pieces: Uint8Array[] = [];
          const transfer: ArrayBuffer[] = [request.data, request.meta, joins.buffer];
          let j = 0;
          for (let i = 0; i < settled.length; i++) {
            const result = (settled[i] as PromiseFulfilledResult<ArrayBuffer>).value;
            if (seal) {
              joins.set(prefixes[i]!, j);
              pieces.push(joins.subarray(j, j + prefixes[i]!.length));
              j += prefixes[i]!.length;
            }
            pieces.push(new Uint8Array(result));
            transfer.push(result);
          }
          return { reply: { id: request.id, ok: true, data: request.data, meta: request.meta, pieces: pieces }, transfer: transfer };
        });
      },
      function (e: unknown) {
        const message = 'The Web Crypto of this runtime refused the content key in a pool worker (' + String((e as Error)?.message ?? e) + ')';
        return { reply: failure(request.id, 'UNSUPPORTED', message), transfer: [] };
      },
    );
  }

  scope.addEventListener('message', function (event) {
    const request = event.data;
    let answer: Promise<{ reply: object; transfer: ArrayBuffer[] }>;
    try {
      answer = run(request);
    } catch (e) {
      answer = Promise.reject(e);
    }
    answer
      .catch(function (e: unknown) {
        return { reply: failure(request.id, 'INTERNAL', 'A pool worker failed: ' + String((e as Error)?.message ?? e)), transfer: [] };
      })
      .then(function (out) {
        scope.postMessage(out.reply, out.transfer);
      });
  });
}
