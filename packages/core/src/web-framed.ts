/**
 * Random access to framed messages on the web entry (the async seam, Web Crypto): createFramedSealer
 * (seal the frames of one message in any order — the parts of a multipart upload) and openFramed
 * (authenticate a header, then open any run of frames — a ranged GET). The same rules as the Node
 * entry's ./framed-seal.ts and ./framed-open.ts, through the same code: the seal order
 * (./framed-seal.ts `sealOrder`), the run parser (./framed-run.ts), the frame layout (./frame.ts) and
 * the header checks (./framed-client.ts, ./web-header-auth.ts); only the AES-GCM calls await.
 * spec: data-format/message-body.md#framed-data, client-apis/decrypt.md (a frame's plaintext MUST NOT
 * be released before its tag verifies).
 */
import type { AsyncCryptoBackend, AsyncGcmKey } from './async-backend';
import { concatBytes } from './bytes';
import type { ClientCore, DecryptOptions, EncryptOptions } from './client-core';
import { StrongroomError } from './errors';
import { frameAad, frameSeal } from './frame';
import { checkSealable, openableHeader } from './framed-client';
import type { FramedMessageBase } from './framed-layout';
import { frameRunParser, heldLast, layoutMethods } from './framed-run';
import { sealOrder } from './framed-seal';
import { headerAuth } from './header-auth';
import type { MessageHeader } from './header';
import type { EncryptionContext } from './key-provider';
import { newMessageAsync, verifyHeaderAsync } from './web-header-auth';

/** Seals the frames of one framed message on the web entry (from `client.createFramedSealer()`). */
export interface WebFramedSealer {
  readonly header: MessageHeader;
  /** The serialized, authenticated header: the message's first bytes. */
  readonly headerBytes: Uint8Array;
  readonly frameLength: number;
  /**
   * Seal frame `sequence` (1-based), as the Node entry's `FramedSealer.sealFrame`; frames may be
   * sealed concurrently. Resolves the frame's bytes, to be placed at
   * `headerBytes.length + (sequence − 1) × (frameLength + 32)`.
   * @throws StrongroomError INVALID_ARGUMENT (a number sealed before, after the final frame, a wrong length), LIMIT_EXCEEDED.
   */
  sealFrame(sequence: number, plaintext: Uint8Array | readonly Uint8Array[], isFinal: boolean): Promise<Uint8Array>;
  /** Check that frames 1 … final were all sealed (else INVALID_ARGUMENT), then forget the key. */
  finish(): void;
  /** Forget the key without finishing (on error or abort). */
  destroy(): void;
}

/** Opens consecutive frames as their bytes arrive (await each write before the next). */
export interface WebFrameRunReader {
  /** Feed bytes; resolves the plaintext of every frame they completed, each verified. */
  write(chunk: Uint8Array): Promise<Uint8Array[]>;
  /** End of input: MALFORMED unless exactly the expected frames arrived; then the held last frame. */
  end(): Uint8Array[];
  /** Drop held plaintext (on error or abort). */
  destroy(): void;
}

/** An authenticated framed message header and its content key, on the web entry (from `client.openFramed()`). */
export interface WebFramedMessage extends FramedMessageBase {
  /**
   * Open frames `firstSequence` … `lastSequence` as their bytes stream in (undefined: up to and
   * including the final frame); the last frame is held until `end()`.
   */
  frameReader(firstSequence: number, lastSequence?: number, lastIsFinal?: boolean): WebFrameRunReader;
}

/** The random-access methods of the web client. */
export interface WebFramedClientMethods {
  createFramedSealer(options?: EncryptOptions): Promise<WebFramedSealer>;
  openFramed(headerBytes: Uint8Array, options?: DecryptOptions): Promise<WebFramedMessage>;
}

export function webFramedClientMethods(core: ClientCore, backend: AsyncCryptoBackend): WebFramedClientMethods {
  const { suite, frameLength, maxEncryptedDataKeys, maxFrameLength } = core;

  async function createFramedSealer(encryptOptions: EncryptOptions = {}): Promise<WebFramedSealer> {
    checkSealable(suite, frameLength);
    const message = await core.withMaterials(encryptOptions, encryptOptions.plaintextLength, false, (materials) => newMessageAsync({ backend, frameLength, ...materials }));
    const { header, key } = message;
    let headerBytes: Uint8Array;
    try {
      const auth = headerAuth(header, message.headerAadTail);
      headerBytes = concatBytes(auth.written((await key.encrypt(auth.iv, auth.aad, [])).tag));
    } catch (e) {
      key.destroy();
      throw e;
    }
    const order = sealOrder(frameLength);
    const destroy = () => {
      order.close();
      key.destroy();
    };
    return {
      header,
      headerBytes,
      frameLength,
      async sealFrame(sequence, plaintext, isFinal) {
        const { pieces, length } = order.claim(sequence, plaintext, isFinal);
        const seal = frameSeal(header.messageId, sequence, length, isFinal);
        const { ciphertext, tag } = await key.encrypt(seal.iv, seal.aad, pieces);
        return concatBytes([seal.prefix, ...ciphertext, tag]);
      },
      finish() {
        try {
          order.finish();
        } finally {
          key.destroy();
        }
      },
      destroy,
    };
  }

  async function openFramed(headerBytes: Uint8Array, decryptOptions: DecryptOptions = {}): Promise<WebFramedMessage> {
    const opening = core.opening(decryptOptions);
    const parsed = openableHeader(headerBytes, maxEncryptedDataKeys, maxFrameLength);
    let key: AsyncGcmKey | undefined;
    const encryptionContext = await core.withDataKey(parsed, opening, async (dataKey, aad) => void (key = await verifyHeaderAsync(backend, parsed, dataKey, aad)));
    return framedMessageAsync(parsed.header, parsed.length, encryptionContext, key!);
  }

  return { createFramedSealer, openFramed };
}

function framedMessageAsync(header: MessageHeader, headerLength: number, encryptionContext: EncryptionContext, bound: AsyncGcmKey): WebFramedMessage {
  const { frameLength, messageId } = header;
  let key: AsyncGcmKey | undefined = bound;
  const liveKey = () => {
    if (!key) throw new StrongroomError('INVALID_ARGUMENT', 'The framed message was destroyed; open it again');
    return key;
  };

  function frameReader(firstSequence: number, lastSequence?: number, lastIsFinal?: boolean): WebFrameRunReader {
    const parser = frameRunParser(frameLength, firstSequence, lastSequence, lastIsFinal);
    const last = heldLast(parser);
    let dead = false;
    const destroyRun = () => {
      dead = true;
      last.destroy();
    };
    return {
      async write(chunk) {
        try {
          const frames = parser.push(chunk);
          if (frames.length === 0) return [];
          const k = liveKey();
          // Frames complete at once are opened concurrently; plaintext is returned in order, and none of
          // it unless every one of them verified.
          const opened = await Promise.all(frames.map((f) => k.decrypt(f.prefix.subarray(f.shape.ivOffset, f.shape.ivOffset + 12), frameAad(messageId, f.shape), f.ciphertext, f.tag)));
          if (dead) {
            for (const o of opened) for (const p of o) p.fill(0);
            throw new StrongroomError('ABORTED', 'The frame reader was destroyed');
          }
          const out: Uint8Array[] = [];
          frames.forEach((f, i) => {
            if (f.last) last.hold(opened[i]!);
            else out.push(...opened[i]!);
          });
          return out;
        } catch (e) {
          destroyRun();
          throw e;
        }
      },
      end: () => last.end(),
      destroy: destroyRun,
    };
  }

  return {
    header,
    headerLength,
    frameLength,
    encryptionContext,
    ...layoutMethods(headerLength, frameLength),
    frameReader,
    destroy() {
      key?.destroy();
      key = undefined;
    },
  };
}
