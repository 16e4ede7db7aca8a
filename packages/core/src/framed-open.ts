/**
 * Random access to a framed message: once its header has authenticated (key commitment and header
 * tag), any frame, or any run of consecutive frames, can be opened on its own — each frame's
 * plaintext is released only after its tag verifies under its sequence number and final-frame marker.
 * spec: data-format/message-body.md#framed-data, data-format/message-body-aad.md,
 * client-apis/decrypt.md (a frame's plaintext MUST NOT be released before its tag verifies).
 */
import type { CryptoBackend } from './backend';
import { concatBytes } from './bytes';
import { malformed, StrongroomError } from './errors';
import { frameShape, openFrame, type FrameShape } from './frame';
import type { FramedMessageBase } from './framed-layout';
import { checkFinalMarker, frameRunParser, heldLast, layoutMethods } from './framed-run';
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
export interface FramedMessage extends FramedMessageBase {
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

  function open(shape: FrameShape, prefix: Uint8Array, ciphertext: readonly Uint8Array[], tag: Uint8Array): Uint8Array[] {
    return openFrame(backend, liveKey(), messageId, shape, prefix, ciphertext, tag);
  }

  function frameReader(firstSequence: number, lastSequence?: number, lastIsFinal?: boolean): FrameRunReader {
    const parser = frameRunParser(frameLength, firstSequence, lastSequence, lastIsFinal);
    const last = heldLast(parser);
    return {
      write(chunk) {
        const out: Uint8Array[] = [];
        try {
          for (const f of parser.push(chunk)) {
            const plaintext = open(f.shape, f.prefix, f.ciphertext, f.tag);
            if (f.last) last.hold(plaintext);
            else out.push(...plaintext);
          }
        } catch (e) {
          for (const o of out) o.fill(0);
          last.destroy();
          throw e;
        }
        return out;
      },
      end: () => last.end(),
      destroy: () => last.destroy(),
    };
  }

  return {
    header,
    headerLength,
    frameLength,
    encryptionContext: input.encryptionContext,
    ...layoutMethods(headerLength, frameLength),
    openFrame(sequence, sealed, isFinal) {
      if (!(sealed instanceof Uint8Array)) throw new StrongroomError('INVALID_ARGUMENT', 'openFrame: sealed must be a Uint8Array');
      const view = new DataView(sealed.buffer, sealed.byteOffset, sealed.byteLength);
      const shape = frameShape((o) => view.getUint32(o), sealed.length, frameLength, sequence);
      if (!shape) throw malformed(`Frame ${sequence} is truncated inside its prefix`);
      checkFinalMarker(shape, isFinal);
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
