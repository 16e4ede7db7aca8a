/**
 * The parsing half of reading a run of consecutive frames (frames `first` … `last` of a framed
 * message, as a ranged GET returns them), without any cryptography: it checks each frame's sequence
 * number, length and final-frame marker (./frame.ts) and hands out whole sealed frames. The Node
 * entry's frame reader (./framed-open.ts, synchronous backend) and the web entry's
 * (./web-framed-open.ts, async seam) drive it, so both check runs the same way.
 * spec: data-format/message-body.md#framed-data (sequence numbers run 1, 2, … without gaps; the
 * final frame is marked and is the last one).
 */
import { ByteQueue } from './byte-queue';
import { malformed, StrongroomError } from './errors';
import { frameShape, type FrameShape } from './frame';
import { framedLayout, framesFor, type FramedLayout, type FrameSpan } from './framed-layout';

/** One whole frame of a run: its checked shape and bytes; `last` = the run's last frame. */
export interface RunFrame {
  readonly shape: FrameShape;
  readonly prefix: Uint8Array;
  readonly ciphertext: Uint8Array[];
  readonly tag: Uint8Array;
  readonly last: boolean;
}

/** Splits the bytes of a run into checked frames. */
export interface FrameRunParser {
  /** Feed bytes; returns every frame they complete (MALFORMED for a wrong number, marker or trailing bytes). */
  push(chunk: Uint8Array): RunFrame[];
  /** End of input: MALFORMED unless exactly the run's frames arrived. */
  end(): void;
  /** Stop (nothing more is parsed). */
  stop(): void;
}

/** Checks that a frame is (or is not) the final one, as the reader expects. */
export function checkFinalMarker(shape: FrameShape, isFinal: boolean): void {
  if (shape.final !== isFinal) {
    throw malformed(
      isFinal
        ? `Frame ${shape.sequence} should be the final frame but is a regular one: the message is truncated or extended`
        : `Frame ${shape.sequence} is the final frame where a regular frame belongs: the message is truncated or frames were moved`,
    );
  }
}

/**
 * A parser for frames `firstSequence` … `lastSequence` (`lastIsFinal`: whether the last is the
 * message's final frame); with `lastSequence` undefined, up to and including the final frame.
 */
export function frameRunParser(frameLength: number, firstSequence: number, lastSequence?: number, lastIsFinal?: boolean): FrameRunParser {
  if (!Number.isInteger(firstSequence) || firstSequence < 1 || (lastSequence !== undefined && (!Number.isInteger(lastSequence) || lastSequence < firstSequence))) {
    throw new StrongroomError('INVALID_ARGUMENT', `frameReader: frames ${firstSequence} … ${String(lastSequence)} are not a run of sequence numbers from 1`);
  }
  const queue = new ByteQueue();
  let next = firstSequence;
  let finished = false;
  return {
    push(chunk) {
      queue.push(chunk);
      const out: RunFrame[] = [];
      for (;;) {
        if (finished) {
          if (queue.length > 0) throw malformed('Bytes follow the last expected frame');
          return out;
        }
        const shape = frameShape((o) => queue.uintAt(o, 4), queue.length, frameLength, next);
        if (!shape || queue.length < shape.total) return out;
        const last = lastSequence === undefined ? shape.final : next === lastSequence;
        checkFinalMarker(shape, lastSequence === undefined ? shape.final : last ? (lastIsFinal ?? false) : false);
        const prefix = queue.takeBytes(shape.prefixLength);
        const ciphertext = queue.take(shape.length);
        const tag = queue.takeBytes(16);
        next++;
        if (last) finished = true;
        out.push({ shape, prefix, ciphertext, tag, last });
      }
    },
    end() {
      if (!finished) throw malformed(`The frames end early: frame ${next} is missing or truncated`);
      if (queue.length > 0) throw malformed('Bytes follow the last expected frame');
    },
    stop() {
      finished = true;
    },
  };
}

/** A run's last frame, held until the run ended exactly (then released), wiped on destroy. */
export interface HeldLast {
  hold(plaintext: Uint8Array[]): void;
  /** The parser's end check (MALFORMED: everything wiped), then the held plaintext. */
  end(): Uint8Array[];
  /** Wipe the held plaintext and stop the parser. */
  destroy(): void;
}

export function heldLast(parser: FrameRunParser): HeldLast {
  let held: Uint8Array[] = [];
  const destroy = () => {
    for (const h of held) h.fill(0);
    held = [];
    parser.stop();
  };
  return {
    hold(plaintext) {
      held = plaintext;
    },
    end() {
      try {
        parser.end();
      } catch (e) {
        destroy();
        throw e;
      }
      const out = held;
      held = [];
      return out;
    },
    destroy,
  };
}

/** `layout` and `framesFor` of an opened message (header length and frame length known). */
export function layoutMethods(headerLength: number, frameLength: number): {
  layout(ciphertextLength: number): FramedLayout;
  framesFor(start: number, endInclusive: number, ciphertextLength: number): FrameSpan;
} {
  return {
    layout: (ciphertextLength) => framedLayout(headerLength, frameLength, ciphertextLength),
    framesFor: (start, endInclusive, ciphertextLength) => framesFor(framedLayout(headerLength, frameLength, ciphertextLength), start, endInclusive),
  };
}
