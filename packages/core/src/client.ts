/**
 * createClient for Node.js: envelope encryption in the AWS Encryption SDK message format, with Node
 * streams and the node:crypto backend (synchronous: the per-frame path awaits nothing). The options,
 * policy and provider logic are ./client-core, shared with the web entry (./web-client).
 * spec: client-apis/client.md, client-apis/encrypt.md, client-apis/decrypt.md, client-apis/streaming.md.
 */
import { Duplex, Readable, Transform, type TransformCallback, pipeline } from 'node:stream';
import type { ReadableStream as NodeWebReadableStream } from 'node:stream/web';
import type { CryptoBackend } from './backend';
import { coalesce, concatBytes } from './bytes';
import { type BaseClientOptions, clientCore, type DecryptOptions, type DecryptResult, type EncryptOptions, type EncryptResult, type Opening } from './client-core';
import type { CommitmentPolicy } from './commitment-policy';
import { MessageDecoder } from './decoder';
import { MessageEncoder } from './encoder';
import { StrongroomError, throwIfAborted } from './errors';
import type { ParsedHeader } from './header';
import { chunksOf, inMemory, isInput, knownLength, type WebInput } from './input';
import type { EncryptionContext } from './key-provider';
import { nodeBackend } from './node-backend';
import type { AlgorithmSuite } from './suites';

export {
  DEFAULT_FRAME_LENGTH,
  DEFAULT_MAX_ENCRYPTED_DATA_KEYS,
  DEFAULT_MAX_FRAME_LENGTH,
  type DecryptOptions,
  type DecryptResult,
  type EncryptOptions,
  type EncryptResult,
} from './client-core';

/** What encrypt and decrypt accept: bytes, a string (UTF-8), or a Node/Web stream or async iterable of bytes. */
export type Input = WebInput | Readable | NodeWebReadableStream<Uint8Array>;

/**
 * Options of {@link createClient}: the key provider(s), commitment policy, frame length, caps, data-key cache, crypto backend.
 */
export interface ClientOptions extends BaseClientOptions {
  /** Crypto implementation: node:crypto (default) or `nobleBackend` from `@strongroom/core/noble`. */
  backend?: CryptoBackend;
}

/** An encrypt/decrypt client bound to its key providers (from {@link createClient}). */
export interface StrongroomClient {
  readonly suite: AlgorithmSuite;
  readonly frameLength: number;
  readonly commitmentPolicy: CommitmentPolicy;
  /** Encrypt an input (bytes, string or stream) into one message held in memory. */
  encrypt(plaintext: Input, options?: EncryptOptions): Promise<EncryptResult>;
  /** Decrypt a whole message held in memory (or read fully from a stream). */
  decrypt(ciphertext: Input, options?: DecryptOptions): Promise<DecryptResult>;
  /** A transform: write plaintext, read the message. Emits 'header' once the header is known. */
  encryptStream(options?: EncryptOptions): Duplex;
  /** Encrypt `input` as a stream; returns the readable message. */
  encryptStream(input: Input, options?: EncryptOptions): Duplex;
  /**
   * A transform: write the message, read plaintext released frame by frame after authentication.
   * Emits 'header' (header, authenticated encryption context) once the header tag has verified.
   */
  decryptStream(options?: DecryptOptions): Duplex;
  /** Decrypt `input` as a stream; returns the readable plaintext, each frame released after authentication. */
  decryptStream(input: Input, options?: DecryptOptions): Duplex;
}

/**
 * Create an encryption client.
 * @example
 * const client = createClient({ keyProvider: RawAesKeyProvider({ namespace: 'app', name: 'k1', key }) });
 * const { ciphertext } = await client.encrypt('hello', { encryptionContext: { tenant: 'acme' } });
 * const { plaintext } = await client.decrypt(ciphertext, { expectedEncryptionContext: { tenant: 'acme' } });
 * @throws StrongroomError INVALID_ARGUMENT / COMMITMENT_POLICY for inconsistent options.
 */
export function createClient(options: ClientOptions): StrongroomClient {
  const backend = options?.backend ?? nodeBackend;
  const core = clientCore(options, backend);
  const { suite, frameLength, commitmentPolicy, maxEncryptedDataKeys, maxFrameLength } = core;

  async function encoderFor(encryptOptions: EncryptOptions, length: number | undefined, streaming: boolean): Promise<MessageEncoder> {
    const materials = await core.materials(encryptOptions, length, streaming);
    try {
      throwIfAborted(encryptOptions.abortSignal);
      return new MessageEncoder({ backend, frameLength, ...materials });
    } finally {
      materials.dataKey.fill(0);
    }
  }

  async function open(decoder: MessageDecoder, parsed: ParsedHeader, decryptOptions: Opening): Promise<EncryptionContext> {
    const { dataKey, full, authenticatedOnly } = await core.unwrap(parsed, decryptOptions);
    try {
      throwIfAborted(decryptOptions.abortSignal);
      decoder.begin(dataKey, authenticatedOnly);
    } finally {
      dataKey.fill(0);
    }
    return full;
  }

  const openingOptions = core.opening;

  async function encrypt(plaintext: Input, encryptOptions: EncryptOptions = {}): Promise<EncryptResult> {
    const encoder = await encoderFor(encryptOptions, knownLength(plaintext), false);
    try {
      const out = encoder.start();
      const whole = inMemory(plaintext);
      if (whole) {
        out.push(...encoder.update(whole));
      } else {
        for await (const c of chunksOf(plaintext)) {
          throwIfAborted(encryptOptions.abortSignal);
          out.push(...encoder.update(c));
        }
      }
      out.push(...encoder.final());
      return { ciphertext: concatBytes(out), header: encoder.header };
    } catch (e) {
      encoder.destroy();
      throw e;
    }
  }

  async function decrypt(ciphertext: Input, decryptOptions: DecryptOptions = {}): Promise<DecryptResult> {
    const opening = openingOptions(decryptOptions);
    const decoder = new MessageDecoder({ backend, maxEncryptedDataKeys, maxFrameLength: Number.POSITIVE_INFINITY });
    const whole = inMemory(ciphertext);
    if (whole) decoder.write(whole);
    else for await (const c of chunksOf(ciphertext)) decoder.write(c);
    const parsed = decoder.readHeader() ?? (decoder.end(), undefined);
    const header = parsed!.header;
    const encryptionContext = await open(decoder, parsed!, opening);
    const out = decoder.read();
    out.push(...decoder.end());
    return { plaintext: concatBytes(out), header, encryptionContext };
  }

  function encryptStream(inputOrOptions?: Input | EncryptOptions, maybeOptions?: EncryptOptions): Duplex {
    const [input, encryptOptions] = splitArgs(inputOrOptions, maybeOptions);
    const length = encryptOptions.plaintextLength ?? (input === undefined ? undefined : knownLength(input));
    const transform = new EncryptTransform(() => encoderFor(encryptOptions, length, true));
    return connect(transform, input, encryptOptions.abortSignal);
  }

  function decryptStream(inputOrOptions?: Input | DecryptOptions, maybeOptions?: DecryptOptions): Duplex {
    const [input, decryptOptions] = splitArgs(inputOrOptions, maybeOptions);
    const opening = openingOptions(decryptOptions);
    const decoder = new MessageDecoder({ backend, maxEncryptedDataKeys, maxFrameLength });
    const transform = new DecryptTransform(decoder, (parsed) => open(decoder, parsed, opening));
    return connect(transform, input, decryptOptions.abortSignal);
  }

  return {
    suite,
    frameLength,
    commitmentPolicy,
    encrypt,
    decrypt,
    encryptStream: encryptStream as StrongroomClient['encryptStream'],
    decryptStream: decryptStream as StrongroomClient['decryptStream'],
  };
}

function splitArgs<O extends object>(a: Input | O | undefined, b: O | undefined): [Input | undefined, O] {
  if (a !== undefined && isInput(a)) return [a, b ?? ({} as O)];
  return [undefined, (a as O | undefined) ?? ({} as O)];
}

/** Feed `input` (if any) into the transform and wire up the abort signal. */
function connect(transform: Duplex, input: Input | undefined, abortSignal: AbortSignal | undefined): Duplex {
  if (abortSignal) {
    const onAbort = () => transform.destroy(new StrongroomError('ABORTED', 'The operation was aborted', { cause: abortSignal.reason }));
    if (abortSignal.aborted) queueMicrotask(onAbort);
    else {
      abortSignal.addEventListener('abort', onAbort, { once: true });
      transform.once('close', () => abortSignal.removeEventListener('abort', onAbort));
    }
  }
  if (input !== undefined) {
    const source = input instanceof Readable ? input : Readable.from(chunksOf(input), { objectMode: false });
    pipeline(source, transform, () => {
      /* errors surface on the transform */
    });
  }
  return transform;
}

/** Push output pieces, small runs coalesced (./bytes coalesce). */
function push(stream: Transform, pieces: Uint8Array[]): void {
  coalesce(pieces, (piece) => void stream.push(piece));
}

class EncryptTransform extends Transform {
  private encoder: MessageEncoder | undefined;
  private starting: Promise<MessageEncoder> | undefined;

  constructor(private readonly create: () => Promise<MessageEncoder>) {
    super();
  }

  private withEncoder(run: (encoder: MessageEncoder) => Uint8Array[], callback: TransformCallback): void {
    const go = (encoder: MessageEncoder) => {
      try {
        push(this, run(encoder));
        callback();
      } catch (e) {
        callback(e as Error);
      }
    };
    if (this.encoder) return go(this.encoder);
    this.starting ??= this.create().then((encoder) => {
      this.encoder = encoder;
      this.emit('header', encoder.header);
      push(this, encoder.start());
      return encoder;
    });
    this.starting.then(go, (e) => callback(e));
  }

  override _transform(chunk: Uint8Array, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.withEncoder((encoder) => encoder.update(chunk), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.withEncoder((encoder) => encoder.final(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.encoder?.destroy();
    callback(error);
  }
}

class DecryptTransform extends Transform {
  private opened = false;
  private opening: Promise<void> | undefined;

  constructor(
    private readonly decoder: MessageDecoder,
    private readonly open: (parsed: ParsedHeader) => Promise<EncryptionContext>,
  ) {
    super();
  }

  private drain(callback: TransformCallback, final: boolean): void {
    try {
      push(this, final ? this.decoder.end() : this.decoder.read());
      callback();
    } catch (e) {
      callback(e as Error);
    }
  }

  override _transform(chunk: Uint8Array, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.decoder.write(chunk);
      if (this.opened) return this.drain(callback, false);
      const parsed = this.decoder.readHeader();
      if (!parsed) return callback();
      this.opening ??= this.open(parsed).then((encryptionContext) => {
        this.opened = true;
        this.emit('header', parsed.header, encryptionContext);
      });
      this.opening.then(
        () => this.drain(callback, false),
        (e) => callback(e),
      );
    } catch (e) {
      callback(e as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (!this.opened) {
      try {
        this.decoder.end(); // throws: truncated header
      } catch (e) {
        return callback(e as Error);
      }
    }
    this.drain(callback, true);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.decoder.destroy();
    callback(error);
  }
}

/** Adapt a Node Readable (e.g. from encryptStream) to a Web ReadableStream. */
export function toWebReadable(readable: Readable): ReadableStream<Uint8Array> {
  return Readable.toWeb(readable) as unknown as ReadableStream<Uint8Array>;
}

/** Adapt a transform (encryptStream()/decryptStream() without input) to a Web TransformStream-like pair. */
export function toWebTransform(duplex: Duplex): { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> } {
  return Duplex.toWeb(duplex) as unknown as { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };
}
