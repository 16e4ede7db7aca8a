/**
 * MessageEncoder: turns plaintext pieces into an AWS Encryption SDK message, incrementally.
 * The one-shot `encrypt()` and the streaming `encryptStream()` both drive this one state machine.
 *
 * Memory: at most one frame of plaintext is held (a frame is sealed only once we know whether it is
 * the final one, because the final frame's AAD label and length differ).
 */
import type { CryptoBackend, IncrementalSigner, SigningKeyPair } from './backend';
import { bodyAad, FINAL_FRAME_MARKER, frameIv, MAX_FRAMES, MAX_NON_FRAMED_LENGTH } from './body';
import { concatBytes } from './bytes';
import { StrongroomError } from './errors';
import { CONTENT_FRAMED, CONTENT_NON_FRAMED, type MessageHeader, serializeHeaderBody } from './header';
import { commitmentKey, committingPrk, contentKey } from './kdf';
import type { EncryptedDataKey, EncryptionContext } from './key-provider';
import { onlyAuthenticateAad, splitForEncrypt } from './required-context';
import type { AlgorithmSuite } from './suites';

export interface EncoderInput {
  readonly backend: CryptoBackend;
  readonly suite: AlgorithmSuite;
  /** Not retained: the content key is derived synchronously in the constructor. */
  readonly dataKey: Uint8Array;
  readonly encryptedDataKeys: readonly EncryptedDataKey[];
  /** The full context, including `aws-crypto-public-key` for signing suites. */
  readonly encryptionContext: EncryptionContext;
  /**
   * Keys of encryptionContext authenticated by the header tag but not stored in the header
   * (spec: client-apis/encrypt.md, "encryption context to only authenticate").
   */
  readonly requiredEncryptionContextKeys?: readonly string[];
  readonly signingKey: SigningKeyPair | undefined;
  /** 0 writes a non-framed body (only for in-memory input). */
  readonly frameLength: number;
}

export class MessageEncoder {
  readonly header: MessageHeader;
  private readonly key: Uint8Array;
  private readonly signer: IncrementalSigner | undefined;
  /** Appended to the header body in the header tag's AAD (zero bytes when nothing is required). */
  private readonly headerAadTail: Uint8Array;
  private pending: Uint8Array[] = [];
  private pendingLength = 0;
  private sequence = 1;
  private started = false;
  private finished = false;
  /** Plaintext bytes encrypted so far (for data-key usage limits). */
  bytesIn = 0;

  constructor(private readonly input: EncoderInput) {
    const { backend, suite, dataKey, frameLength } = input;
    const messageId = backend.randomBytes(suite.messageVersion === 2 ? 32 : 16);
    const prk = suite.committing ? committingPrk(backend, dataKey, messageId) : undefined;
    const { stored, onlyAuthenticate } = splitForEncrypt(input.encryptionContext, input.requiredEncryptionContextKeys ?? []);
    this.headerAadTail = onlyAuthenticateAad(onlyAuthenticate);
    this.header = {
      version: suite.messageVersion,
      suite,
      messageId,
      encryptionContext: stored,
      encryptedDataKeys: input.encryptedDataKeys,
      contentType: frameLength === 0 ? CONTENT_NON_FRAMED : CONTENT_FRAMED,
      frameLength,
      commitment: prk ? commitmentKey(backend, prk) : undefined,
    };
    this.key = contentKey(backend, suite, dataKey, messageId, prk);
    prk?.fill(0);
    this.signer = input.signingKey ? backend.createSigner(input.signingKey) : undefined;
  }

  /** Header body ‖ header authentication. Call once, first. */
  start(): Uint8Array[] {
    if (this.started) throw new StrongroomError('INTERNAL', 'MessageEncoder.start() called twice');
    this.started = true;
    const body = serializeHeaderBody(this.header);
    const iv = new Uint8Array(12);
    // spec: client-apis/encrypt.md — AAD = header body ‖ serialized encryption context to only authenticate.
    const aad = this.headerAadTail.length === 0 ? body : concatBytes([body, this.headerAadTail]);
    const { tag } = this.input.backend.gcmEncrypt(this.key, iv, aad, []);
    const out = this.header.version === 1 ? [body, iv, tag] : [body, tag];
    return this.emit(out);
  }

  /** Feed plaintext; returns the message bytes that are ready (whole frames). */
  update(chunk: Uint8Array): Uint8Array[] {
    if (!this.started || this.finished) throw new StrongroomError('INTERNAL', 'MessageEncoder.update() out of order');
    if (chunk.length === 0) return [];
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    this.bytesIn += chunk.length;
    const frameLength = this.input.frameLength;
    if (frameLength === 0) {
      if (this.pendingLength > MAX_NON_FRAMED_LENGTH) {
        throw new StrongroomError('LIMIT_EXCEEDED', `A non-framed message holds at most ${MAX_NON_FRAMED_LENGTH} bytes`);
      }
      return [];
    }
    const out: Uint8Array[] = [];
    // A frame is sealed as "regular" only once more bytes follow it; otherwise it may be the final one.
    while (this.pendingLength > frameLength) out.push(...this.sealFrame(this.take(frameLength), frameLength, false));
    return this.emit(out);
  }

  /** Seal the final frame (or the single block) and append the signature footer. */
  final(): Uint8Array[] {
    if (!this.started || this.finished) throw new StrongroomError('INTERNAL', 'MessageEncoder.final() out of order');
    this.finished = true;
    const length = this.pendingLength;
    const pieces = this.take(length);
    const out = this.emit(
      this.input.frameLength === 0 ? this.sealSingleBlock(pieces, length) : this.sealFrame(pieces, length, true),
    );
    this.key.fill(0);
    if (this.signer) {
      const signature = this.signer.sign();
      const footer = new Uint8Array(2 + signature.length);
      new DataView(footer.buffer).setUint16(0, signature.length);
      footer.set(signature, 2);
      out.push(footer);
    }
    return out;
  }

  /** Wipe the content key without finishing (on error or abort). */
  destroy(): void {
    this.finished = true;
    this.key.fill(0);
    this.pending = [];
  }

  private emit(pieces: Uint8Array[]): Uint8Array[] {
    if (this.signer) for (const p of pieces) this.signer.update(p);
    return pieces;
  }

  /** Remove exactly n bytes from the front of the pending pieces, without copying. */
  private take(n: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let need = n;
    while (need > 0) {
      const head = this.pending[0]!;
      if (head.length <= need) {
        out.push(head);
        this.pending.shift();
        need -= head.length;
      } else {
        out.push(head.subarray(0, need));
        this.pending[0] = head.subarray(need);
        need = 0;
      }
    }
    this.pendingLength -= n;
    return out;
  }

  private sealFrame(plaintext: Uint8Array[], length: number, final: boolean): Uint8Array[] {
    const seq = this.sequence++;
    if (seq > MAX_FRAMES) throw new StrongroomError('LIMIT_EXCEEDED', 'A message holds at most 2^32 - 2 frames; use a larger frameLength');
    const iv = frameIv(seq);
    const aad = bodyAad(this.header.messageId, final ? 'final' : 'frame', seq, length);
    const { ciphertext, tag } = this.input.backend.gcmEncrypt(this.key, iv, aad, plaintext);
    const prefix = new Uint8Array(final ? 24 : 16);
    const view = new DataView(prefix.buffer);
    if (final) {
      view.setUint32(0, FINAL_FRAME_MARKER);
      view.setUint32(4, seq);
      prefix.set(iv, 8);
      view.setUint32(20, length);
    } else {
      view.setUint32(0, seq);
      prefix.set(iv, 4);
    }
    return [prefix, ...ciphertext, tag];
  }

  private sealSingleBlock(plaintext: Uint8Array[], length: number): Uint8Array[] {
    const iv = frameIv(1);
    const aad = bodyAad(this.header.messageId, 'single', 1, length);
    const { ciphertext, tag } = this.input.backend.gcmEncrypt(this.key, iv, aad, plaintext);
    const prefix = new Uint8Array(20);
    prefix.set(iv);
    const view = new DataView(prefix.buffer);
    view.setUint32(12, Math.floor(length / 2 ** 32));
    view.setUint32(16, length >>> 0);
    return [prefix, ...ciphertext, tag];
  }
}
