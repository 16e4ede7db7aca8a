/**
 * The messages between a client thread and a pool worker (Node worker_threads, `postMessage` with a
 * transfer list: https://nodejs.org/api/worker_threads.html#portpostmessagevalue-transferlist).
 * Every byte buffer that crosses is transferred, never structured-cloned; the only secret that
 * crosses is a message's derived content key (a fresh 16–32-byte buffer per batch, wiped by the
 * worker when the batch is done) or a signed message's one-time ECDSA private key (a KeyObject).
 *
 * A batch is several whole frames of one message, one AES-GCM call each (frame layout: AWS
 * Encryption SDK data-format/message-body.md):
 *  - `data` = the frames' plaintexts (seal) or ciphertexts (open) back to back;
 *  - `meta` = for each frame `u32 length ‖ iv(12) ‖ tag(16) ‖ u16 aadLength ‖ aad` (seal: the worker
 *    writes the tag);
 *  - the reply carries each frame's output in its own buffer (`outputs`, transferred: node:crypto's
 *    update() output, not copied again), `data` back for the next batch, and (seal) `meta` with the tags.
 *    Opening is all or nothing: on a tag failure the worker zeroes what it opened and answers
 *    AUTHENTICATION_FAILED.
 */
import type { KeyObject } from 'node:crypto';
import type { StrongroomErrorCode } from '../errors';
import type { SignatureCurve } from '../suites';

/** Work for a worker (without the id the pool adds). */
export type PoolTask =
  | { readonly op: 'seal' | 'open'; readonly key: Uint8Array; readonly data: ArrayBuffer; readonly meta: ArrayBuffer; readonly frames: number }
  | { readonly op: 'keygen'; readonly curve: SignatureCurve }
  | { readonly op: 'sign'; readonly hash: 'sha256' | 'sha384'; readonly key: KeyObject; readonly data: ArrayBuffer };

export type PoolRequest = PoolTask & { readonly id: number };

/** A worker's answer: the batch's buffer back (sealed or opened), a signature, or a key pair. */
export type PoolReply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly data?: ArrayBuffer;
      readonly meta?: ArrayBuffer;
      readonly outputs?: ArrayBuffer[];
      readonly signature?: Uint8Array;
      readonly privateKey?: KeyObject;
      readonly publicKey?: KeyObject;
    }
  | { readonly id: number; readonly ok: false; readonly code: StrongroomErrorCode; readonly message: string };

