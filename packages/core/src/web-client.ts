/**
 * createClient for the web entry: the same client as on Node (./client-core: options, policy,
 * providers, cache) with WHATWG streams (./web-streams) and the Web Crypto backend, a worker pool
 * where asked, and the whole-buffer encrypt and decrypt. Same message format, same guarantees: a
 * frame's plaintext is released only after its tag verifies, the last one only after the end (and
 * the signature) verified.
 * spec: client-apis/client.md, client-apis/encrypt.md, client-apis/decrypt.md, client-apis/streaming.md.
 */
import { type AsyncCryptoBackend, toAsyncBackend } from './async-backend';
import type { CryptoBackend } from './backend';
import { concatBytes } from './bytes';
import { type BaseClientOptions, clientCore, type DecryptOptions, type DecryptResult, type EncryptOptions, type EncryptResult } from './client-core';
import type { CommitmentPolicy } from './commitment-policy';
import { StrongroomError, throwIfAborted } from './errors';
import type { MessageHeader } from './header';
import { chunksOf, inMemory, knownLength, splitArgs, type WebInput } from './input';
import { BATCH_TARGET } from './pool/batch-target';
import type { PoolRunner, WorkerPool } from './pool/pool-core';
import { poolRunner } from './pool/pool-handle';
import { framePipes } from './pool/web-frame-pipes';
import { createWorkerPool } from './pool/web-pool-handle';
import { hasWebWorkers, noWebWorkers } from './pool/web-worker-support';
import type { AlgorithmSuite } from './suites';
import { webBackend } from './web-backend';
import { AsyncMessageDecoder } from './web-decoder';
import { AsyncMessageEncoder } from './web-encoder';
import { type CryptoStream, decryptingStream, encryptingStream, type OpenedHeader } from './web-streams';
import type { WebFramedClientMethods, WebFramedMessage, WebFramedSealer } from './web-framed';

/** What encrypt and decrypt accept: bytes, a string (UTF-8), a ReadableStream or (async) iterable of bytes. */
export type Input = WebInput;

/**
 * Options of {@link createClient} on the web entry: as on Node; `backend` is Web Crypto by default
 * (or `nobleBackend` from `@strongroom/core/noble` where a runtime has no Web Crypto).
 */
export interface ClientOptions extends BaseClientOptions {
  backend?: AsyncCryptoBackend | CryptoBackend;
  /**
   * Seal and open the regular frames of large messages on this many Web Workers (a pool of the
   * client's own, Web Crypto in each). Messages under one batch (512 KiB) in memory stay on the
   * calling thread. Where the runtime has no Web Workers (Cloudflare Workers), 1 means the calling
   * thread and more is UNSUPPORTED. docs/performance.md#worker-pool--benchcorepoolmjs.
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
  /** A transform: write plaintext, read the message. */
  encryptStream(options?: EncryptOptions): CryptoStream<MessageHeader>;
  /** Encrypt `input` as a stream: read the message from `.readable`. */
  encryptStream(input: Input, options?: EncryptOptions): CryptoStream<MessageHeader>;
  /** A transform: write the message, read plaintext released frame by frame after authentication. */
  decryptStream(options?: DecryptOptions): CryptoStream<OpenedHeader>;
  /** Decrypt `input` as a stream: read the plaintext from `.readable`. */
  decryptStream(input: Input, options?: DecryptOptions): CryptoStream<OpenedHeader>;
  /**
   * A sealer for one framed message whose frames are sealed independently, in any order (e.g. the
   * parts of a multipart upload), as on the Node entry. Needs suite 0x0478 and frameLength above 0.
   * @throws StrongroomError UNSUPPORTED (another suite or non-framed), and encrypt's errors.
   */
  createFramedSealer(options?: EncryptOptions): Promise<WebFramedSealer>;
  /**
   * Authenticate the header of a framed message (`headerBytes` = the message's first bytes, at least
   * the whole header), then open any run of its frames, as on the Node entry.
   * @throws StrongroomError MALFORMED (incomplete header), UNSUPPORTED (another suite, non-framed),
   *   LIMIT_EXCEEDED (frame length above maxFrameLength), and decrypt's errors.
   */
  openFramed(headerBytes: Uint8Array, options?: DecryptOptions): Promise<WebFramedMessage>;
}

/**
 * Create an encryption client (web entry: Web Crypto, WHATWG streams, no Node API).
 * @example
 * const client = createClient({ keyProvider: RawAesKeyProvider({ namespace: 'app', name: 'k1', key }) });
 * const upload = file.stream().pipeThrough(client.encryptStream({ encryptionContext: { tenant: 'acme' } }));
 * @throws StrongroomError INVALID_ARGUMENT / COMMITMENT_POLICY for inconsistent options.
 */
export function createClient(options: ClientOptions): StrongroomClient {
  const backend = toAsyncBackend(options?.backend ?? webBackend);
  const runner = clientPool(options);
  const pipes = runner && framePipes(runner);
  const core = clientCore(options, backend);
  const { suite, frameLength, commitmentPolicy, maxEncryptedDataKeys } = core;
  /** The pool for a message of `length` bytes: none for one under a batch (no round trip for small messages). */
  const poolFor = (length: number | undefined) => (length !== undefined && length <= BATCH_TARGET ? undefined : pipes);

  let framed: Promise<WebFramedClientMethods> | undefined;
  const framedMethods = () => (framed ??= import('./web-framed').then((m) => m.webFramedClientMethods(core, backend)));

  async function encrypt(plaintext: Input, encryptOptions: EncryptOptions = {}): Promise<EncryptResult> {
    const length = knownLength(plaintext);
    const encoder = await core.withMaterials(encryptOptions, length, false, (materials) =>
      AsyncMessageEncoder.create({ backend, frameLength, ...materials }, poolFor(length)),
    );
    try {
      const out = await encoder.start();
      const whole = inMemory(plaintext);
      if (whole) {
        out.push(...(await encoder.update(whole)));
      } else {
        for await (const c of chunksOf(plaintext)) {
          throwIfAborted(encryptOptions.abortSignal);
          out.push(...(await encoder.update(c)));
        }
      }
      out.push(...(await encoder.final()));
      return { ciphertext: concatBytes(out), header: encoder.header };
    } catch (e) {
      encoder.destroy();
      throw e;
    }
  }

  async function decrypt(ciphertext: Input, decryptOptions: DecryptOptions = {}): Promise<DecryptResult> {
    const opening = core.opening(decryptOptions);
    const whole = inMemory(ciphertext);
    const decoder = new AsyncMessageDecoder({ backend, maxEncryptedDataKeys, maxFrameLength: Number.POSITIVE_INFINITY, pool: whole ? poolFor(whole.length) : pipes });
    if (whole) decoder.write(whole);
    else for await (const c of chunksOf(ciphertext)) decoder.write(c);
    const parsed = decoder.readHeader();
    if (!parsed) await decoder.end(); // throws: truncated header
    const encryptionContext = await core.withDataKey(parsed!, opening, (dataKey, authenticatedOnly) => decoder.begin(dataKey, authenticatedOnly));
    const out: Uint8Array[] = [];
    try {
      out.push(...(await decoder.read()));
      out.push(...(await decoder.end()));
    } catch (e) {
      for (const o of out) o.fill(0);
      throw e;
    }
    return { plaintext: concatBytes(out), header: parsed!.header, encryptionContext };
  }

  function encryptStream(inputOrOptions?: Input | EncryptOptions, maybeOptions?: EncryptOptions): CryptoStream<MessageHeader> {
    const [input, encryptOptions] = splitArgs<Input, typeof maybeOptions & object>(inputOrOptions, maybeOptions);
    const length = encryptOptions.plaintextLength ?? (input === undefined ? undefined : knownLength(input));
    return feed(encryptingStream(core, backend, encryptOptions, length, poolFor(length)), input);
  }

  function decryptStream(inputOrOptions?: Input | DecryptOptions, maybeOptions?: DecryptOptions): CryptoStream<OpenedHeader> {
    const [input, decryptOptions] = splitArgs<Input, typeof maybeOptions & object>(inputOrOptions, maybeOptions);
    return feed(decryptingStream(core, backend, decryptOptions, pipes), input);
  }

  return {
    suite,
    frameLength,
    commitmentPolicy,
    encrypt,
    decrypt,
    encryptStream: encryptStream as StrongroomClient['encryptStream'],
    decryptStream: decryptStream as StrongroomClient['decryptStream'],
    // Loaded on first use (a chunk of its own): most apps never seal or open single frames.
    createFramedSealer: async (o) => (await framedMethods()).createFramedSealer(o),
    openFramed: async (headerBytes, o) => (await framedMethods()).openFramed(headerBytes, o),
  };
}

/**
 * The pool of a client created with `parallelism` or `pool` (Web Crypto in the workers), else
 * undefined. `parallelism: 1` where the runtime has no Web Workers is the calling thread.
 */
function clientPool(options: ClientOptions): PoolRunner | undefined {
  if (options?.parallelism === undefined && options?.pool === undefined) return undefined;
  if (options.parallelism !== undefined && options.pool !== undefined) {
    throw new StrongroomError('INVALID_ARGUMENT', 'createClient: give parallelism or pool, not both');
  }
  if (options.backend !== undefined && options.backend !== webBackend) {
    throw new StrongroomError('INVALID_ARGUMENT', 'createClient: a worker pool runs Web Crypto; drop the backend option or the pool');
  }
  if (options.pool !== undefined) return poolRunner(options.pool);
  const n = options.parallelism;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 256) {
    throw new StrongroomError('INVALID_ARGUMENT', `parallelism: expected an integer from 1 to 256, got ${String(n)}`);
  }
  if (!hasWebWorkers()) {
    if (n === 1) return undefined;
    throw noWebWorkers(`createClient: parallelism ${n}`);
  }
  return poolRunner(createWorkerPool({ size: n }));
}

/** Pipe `input` (if any) into the stream's writable; its errors surface on the readable side. */
function feed<H>(stream: CryptoStream<H>, input: Input | undefined): CryptoStream<H> {
  if (input === undefined) return stream;
  toReadable(input)
    .pipeTo(stream.writable)
    .catch(() => undefined);
  return stream;
}

/** Any input as a ReadableStream (pull-based: nothing is read ahead of the consumer). */
function toReadable(input: Input): ReadableStream<Uint8Array> {
  if (typeof (input as { getReader?: unknown }).getReader === 'function') return input as ReadableStream<Uint8Array>;
  let chunks: AsyncGenerator<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        chunks ??= chunksOf(input);
        const next = await chunks.next();
        if (next.done) c.close();
        else c.enqueue(next.value);
      },
      async cancel() {
        await chunks?.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
