/**
 * What every encryption and decryption does in every runtime, before any stream or cipher: option
 * checks, the commitment policy, materials from the key providers, and the checks a message passes
 * before its data key is unwrapped. createClient (./client-core) adds the data-key cache through
 * `DataKeySource`; the stream functions of `@strongroom/core/streams` use this alone, so an app that
 * imports only them carries no cache, pool or buffer API.
 * spec: client-apis/client.md, client-apis/encrypt.md, client-apis/decrypt.md, framework/cmm-interface.md.
 */
import type { SigningKeyPair } from './backend';
import { checkDecryptSuite, checkEncryptSuite, checkPolicy, type CommitmentPolicy } from './commitment-policy';
import { checkCallerContext, checkExpectedContext, PUBLIC_KEY_FIELD } from './encryption-context';
import { StrongroomError, throwIfAborted } from './errors';
import type { MessageHeader, ParsedHeader } from './header';
import type { EncryptionContext, KeyProvider } from './key-provider';
import { type EncryptionMaterials, generateMaterials, unwrapDataKey } from './materials';
import { checkRequiredKeys, mergeReproduced, onlyAuthenticateAad } from './required-context';
import { type AlgorithmSuite, resolveSuite, type SignatureCurve, SUITES } from './suites';

/** Default frame length: 64 KiB (the ESDKs use 4 KiB, which costs throughput; see docs/performance.md). */
export const DEFAULT_FRAME_LENGTH = 64 * 1024;
/** Default cap on encrypted data keys per message read (spec: client.md#maximum-number-of-encrypted-data-keys). */
export const DEFAULT_MAX_ENCRYPTED_DATA_KEYS = 10;
/** Default cap on the frame (or non-framed body) decryptStream holds while authenticating it. */
export const DEFAULT_MAX_FRAME_LENGTH = 16 * 1024 * 1024;

/**
 * What every message of a client (or of one `encryptStream` / `decryptStream` call of
 * `@strongroom/core/streams`) is written and read with: key providers, suite, frames, policy, limits.
 */
export interface MessageOptions {
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

/** Checked decrypt options. */
export type Opening = DecryptOptions & { expected: EncryptionContext; reproduced: EncryptionContext; requiredKeys: readonly string[] };

/** An unwrapped data key (the caller wipes it) and what the header tag must authenticate. */
export interface Unwrapped {
  readonly dataKey: Uint8Array;
  /** The authenticated context: stored pairs plus the reproduced required pairs. */
  readonly full: EncryptionContext;
  /** The serialized pairs the message authenticates without storing them (the header tag's AAD tail). */
  readonly authenticatedOnly: Uint8Array;
}

/** The runtime-independent part of a client (and of the stream functions of `@strongroom/core/streams`). */
export interface ClientCore {
  readonly suite: AlgorithmSuite;
  readonly frameLength: number;
  readonly commitmentPolicy: CommitmentPolicy;
  readonly maxEncryptedDataKeys: number;
  readonly maxFrameLength: number;
  /** Materials for one message (through the cache if any). The caller wipes `dataKey`. */
  materials(encryptOptions: EncryptOptions, length: number | undefined, streaming: boolean): EncryptionMaterials | Promise<EncryptionMaterials>;
  opening(decryptOptions: DecryptOptions): Opening;
  /** Policy and context checks, then the data key (through the cache if any). */
  unwrap(parsed: ParsedHeader, opening: Opening): Promise<Unwrapped>;
  /** Materials for one message handed to `make` (which builds the encoder); the data key is wiped after. */
  withMaterials<E>(encryptOptions: EncryptOptions, length: number | undefined, streaming: boolean, make: (materials: EncryptionMaterials) => E | Promise<E>): Promise<E>;
  /** The message's data key handed to `begin` (the decoder checks the header with it), wiped after; resolves the full context. */
  withDataKey(parsed: ParsedHeader, opening: Opening, begin: (dataKey: Uint8Array, authenticatedOnly: Uint8Array) => void | Promise<void>): Promise<EncryptionContext>;
}

/** What a core needs from its entry (the ciphers are the entries' business). */
export interface CoreCrypto {
  generateSigningKey(curve: SignatureCurve): SigningKeyPair | Promise<SigningKeyPair>;
}

/**
 * Where a core gets materials and data keys: `fresh` asks the key providers. createClient's data-key
 * cache implements this (./client-core); without one, every call is fresh.
 */
export interface DataKeySource {
  materials(
    suite: AlgorithmSuite,
    callerContext: EncryptionContext,
    requiredKeys: readonly string[],
    length: number | undefined,
    fresh: () => Promise<EncryptionMaterials>,
  ): EncryptionMaterials | Promise<EncryptionMaterials>;
  dataKey(parsed: ParsedHeader, authenticatedOnly: Uint8Array, fresh: () => Promise<Uint8Array>): Uint8Array | Promise<Uint8Array>;
}

/** Whether `value` is a thenable, which `await` would wait on (a promise, or a promise library's). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

function positiveInteger(value: unknown, fallback: number, name: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new StrongroomError('INVALID_ARGUMENT', `${name}: expected an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/** The checked key providers of `options` (`who` names the call in errors). */
export function checkProviders(options: MessageOptions, who: string): readonly KeyProvider[] {
  if (typeof options !== 'object' || options === null) throw new StrongroomError('INVALID_ARGUMENT', `${who}: options are required`);
  const providers: readonly KeyProvider[] = options.keyProviders ?? (options.keyProvider ? [options.keyProvider] : []);
  if (providers.length === 0) throw new StrongroomError('INVALID_ARGUMENT', `${who}: give keyProvider or a non-empty keyProviders`);
  if (options.keyProvider && options.keyProviders) throw new StrongroomError('INVALID_ARGUMENT', `${who}: give keyProvider or keyProviders, not both`);
  for (const p of providers) {
    if (!p || typeof p.generateDataKey !== 'function' || typeof p.decryptDataKey !== 'function' || typeof p.providerId !== 'string') {
      throw new StrongroomError('INVALID_ARGUMENT', `${who}: every key provider must implement the KeyProvider interface`);
    }
  }
  return providers;
}

/**
 * Check the options and build the runtime-independent part of a client. `source` (given the checked
 * providers) supplies materials and data keys instead of the providers, e.g. through a cache.
 * @throws StrongroomError INVALID_ARGUMENT / COMMITMENT_POLICY for inconsistent options.
 */
export function messageCore(
  options: MessageOptions,
  crypto: CoreCrypto,
  who: string,
  source?: (providers: readonly KeyProvider[]) => DataKeySource | undefined,
): ClientCore {
  const providers = checkProviders(options, who);
  const commitmentPolicy = checkPolicy(options.commitmentPolicy);
  const suite = resolveSuite(
    options.suite ?? (commitmentPolicy === 'FORBID_ENCRYPT_ALLOW_DECRYPT' ? SUITES.get(0x0378) : undefined),
  );
  checkEncryptSuite(commitmentPolicy, suite);
  const frameLength = positiveInteger(options.frameLength, DEFAULT_FRAME_LENGTH, 'frameLength', 0, 0xffffffff);
  const maxEncryptedDataKeys = positiveInteger(options.maxEncryptedDataKeys, DEFAULT_MAX_ENCRYPTED_DATA_KEYS, 'maxEncryptedDataKeys', 1, 0xffff);
  const maxFrameLength = positiveInteger(options.maxFrameLength, DEFAULT_MAX_FRAME_LENGTH, 'maxFrameLength', 1, 2 ** 36);
  const clientRequiredKeys = checkRequiredKeys([options.requiredEncryptionContextKeys]);
  const keys = source?.(providers);

  /** Materials, synchronously on a cache hit (no promise per message); throws on bad options. */
  function materials(encryptOptions: EncryptOptions, length: number | undefined, streaming: boolean): EncryptionMaterials | Promise<EncryptionMaterials> {
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
    if (streaming && frameLength === 0) {
      throw new StrongroomError('INVALID_ARGUMENT', 'frameLength 0 (non-framed) can only be written by encrypt(), not encryptStream()');
    }
    const fresh = () => generateMaterials(providers, suite, callerContext, requiredKeys, crypto, encryptOptions.abortSignal);
    return keys ? keys.materials(suite, callerContext, requiredKeys, length, fresh) : fresh();
  }

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

  async function unwrap(parsed: ParsedHeader, decryptOptions: Opening): Promise<Unwrapped> {
    const { header } = parsed;
    const { full, onlyAuthenticate } = checkOpenable(header, decryptOptions);
    const authenticatedOnly = onlyAuthenticateAad(onlyAuthenticate);
    // Providers unwrap under the full context (spec: decrypt.md, the decryption materials' context).
    const fromProviders = () => unwrapDataKey(providers, header.suite, full, header.encryptedDataKeys, decryptOptions.abortSignal);
    const dataKey = keys ? await keys.dataKey(parsed, authenticatedOnly, fromProviders) : await fromProviders();
    return { dataKey, full, authenticatedOnly };
  }

  function opening(decryptOptions: DecryptOptions): Opening {
    const expected = checkCallerContext(decryptOptions.expectedEncryptionContext, 'expectedEncryptionContext', true);
    const reproduced = checkCallerContext(decryptOptions.encryptionContext, 'encryptionContext');
    const requiredKeys = checkRequiredKeys([clientRequiredKeys, decryptOptions.requiredEncryptionContextKeys]);
    return { ...decryptOptions, expected, reproduced, requiredKeys };
  }

  async function withMaterials<E>(
    encryptOptions: EncryptOptions,
    length: number | undefined,
    streaming: boolean,
    make: (materials: EncryptionMaterials) => E | Promise<E>,
  ): Promise<E> {
    // Awaits only what is pending (any thenable, as `await` would: a cache of the caller's own may
    // return one): a cache hit and a synchronous `make` add no promise turn.
    let found = materials(encryptOptions, length, streaming);
    if (isThenable(found)) found = await found;
    try {
      throwIfAborted(encryptOptions.abortSignal);
      const made = make(found);
      return isThenable(made) ? await made : made;
    } finally {
      found.dataKey.fill(0);
    }
  }

  async function withDataKey(
    parsed: ParsedHeader,
    decryptOptions: Opening,
    begin: (dataKey: Uint8Array, authenticatedOnly: Uint8Array) => void | Promise<void>,
  ): Promise<EncryptionContext> {
    const { dataKey, full, authenticatedOnly } = await unwrap(parsed, decryptOptions);
    try {
      throwIfAborted(decryptOptions.abortSignal);
      await begin(dataKey, authenticatedOnly);
    } finally {
      dataKey.fill(0);
    }
    return full;
  }

  return { suite, frameLength, commitmentPolicy, maxEncryptedDataKeys, maxFrameLength, materials, opening, unwrap, withMaterials, withDataKey };
}
