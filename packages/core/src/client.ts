/**
 * createClient: envelope encryption in the AWS Encryption SDK message format.
 * spec: client-apis/client.md, client-apis/encrypt.md, client-apis/decrypt.md, client-apis/streaming.md.
 */
import { randomUUID } from 'node:crypto';
import { Duplex, Readable, Transform, type TransformCallback, pipeline } from 'node:stream';
import type { CryptoBackend } from './backend';
import { concatBytes } from './bytes';
import type { DataKeyCache } from './cache';
import { providersIdentity } from './cache-identity';
import { checkDecryptSuite, checkEncryptSuite, checkPolicy, type CommitmentPolicy } from './commitment-policy';
import { MessageDecoder } from './decoder';
import { MessageEncoder } from './encoder';
import { checkCallerContext, checkExpectedContext, PUBLIC_KEY_FIELD } from './encryption-context';
import { StrongroomError, throwIfAborted } from './errors';
import { framedMessage, type FramedMessage } from './framed-open';
import { framedSealer, type FramedSealer } from './framed-seal';
import { CONTENT_FRAMED, type MessageHeader, type ParsedHeader, tryParseHeader } from './header';
import { verifyHeader } from './header-auth';
import { chunksOf, type Input, inMemory, isInput, knownLength } from './input';
import type { EncryptionContext, KeyProvider } from './key-provider';
import { type EncryptionMaterials, generateMaterials, unwrapDataKey } from './materials';
import { nodeBackend } from './node-backend';
import { checkRequiredKeys, mergeReproduced, onlyAuthenticateAad } from './required-context';
import { type AlgorithmSuite, resolveSuite, SUITES } from './suites';

/** Default frame length: 64 KiB (the ESDKs use 4 KiB, which costs throughput; see docs/performance.md). */
export const DEFAULT_FRAME_LENGTH = 64 * 1024;
/** Default cap on encrypted data keys per message read (spec: client.md#maximum-number-of-encrypted-data-keys). */
export const DEFAULT_MAX_ENCRYPTED_DATA_KEYS = 10;
/** Default cap on the frame (or non-framed body) decryptStream holds while authenticating it. */
export const DEFAULT_MAX_FRAME_LENGTH = 16 * 1024 * 1024;

/**
 * Options of {@link createClient}: the key provider(s), commitment policy, frame length, caps, data-key cache, crypto backend.
 */
export interface ClientOptions {
  /** The key provider (or use `keyProviders`). */
  keyProvider?: KeyProvider;
  /** Several providers: the first generates the data key, every one wraps it; any one can decrypt. */
  keyProviders?: readonly KeyProvider[];
  /** Suite for new messages: default 0x0478; 0x0578 adds an ECDSA P-384 signature. */
  suite?: AlgorithmSuite | number | string;
  /** Plaintext bytes per frame for new messages (1 … 2^32−1); 0 writes non-framed messages (encrypt() only). */
  frameLength?: number;
  commitmentPolicy?: CommitmentPolicy;
  /** Refuse to read messages with more EDKs than this. Default 10. */
  maxEncryptedDataKeys?: number;
  /** decryptStream: the largest frame held in memory while it is authenticated. Default 16 MiB. */
  maxFrameLength?: number;
  /** A data-key cache from createDataKeyCache(). */
  cache?: DataKeyCache;
  /**
   * Cache partition; entries of other partitions are never used. Default: unique per client. Within
   * one partition an entry is still only used by providers stating the same wrapping-key identity.
   */
  cachePartition?: string;
  /** Crypto implementation: node:crypto (default) or `nobleBackend` from `@strongroom/core/noble`. */
  backend?: CryptoBackend;
  /**
   * Encryption-context keys every call must carry (the MPL's Required Encryption Context CMM):
   * encrypt authenticates these pairs without storing them in the message, and decrypt refuses to
   * start unless its `encryptionContext` reproduces each of them. Per-call lists add to this one.
   */
  requiredEncryptionContextKeys?: readonly string[];
}

/**
 * Options of one encryption: the encryption context (non-secret, authenticated, stored in the header), the plaintext length if known, abort signal.
 */
export interface EncryptOptions {
  encryptionContext?: EncryptionContext;
  /**
   * Keys of `encryptionContext` to authenticate but not store in the message ("encryption context to
   * only authenticate", ESDK specification client-apis/encrypt.md). Whoever decrypts must pass these
   * pairs in decrypt's `encryptionContext`. Each key must be in `encryptionContext`.
   */
  requiredEncryptionContextKeys?: readonly string[];
  abortSignal?: AbortSignal;
  /** For streams: the plaintext length if known (lets a byte-limited cache be used). */
  plaintextLength?: number;
}

/**
 * Options of one decryption: the encryption context the caller expects, whether to refuse signed suites, abort signal.
 */
export interface DecryptOptions {
  /** Entries that must be present, with these values, in the message's encryption context. */
  expectedEncryptionContext?: EncryptionContext;
  /**
   * The reproduced encryption context (ESDK specification client-apis/decrypt.md): a pair whose key
   * the message stores must equal the stored value; a pair the message does not store is one the
   * writer required, and is authenticated by the header tag (a wrong or extra one fails decryption).
   */
  encryptionContext?: EncryptionContext;
  /** Keys that must be present in `encryptionContext` (added to the client's list). */
  requiredEncryptionContextKeys?: readonly string[];
  abortSignal?: AbortSignal;
  /** Refuse signed messages (as the ESDK's decryptUnsignedMessageStream does). */
  unsignedOnly?: boolean;
}

/** The encrypted message and its parsed header. */
export interface EncryptResult {
  readonly ciphertext: Uint8Array;
  readonly header: MessageHeader;
}

/** The plaintext and the message's header (encryption context, suite, encrypted data keys). */
export interface DecryptResult {
  readonly plaintext: Uint8Array;
  /** The header as stored (its encryptionContext holds the stored pairs only). */
  readonly header: MessageHeader;
  /** The authenticated encryption context: the stored pairs plus the reproduced required pairs. */
  readonly encryptionContext: EncryptionContext;
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
}

/** The one suite random access to framed messages allows: committing, unsigned. */
export const FRAMED_SUITE_ID = 0x0478;

function positiveInteger(value: unknown, fallback: number, name: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new StrongroomError('INVALID_ARGUMENT', `${name}: expected an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

let clientCounter = 0;

/**
 * Create an encryption client.
 * @example
 * const client = createClient({ keyProvider: RawAesKeyProvider({ namespace: 'app', name: 'k1', key }) });
 * const { ciphertext } = await client.encrypt('hello', { encryptionContext: { tenant: 'acme' } });
 * const { plaintext } = await client.decrypt(ciphertext, { expectedEncryptionContext: { tenant: 'acme' } });
 * @throws StrongroomError INVALID_ARGUMENT / COMMITMENT_POLICY for inconsistent options.
 */
export function createClient(options: ClientOptions): StrongroomClient {
  if (typeof options !== 'object' || options === null) throw new StrongroomError('INVALID_ARGUMENT', 'createClient: options are required');
  const providers: readonly KeyProvider[] = options.keyProviders ?? (options.keyProvider ? [options.keyProvider] : []);
  if (providers.length === 0) throw new StrongroomError('INVALID_ARGUMENT', 'createClient: give keyProvider or a non-empty keyProviders');
  if (options.keyProvider && options.keyProviders) throw new StrongroomError('INVALID_ARGUMENT', 'createClient: give keyProvider or keyProviders, not both');
  for (const p of providers) {
    if (!p || typeof p.generateDataKey !== 'function' || typeof p.decryptDataKey !== 'function' || typeof p.providerId !== 'string') {
      throw new StrongroomError('INVALID_ARGUMENT', 'createClient: every key provider must implement the KeyProvider interface');
    }
  }
  const commitmentPolicy = checkPolicy(options.commitmentPolicy);
  const suite = resolveSuite(
    options.suite ?? (commitmentPolicy === 'FORBID_ENCRYPT_ALLOW_DECRYPT' ? SUITES.get(0x0378) : undefined),
  );
  checkEncryptSuite(commitmentPolicy, suite);
  const frameLength = positiveInteger(options.frameLength, DEFAULT_FRAME_LENGTH, 'frameLength', 0, 0xffffffff);
  const maxEncryptedDataKeys = positiveInteger(options.maxEncryptedDataKeys, DEFAULT_MAX_ENCRYPTED_DATA_KEYS, 'maxEncryptedDataKeys', 1, 0xffff);
  const maxFrameLength = positiveInteger(options.maxFrameLength, DEFAULT_MAX_FRAME_LENGTH, 'maxFrameLength', 1, 2 ** 36);
  const backend = options.backend ?? nodeBackend;
  const cache = options.cache;
  if (options.cachePartition !== undefined && typeof options.cachePartition !== 'string') {
    throw new StrongroomError('INVALID_ARGUMENT', 'cachePartition: expected a string');
  }
  const partition = options.cachePartition ?? `client-${process.pid}-${++clientCounter}-${randomUUID()}`;
  const clientRequiredKeys = checkRequiredKeys([options.requiredEncryptionContextKeys]);

  /**
   * The cache key of an operation: partition, the identity of every provider's wrapping key (never
   * their names), suite and what the data key is bound to. Undefined: do not cache this call.
   */
  async function cacheKey(purpose: 'encrypt' | 'decrypt', suiteId: number, boundTo: string): Promise<string | undefined> {
    const identity = await providersIdentity(providers, purpose);
    return identity === undefined ? undefined : JSON.stringify([purpose, partition, identity, suiteId, boundTo]);
  }

  function contextKey(context: EncryptionContext): string {
    return JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  async function encoderFor(encryptOptions: EncryptOptions, length: number | undefined, streaming: boolean): Promise<MessageEncoder> {
    if (streaming && frameLength === 0) {
      throw new StrongroomError('INVALID_ARGUMENT', 'frameLength 0 (non-framed) can only be written by encrypt(), not encryptStream()');
    }
    const materials = await materialsFor(encryptOptions, length);
    try {
      throwIfAborted(encryptOptions.abortSignal);
      return new MessageEncoder({ backend, frameLength, ...materials });
    } finally {
      materials.dataKey.fill(0);
    }
  }

  /** Encryption materials for one message (the caller wipes the data key). */
  async function materialsFor(encryptOptions: EncryptOptions, length: number | undefined): Promise<EncryptionMaterials> {
    const callerContext = checkCallerContext(encryptOptions.encryptionContext);
    const requiredKeys = checkRequiredKeys([clientRequiredKeys, encryptOptions.requiredEncryptionContextKeys]);
    for (const k of requiredKeys) {
      if (!Object.hasOwn(callerContext, k)) {
        throw new StrongroomError(
          'ENCRYPTION_CONTEXT',
          `Required encryption context key "${k}" is missing: add it to encrypt's encryptionContext`,
          { details: { missingKey: k } },
        );
      }
    }
    throwIfAborted(encryptOptions.abortSignal);
    const fresh = () => generateMaterials(providers, suite, callerContext, requiredKeys, backend, encryptOptions.abortSignal);
    let materials: EncryptionMaterials | undefined;
    // Partitioned by the whole context and by which of its keys are only authenticated.
    const key = cache && (await cacheKey('encrypt', suite.id, JSON.stringify([contextKey(callerContext), requiredKeys])));
    if (cache && key !== undefined) materials = await cache.encryptionMaterials(key, length, fresh);
    return materials ?? (await fresh());
  }

  type Opening = DecryptOptions & { expected: EncryptionContext; reproduced: EncryptionContext; requiredKeys: readonly string[] };

  /** Checks that need no key; returns the full context (stored + reproduced required pairs). */
  function checkOpenable(header: MessageHeader, decryptOptions: Opening): { full: EncryptionContext; onlyAuthenticate: EncryptionContext } {
    // spec: decrypt.md — enforce the policy on the suite before any key is unwrapped.
    checkDecryptSuite(commitmentPolicy, header.suite);
    if (decryptOptions.unsignedOnly && header.suite.signature) {
      throw new StrongroomError('UNSUPPORTED', `Signed message (${header.suite.name}) input to an unsigned-only decryption`);
    }
    const hasPublicKey = Object.hasOwn(header.encryptionContext, PUBLIC_KEY_FIELD);
    if (Boolean(header.suite.signature) !== hasPublicKey) {
      throw new StrongroomError(
        'MALFORMED',
        header.suite.signature ? 'A signed message must carry aws-crypto-public-key' : 'An unsigned message must not carry aws-crypto-public-key',
      );
    }
    // spec: cmm-interface.md — reproduced pairs the message stores must match; the others are required.
    const merged = mergeReproduced(header.encryptionContext, decryptOptions.reproduced, decryptOptions.requiredKeys);
    // Checked against the full context: a reproduced pair is authenticated by the header tag below.
    checkExpectedContext(merged.full, decryptOptions.expected);
    return merged;
  }

  /**
   * Unwrap the data key of `parsed` and hand it, with the only-authenticated AAD bytes, to `begin`
   * (which checks the commitment and header tag). Returns the full authenticated context.
   */
  async function open(
    begin: (dataKey: Uint8Array, onlyAuthenticate: Uint8Array) => void,
    parsed: ParsedHeader,
    decryptOptions: Opening,
  ): Promise<EncryptionContext> {
    const { header } = parsed;
    const { full, onlyAuthenticate } = checkOpenable(header, decryptOptions);
    const authenticatedOnly = onlyAuthenticateAad(onlyAuthenticate);
    // Providers unwrap under the full context (spec: decrypt.md, the decryption materials' context).
    const unwrap = () => unwrapDataKey(providers, header.suite, full, header.encryptedDataKeys, decryptOptions.abortSignal);
    // Bound to the raw context + EDK bytes (the same wrapped key under the same context is the same
    // data key), to the reproduced pairs the message does not store, and to the identity of the keys
    // that may unwrap it; latin1 maps each byte to one char.
    const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
    const key = cache && (await cacheKey('decrypt', header.suite.id, JSON.stringify([latin1(parsed.keySection), latin1(authenticatedOnly)])));
    const dataKey = cache && key !== undefined ? await cache.decryptionKey(key, unwrap) : await unwrap();
    try {
      throwIfAborted(decryptOptions.abortSignal);
      begin(dataKey, authenticatedOnly);
    } finally {
      dataKey.fill(0);
    }
    return full;
  }

  function openingOptions(decryptOptions: DecryptOptions): Opening {
    const expected = checkCallerContext(decryptOptions.expectedEncryptionContext, 'expectedEncryptionContext', true);
    const reproduced = checkCallerContext(decryptOptions.encryptionContext, 'encryptionContext');
    const requiredKeys = checkRequiredKeys([clientRequiredKeys, decryptOptions.requiredEncryptionContextKeys]);
    return { ...decryptOptions, expected, reproduced, requiredKeys };
  }

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
    const encryptionContext = await open((k, a) => decoder.begin(k, a), parsed!, opening);
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
    const transform = new DecryptTransform(decoder, (parsed) => open((k, a) => decoder.begin(k, a), parsed, opening));
    return connect(transform, input, decryptOptions.abortSignal);
  }

  async function createFramedSealer(encryptOptions: EncryptOptions = {}): Promise<FramedSealer> {
    if (suite.id !== FRAMED_SUITE_ID || frameLength === 0) {
      throw new StrongroomError(
        'UNSUPPORTED',
        `Framed random access needs suite 0x0478 (committing, unsigned) and frameLength above 0; this client has ${suite.name}, frameLength ${frameLength}`,
      );
    }
    const materials = await materialsFor(encryptOptions, encryptOptions.plaintextLength);
    try {
      throwIfAborted(encryptOptions.abortSignal);
      return framedSealer(backend, { backend, frameLength, ...materials });
    } finally {
      materials.dataKey.fill(0);
    }
  }

  async function openFramed(headerBytes: Uint8Array, decryptOptions: DecryptOptions = {}): Promise<FramedMessage> {
    if (!(headerBytes instanceof Uint8Array)) throw new StrongroomError('INVALID_ARGUMENT', 'openFramed: headerBytes must be a Uint8Array');
    const opening = openingOptions(decryptOptions);
    const parsed = tryParseHeader(headerBytes, { maxEncryptedDataKeys });
    if (typeof parsed === 'number') {
      throw new StrongroomError('MALFORMED', `openFramed: the header is incomplete; pass at least ${parsed} bytes`, { details: { need: parsed } });
    }
    const { header } = parsed;
    if (header.suite.id !== FRAMED_SUITE_ID || header.contentType !== CONTENT_FRAMED) {
      throw new StrongroomError(
        'UNSUPPORTED',
        `openFramed reads framed messages of suite 0x0478 only; this one is ${header.suite.name}, ${header.contentType === CONTENT_FRAMED ? 'framed' : 'non-framed'}`,
      );
    }
    if (header.frameLength > maxFrameLength) {
      throw new StrongroomError('LIMIT_EXCEEDED', `The message's frame length ${header.frameLength} exceeds maxFrameLength ${maxFrameLength}`);
    }
    let key: Uint8Array | undefined;
    const encryptionContext = await open((dataKey, aad) => (key = verifyHeader(backend, parsed, dataKey, aad)), parsed, opening);
    return framedMessage({ backend, header, headerLength: parsed.length, encryptionContext, key: key! });
  }

  return {
    suite,
    frameLength,
    commitmentPolicy,
    createFramedSealer,
    openFramed,
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

/**
 * Push output without copying large buffers (frame ciphertext/plaintext are pushed as produced);
 * only runs of small pieces (frame prefixes, tags) are coalesced so downstream sees few tiny writes.
 */
function push(stream: Transform, pieces: Uint8Array[]): void {
  let small: Uint8Array[] = [];
  let smallLength = 0;
  const flush = () => {
    if (small.length > 0) stream.push(concatBytes(small, smallLength));
    small = [];
    smallLength = 0;
  };
  for (const piece of pieces) {
    if (piece.length >= 4096) {
      flush();
      stream.push(piece);
    } else if (piece.length > 0) {
      small.push(piece);
      smallLength += piece.length;
    }
  }
  flush();
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
