/**
 * The messages between a client thread and a pool worker, for both transports (Node
 * `worker_threads`: https://nodejs.org/api/worker_threads.html#portpostmessagevalue-transferlist; Web
 * Workers: https://html.spec.whatwg.org/multipage/workers.html). Every byte buffer that crosses is
 * transferred, never structured-cloned; the only secret that crosses for a batch is the message's
 * derived content key (a fresh 16–32-byte buffer per batch, wiped by the worker when the batch is done).
 *
 * A batch is several whole frames of one message, one AES-GCM call each (frame layout: AWS
 * Encryption SDK data-format/message-body.md). Its two buffers are allocated by the client thread and
 * reused for the stream's next batch (the reply hands them back):
 *  - `data`: per frame its input: seal the plaintext, open the ciphertext ‖ tag(16) (so Web Crypto,
 *    which takes the tag appended, opens it in place);
 *  - `meta`: per frame `u32 length ‖ iv(12) ‖ u16 aadLength ‖ u16 prefixLength ‖ aad ‖ prefix`
 *    (`length` = plaintext/ciphertext bytes without the tag; `prefix`, seal only, leads the frame's bytes).
 * The result comes back as `pieces`, in the order they are released: seal, the message's bytes (each
 * frame's ciphertext as the cipher returned it, and the small pieces between — prefix, tag — in one
 * fresh buffer of the batch); open, each frame's plaintext as the cipher returned it. Every piece's
 * buffer was allocated by the worker for this batch and is transferred, so the client hands the pieces
 * on as they are: no copy of a frame on either thread (node:crypto and Web Crypto return a fresh buffer
 * per call anyway).
 * Opening is all or nothing: on any tag failure the worker zeroes every plaintext of the batch and
 * answers AUTHENTICATION_FAILED (without the buffers).
 */
import type { StrongroomErrorCode } from '../errors';

/** Per frame in `meta`, before the AAD and prefix: u32 length ‖ iv(12) ‖ u16 aadLength ‖ u16 prefixLength. */
export const META_FIXED = 20;

/** A batch of frames to seal or open. */
export interface BatchTask {
  readonly op: 'seal' | 'open';
  readonly key: Uint8Array;
  readonly data: ArrayBuffer;
  readonly meta: ArrayBuffer;
  readonly frames: number;
}

/** A batch done: its two buffers back, and its result as pieces (views of buffers transferred with it). */
export interface BatchDone {
  readonly id: number;
  readonly ok: true;
  readonly data: ArrayBuffer;
  readonly meta: ArrayBuffer;
  readonly pieces: readonly Uint8Array[];
}

/** Any task that failed in a worker (a typed error code and its message). */
export interface TaskFailed {
  readonly id: number;
  readonly ok: false;
  readonly code: StrongroomErrorCode;
  readonly message: string;
}

/** What every reply has: the id of its request and whether it succeeded. */
export type TaskReply = { readonly id: number; readonly ok: true } | TaskFailed;
