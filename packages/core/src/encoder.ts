/**
 * MessageEncoder: turns plaintext pieces into an AWS Encryption SDK message, incrementally, with a
 * synchronous backend (the Node entry's hot path: nothing here awaits). The one-shot `encrypt()` and
 * the streaming `encryptStream()` both drive this one machine; the framing is ./frame-writer, shared
 * with the web entry's ./web-encoder.
 * spec: client-apis/encrypt.md, data-format/message-body.md, data-format/message-footer.md.
 */
import type { CryptoBackend, IncrementalSigner, SigningKeyPair } from './backend';
import { footer, FrameWriter, headerAuth, newHeader, type SealJob } from './frame-writer';
import type { MessageHeader } from './header';
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
  private readonly frames: FrameWriter;

  constructor(private readonly input: EncoderInput) {
    const { backend, suite, dataKey, frameLength } = input;
    const messageId = backend.randomBytes(suite.messageVersion === 2 ? 32 : 16);
    const prk = suite.committing ? committingPrk(backend, dataKey, messageId) : undefined;
    const { stored, onlyAuthenticate } = splitForEncrypt(input.encryptionContext, input.requiredEncryptionContextKeys ?? []);
    this.headerAadTail = onlyAuthenticateAad(onlyAuthenticate);
    this.header = newHeader(suite, messageId, stored, input.encryptedDataKeys, frameLength, prk ? commitmentKey(backend, prk) : undefined);
    this.key = contentKey(backend, suite, dataKey, messageId, prk);
    prk?.fill(0);
    this.signer = input.signingKey ? backend.createSigner(input.signingKey) : undefined;
    this.frames = new FrameWriter(messageId, frameLength);
  }

  /** Plaintext bytes encrypted so far (for data-key usage limits). */
  get bytesIn(): number {
    return this.frames.bytesIn;
  }

  /** Header body ‖ header authentication. Call once, first. */
  start(): Uint8Array[] {
    this.frames.start();
    const auth = headerAuth(this.header, this.headerAadTail);
    const { tag } = this.input.backend.gcmEncrypt(this.key, auth.iv, auth.aad, []);
    return this.emit(auth.written(tag));
  }

  /** Feed plaintext; returns the message bytes that are ready (whole frames). */
  update(chunk: Uint8Array): Uint8Array[] {
    const jobs = this.frames.update(chunk);
    if (jobs.length === 0) return [];
    const out: Uint8Array[] = [];
    for (const job of jobs) this.seal(job, out);
    return this.emit(out);
  }

  /** Seal the final frame (or the single block) and append the signature footer. */
  final(): Uint8Array[] {
    const out = this.emit(this.seal(this.frames.final(), []));
    this.key.fill(0);
    if (this.signer) out.push(footer(this.signer.sign()));
    return out;
  }

  /** Wipe the content key without finishing (on error or abort). */
  destroy(): void {
    this.frames.destroy();
    this.key.fill(0);
  }

  private emit(pieces: Uint8Array[]): Uint8Array[] {
    if (this.signer) for (const p of pieces) this.signer.update(p);
    return pieces;
  }

  private seal(job: SealJob, out: Uint8Array[]): Uint8Array[] {
    const { ciphertext, tag } = this.input.backend.gcmEncrypt(this.key, job.iv, job.aad, job.plaintext);
    out.push(job.prefix, ...ciphertext, tag);
    return out;
  }
}
