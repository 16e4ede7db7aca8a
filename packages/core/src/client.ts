/**
 * createClient for Node.js: envelope encryption in the AWS Encryption SDK message format, with Node
 * streams and the node:crypto backend (synchronous: the per-frame path awaits nothing). The options,
 * policy and provider logic are ./client-core, shared with the web entry (./web-client).
 * spec: client-apis/client.md, client-apis/encrypt.md, client-apis/decrypt.md, client-apis/streaming.md.
 */
import { Duplex, Readable, pipeline } from 'node:stream';
import type { ReadableStream as NodeWebReadableStream } from 'node:stream/web';
import type { CryptoBackend } from './backend';
import { concatBytes } from './bytes';
import { type BaseClientOptions, clientCore, type DecryptOptions, type DecryptResult, type EncryptOptions, type EncryptResult, type Opening } from './client-core';
import type { CommitmentPolicy } from './commitment-policy';
import { MessageDecoder } from './decoder';
import { MessageEncoder } from './encoder';
import { framedClientMethods, type RewrapHeaderOptions } from './framed-client';
import type { FramedMessage } from './framed-open';
import type { FramedSealer } from './framed-seal';
import { StrongroomError, throwIfAborted } from './errors';
import type { ParsedHeader } from './header';
import { chunksOf, inMemory, knownLength, splitArgs, type WebInput } from './input';
import type { EncryptionContext } from './key-provider';
import { nodeBackend } from './node-backend';
import { DecryptTransform, decoderDriver, EncryptTransform, encoderDriver } from './node-transforms';
import { poolSigningKey, pooledOperations } from './pool/pooled-client';
import { createWorkerPool, poolRunner, type PoolRunner, type WorkerPool } from './pool/worker-pool';
import type { AlgorithmSuite } from './suites';

/** What encrypt and decrypt accept: bytes, a string (UTF-8), or a Node/Web stream or async iterable of bytes. */
export type Input = WebInput | Readable | NodeWebReadableStream<Uint8Array>;

/**
 * Options of {@link createClient}: the key provider(s), commitment policy, frame length, caps, data-key cache, crypto backend.
 */
export interface ClientOptions extends BaseClientOptions {
  /** Crypto implementation: node:crypto (default) or `nobleBackend` from `@strongroom/core/noble`. */
  backend?: CryptoBackend;
  /**
   * Seal and open the frames of large messages, and sign messages of the signed suites, on this many
   * worker threads (a pool of the client's own; its idle threads never keep the process alive).
   * Messages of one frame stay on the calling thread. docs/performance.md#worker-pool--benchcorepoolmjs.
   */
  parallelism?: number;
  /** A pool from createWorkerPool(), shared with other clients (instead of `parallelism`). */
  pool?: WorkerPool;
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
  /**
   * A sealer for one framed message whose frames are sealed independently, in any order (e.g. the
   * parts of a multipart upload, concurrently). Only suite 0x0478 (committing, unsigned): a
   * signature over the whole message would leave single frames unverifiable.
   * @throws StrongroomError UNSUPPORTED for another suite or frameLength 0.
   */
  createFramedSealer(options?: EncryptOptions): Promise<FramedSealer>;
  /**
   * Authenticate the header of a framed message (`headerBytes` = the message's first bytes, at least
   * the whole header) and return an object that opens any of its frames on its own. Same checks
   * and options as decrypt; only suite 0x0478.
   * @throws StrongroomError MALFORMED (`details.need` = bytes needed when the header is incomplete),
   *   UNSUPPORTED (another suite, non-framed), LIMIT_EXCEEDED (frame length above maxFrameLength), and decrypt's errors.
   */
  openFramed(headerBytes: Uint8Array, options?: DecryptOptions): Promise<FramedMessage>;
  /**
   * Re-wrap a message's data key: authenticate the header (`headerBytes` = at least the whole
   * header) with this client's providers, wrap the same data key with `keyProviders`, and return the
   * new serialized header — same suite, message id, commitment, stored context and frame length, new
   * encrypted data keys, header tag recomputed. The body after the old header is unchanged and stays
   * valid after the new one (its AAD holds the message id, not the header). Version 2, unsigned only.
   * @throws StrongroomError UNSUPPORTED (version 1, signed), LIMIT_EXCEEDED (too many EDKs), and decrypt's errors.
   */
  rewrapHeader(headerBytes: Uint8Array, options: RewrapHeaderOptions): Promise<Uint8Array>;
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
  const runner = clientPool(options, backend);
  const core = clientCore(options, {
    randomBytes: (length) => backend.randomBytes(length),
    generateSigningKey: (curve) => (runner ? poolSigningKey(runner, curve) : backend.generateSigningKey(curve)),
    binaryString: (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1'),
  });
  const { suite, frameLength, commitmentPolicy, maxEncryptedDataKeys, maxFrameLength } = core;

  const encoderFor = (encryptOptions: EncryptOptions, length: number | undefined, streaming: boolean): Promise<MessageEncoder> =>
    core.withMaterials(encryptOptions, length, streaming, (materials) => new MessageEncoder({ backend, frameLength, ...materials }));
  const open = (decoder: MessageDecoder, parsed: ParsedHeader, opening: Opening): Promise<EncryptionContext> =>
    core.withDataKey(parsed, opening, (dataKey, authenticatedOnly) => decoder.begin(dataKey, authenticatedOnly));
  const openingOptions = core.opening;

  async function oneThreadEncrypt(plaintext: Input, encryptOptions: EncryptOptions = {}): Promise<EncryptResult> {
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

  async function oneThreadDecrypt(ciphertext: Input, decryptOptions: DecryptOptions = {}): Promise<DecryptResult> {
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

  const pooled = runner && pooledOperations(core, backend, runner, { encrypt: oneThreadEncrypt, decrypt: oneThreadDecrypt });
  const encrypt = pooled ? pooled.encrypt : oneThreadEncrypt;
  const decrypt = pooled ? pooled.decrypt : oneThreadDecrypt;

  function encryptStream(inputOrOptions?: Input | EncryptOptions, maybeOptions?: EncryptOptions): Duplex {
    const [input, encryptOptions] = splitArgs<Input, typeof maybeOptions & object>(inputOrOptions, maybeOptions);
    const length = encryptOptions.plaintextLength ?? (input === undefined ? undefined : knownLength(input));
    const transform = pooled
      ? pooled.encryptTransform(encryptOptions, length)
      : new EncryptTransform((emit) => encoderFor(encryptOptions, length, true).then((encoder) => encoderDriver(encoder, emit)));
    return connect(transform, input, encryptOptions.abortSignal);
  }

  function decryptStream(inputOrOptions?: Input | DecryptOptions, maybeOptions?: DecryptOptions): Duplex {
    const [input, decryptOptions] = splitArgs<Input, typeof maybeOptions & object>(inputOrOptions, maybeOptions);
    if (pooled) return connect(pooled.decryptTransform(decryptOptions), input, decryptOptions.abortSignal);
    const opening = openingOptions(decryptOptions);
    const decoder = new MessageDecoder({ backend, maxEncryptedDataKeys, maxFrameLength });
    const transform = new DecryptTransform(
      (emit) => decoderDriver(decoder, emit),
      (_driver, parsed) => open(decoder, parsed, opening),
    );
    return connect(transform, input, decryptOptions.abortSignal);
  }

  return {
    suite,
    frameLength,
    commitmentPolicy,
    ...framedClientMethods(core, backend),
    encrypt,
    decrypt,
    encryptStream: encryptStream as StrongroomClient['encryptStream'],
    decryptStream: decryptStream as StrongroomClient['decryptStream'],
  };
}

/** The pool of a client created with `parallelism` or `pool` (node:crypto in the workers), else undefined. */
function clientPool(options: ClientOptions, backend: CryptoBackend): PoolRunner | undefined {
  if (options?.parallelism === undefined && options?.pool === undefined) return undefined;
  if (options.parallelism !== undefined && options.pool !== undefined) {
    throw new StrongroomError('INVALID_ARGUMENT', 'createClient: give parallelism or pool, not both');
  }
  if (backend !== nodeBackend) {
    throw new StrongroomError('INVALID_ARGUMENT', 'createClient: a worker pool runs node:crypto; drop the backend option or the pool');
  }
  if (options.pool !== undefined) return poolRunner(options.pool);
  const n = options.parallelism;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 256) {
    throw new StrongroomError('INVALID_ARGUMENT', `parallelism: expected an integer from 1 to 256, got ${String(n)}`);
  }
  return poolRunner(createWorkerPool({ size: n }));
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

/** Adapt a Node Readable (e.g. from encryptStream) to a Web ReadableStream. */
export function toWebReadable(readable: Readable): ReadableStream<Uint8Array> {
  return Readable.toWeb(readable) as unknown as ReadableStream<Uint8Array>;
}

/** Adapt a transform (encryptStream()/decryptStream() without input) to a Web TransformStream-like pair. */
export function toWebTransform(duplex: Duplex): { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> } {
  return Duplex.toWeb(duplex) as unknown as { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };
}
