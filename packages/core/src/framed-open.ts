/**
 * Random access to a framed message: once its header has authenticated (key commitment and header
 * tag), any frame, or any run of consecutive frames, can be opened on its own — each frame's
 * plaintext is released only after its tag verifies under its sequence number and final-frame marker.
 * spec: data-format/message-body.md#framed-data, data-format/message-body-aad.md,
 * client-apis/decrypt.md (a frame's plaintext MUST NOT be released before its tag verifies).
 */
import type { CryptoBackend } from './backend';
import { ByteQueue } from './byte-queue';
import { concatBytes } from './bytes';
import { malformed, StrongroomError } from './errors';
import { frameShape, openFrame, type FrameShape } from './frame';
import { framedLayout, framesFor, type FramedLayout, type FrameSpan } from './framed-layout';
import type { MessageHeader } from './header';
import type { EncryptionContext } from './key-provider';

/** Opens consecutive frames from bytes as they arrive (one frame buffered at most). */
export interface FrameRunReader {
  /** Feed bytes; returns the plaintext of every frame completed and verified by them. */
  write(chunk: Uint8Array): Uint8Array[];
  /**
   * End of input: throws MALFORMED unless exactly the expected frames arrived, then returns the
   * held last frame.
   */
  end(): Uint8Array[];
  /** Drop held plaintext (on error or abort). */
  destroy(): void;
}

/** An authenticated framed message header and its content key (from `client.openFramed()`). */
export interface FramedMessage {
  readonly header: MessageHeader;
  /** Bytes of the serialized header (where frame 1 starts). */
  readonly headerLength: number;
  readonly frameLength: number;
  /** The authenticated encryption context: stored pairs plus the reproduced required pairs. */
  readonly encryptionContext: EncryptionContext;
  /** Where the frames lie in a message of `ciphertextLength` bytes (MALFORMED if no such message). */
  layout(ciphertextLength: number): FramedLayout;
  /** The frames and ciphertext bytes covering plaintext `start` … `endInclusive`. */
  framesFor(start: number, endInclusive: number, ciphertextLength: number): FrameSpan;
  /**
   * Open one whole frame (`sealed` = exactly its bytes). Returns its plaintext only if the prefix
   * says `sequence` and `isFinal` and the tag verifies.
   * @throws StrongroomError MALFORMED (wrong sequence number, final marker or length), AUTHENTICATION_FAILED.
   */
  openFrame(sequence: number, sealed: Uint8Array, isFinal: boolean): Uint8Array;
  /**
   * Open frames `firstSequence` … `lastSequence` as their bytes stream in; with `lastSequence`
   * undefined, read up to and including the final frame. The last frame is held until `end()`.
   */
  frameReader(firstSequence: number, lastSequence?: number, lastIsFinal?: boolean): FrameRunReader;
  /** Wipe the content key. */
  destroy(): void;
}

export interface FramedOpenInput {
  readonly backend: CryptoBackend;
  readonly header: MessageHeader;
  readonly headerLength: number;
  readonly encryptionContext: EncryptionContext;
  /** The content key, verified against the header; owned (and wiped) by the returned object. */
  readonly key: Uint8Array;
}

export function framedMessage(input: FramedOpenInput): FramedMessage {
  const { backend, header, headerLength } = input;
  const { frameLength, messageId } = header;
  let key: Uint8Array | undefined = input.key;
  const liveKey = () => {
    if (!key) throw new StrongroomError('INVALID_ARGUMENT', 'The framed message was destroyed; open it again');
    return key;
  };

  function checkMarker(shape: FrameShape, isFinal: boolean): void {
    if (shape.final !== isFinal) {
      throw malformed(
        isFinal
          ? `Frame ${shape.sequence} should be the final frame but is a regular one: the message is truncated or extended`
          : `Frame ${shape.sequence} is the final frame where a regular frame belongs: the message is truncated or frames were moved`,
      );
    }
  }

  function open(shape: FrameShape, prefix: Uint8Array, ciphertext: readonly Uint8Array[], tag: Uint8Array): Uint8Array[] {
    return openFrame(backend, liveKey(), messageId, shape, prefix, ciphertext, tag);
  }

  function frameReader(firstSequence: number, lastSequence?: number, lastIsFinal?: boolean): FrameRunReader {
    if (!Number.isInteger(firstSequence) || firstSequence < 1 || (lastSequence !== undefined && (!Number.isInteger(lastSequence) || lastSequence < firstSequence))) {
      throw new StrongroomError('INVALID_ARGUMENT', `frameReader: frames ${firstSequence} … ${String(lastSequence)} are not a run of sequence numbers from 1`);
    }
    const queue = new ByteQueue();
    let next = firstSequence;
    let held: Uint8Array[] = [];
    let finished = false;
    const fail = (e: unknown) => {
      destroyRun();
      throw e;
    };
    function destroyRun(): void {
      for (const h of held) h.fill(0);
      held = [];
      finished = true;
    }
    return {
      write(chunk) {
        queue.push(chunk);
        const out: Uint8Array[] = [];
        try {
          for (;;) {
            if (finished) {
              if (queue.length > 0) throw malformed('Bytes follow the last expected frame');
              break;
            }
            const shape = frameShape((o) => queue.u32At(o), queue.length, frameLength, next);
            if (!shape || queue.length < shape.total) break;
            const isLast = lastSequence === undefined ? shape.final : next === lastSequence;
            checkMarker(shape, lastSequence === undefined ? shape.final : isLast ? (lastIsFinal ?? false) : false);
            const prefix = queue.takeBytes(shape.prefixLength);
            const ciphertext = queue.take(shape.length);
            const tag = queue.takeBytes(16);
            const plaintext = open(shape, prefix, ciphertext, tag);
            next++;
            if (isLast) {
              held = plaintext;
              finished = true;
            } else out.push(...plaintext);
          }
        } catch (e) {
          fail(e);
        }
        return out;
      },
      end() {
        if (!finished) fail(malformed(`The frames end early: frame ${next} is missing or truncated`));
        if (queue.length > 0) fail(malformed('Bytes follow the last expected frame'));
        const out = held;
        held = [];
        return out;
      },
      destroy: destroyRun,
    };
  }

  return {
    header,
    headerLength,
    frameLength,
    encryptionContext: input.encryptionContext,
    layout: (ciphertextLength) => framedLayout(headerLength, frameLength, ciphertextLength),
    framesFor: (start, endInclusive, ciphertextLength) => framesFor(framedLayout(headerLength, frameLength, ciphertextLength), start, endInclusive),
    openFrame(sequence, sealed, isFinal) {
      if (!(sealed instanceof Uint8Array)) throw new StrongroomError('INVALID_ARGUMENT', 'openFrame: sealed must be a Uint8Array');
      const view = new DataView(sealed.buffer, sealed.byteOffset, sealed.byteLength);
      const shape = frameShape((o) => view.getUint32(o), sealed.length, frameLength, sequence);
      if (!shape) throw malformed(`Frame ${sequence} is truncated inside its prefix`);
      checkMarker(shape, isFinal);
      if (sealed.length !== shape.total) throw malformed(`Frame ${sequence} is ${sealed.length} bytes; its prefix says ${shape.total}`);
      const tagAt = shape.total - 16;
      return concatBytes(open(shape, sealed.subarray(0, shape.prefixLength), [sealed.subarray(shape.prefixLength, tagAt)], sealed.subarray(tagAt)));
    },
    frameReader,
    destroy() {
      key?.fill(0);
      key = undefined;
    },
  };
}
