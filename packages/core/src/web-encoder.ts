/**
 * AsyncMessageEncoder: the web entry's encoder, over the async backend seam. The framing is
 * ./frame-writer, the same code the Node entry's ./encoder drives; only the sealing awaits. Frames
 * that are complete at once are sealed concurrently (Web Crypto may run them in parallel) and
 * written in order. spec: client-apis/encrypt.md, data-format/message-body.md, message-footer.md.
 */
import type { AsyncCryptoBackend, AsyncGcmKey, AsyncIncrementalSigner } from './async-backend';
import type { SigningKeyPair } from './backend';
import { footer, FrameWriter, headerAuth, newHeader, type SealJob } from './frame-writer';
import type { MessageHeader } from './header';
import { messageKeysAsync } from './kdf';
import type { EncryptedDataKey, EncryptionContext } from './key-provider';
import { onlyAuthenticateAad, splitForEncrypt } from './required-context';
import type { AlgorithmSuite } from './suites';

export interface AsyncEncoderInput {
  readonly backend: AsyncCryptoBackend;
  readonly suite: AlgorithmSuite;
  /** Not retained: the content key is derived (and imported) in create(). */
  readonly dataKey: Uint8Array;
  readonly encryptedDataKeys: readonly EncryptedDataKey[];
  readonly encryptionContext: EncryptionContext;
  readonly requiredEncryptionContextKeys?: readonly string[];
  readonly signingKey: SigningKeyPair | undefined;
  readonly frameLength: number;
}

export class AsyncMessageEncoder {
  private readonly frames: FrameWriter;

  private constructor(
    readonly header: MessageHeader,
    private readonly key: AsyncGcmKey,
    private readonly signer: AsyncIncrementalSigner | undefined,
    private readonly headerAadTail: Uint8Array,
  ) {
    this.frames = new FrameWriter(header.messageId, header.frameLength);
  }

  static async create(input: AsyncEncoderInput): Promise<AsyncMessageEncoder> {
    const { backend, suite, dataKey, frameLength } = input;
    const messageId = backend.randomBytes(suite.messageVersion === 2 ? 32 : 16);
    const { stored, onlyAuthenticate } = splitForEncrypt(input.encryptionContext, input.requiredEncryptionContextKeys ?? []);
    const { commitment, key } = await messageKeysAsync(backend, suite, dataKey, messageId);
    let gcm: AsyncGcmKey;
    try {
      gcm = await backend.gcmKey(key);
    } finally {
      key.fill(0);
    }
    const signer = input.signingKey ? await backend.createSigner(input.signingKey) : undefined;
    const header = newHeader(suite, messageId, stored, input.encryptedDataKeys, frameLength, commitment);
    return new AsyncMessageEncoder(header, gcm, signer, onlyAuthenticateAad(onlyAuthenticate));
  }

  /** Header body ‖ header authentication. Call once, first. */
  async start(): Promise<Uint8Array[]> {
    this.frames.start();
    const auth = headerAuth(this.header, this.headerAadTail);
    const { tag } = await this.key.encrypt(auth.iv, auth.aad, []);
    return this.emit(auth.written(tag));
  }

  /** Feed plaintext; resolves the message bytes that are ready (whole frames). */
  async update(chunk: Uint8Array): Promise<Uint8Array[]> {
    const jobs = this.frames.update(chunk);
    if (jobs.length === 0) return [];
    const sealed = await Promise.all(jobs.map((job) => this.seal(job)));
    return this.emit(sealed.flat());
  }

  /** Seal the final frame (or the single block) and append the signature footer. */
  async final(): Promise<Uint8Array[]> {
    const out = this.emit(await this.seal(this.frames.final()));
    this.key.destroy();
    if (this.signer) out.push(footer(await this.signer.sign()));
    return out;
  }

  /** Forget the content key without finishing (on error or abort). */
  destroy(): void {
    this.frames.destroy();
    this.key.destroy();
  }

  private emit(pieces: Uint8Array[]): Uint8Array[] {
    if (this.signer) for (const p of pieces) this.signer.update(p);
    return pieces;
  }

  private async seal(job: SealJob): Promise<Uint8Array[]> {
    const { ciphertext, tag } = await this.key.encrypt(job.iv, job.aad, job.plaintext);
    return [job.prefix, ...ciphertext, tag];
  }
}
