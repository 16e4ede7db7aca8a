/**
 * What createClient does in every runtime, before any stream or cipher: the message options of
 * ./message-core (policy, providers, context checks) plus the data-key cache, keyed by partition,
 * the providers' wrapping-key identity, suite and what the data key is bound to. The Node entry
 * (./client) and the web entry (./web-client) wrap this with their stream types and backends.
 * spec: client-apis/client.md, framework/caching-cmm.md.
 */
import { toHex } from './bytes';
import type { DataKeyCache } from './cache';
import { providersIdentity, type StatedIdentity } from './cache-identity';
import { StrongroomError } from './errors';
import { keySectionOf } from './header';
import type { EncryptionContext, KeyProvider } from './key-provider';
import type { EncryptionMaterials } from './materials';
import { type ClientCore, type CoreCrypto, type DataKeySource, messageCore, type MessageOptions } from './message-core';

export {
  DEFAULT_FRAME_LENGTH,
  DEFAULT_MAX_ENCRYPTED_DATA_KEYS,
  DEFAULT_MAX_FRAME_LENGTH,
  type ClientCore,
  type DecryptOptions,
  type DecryptResult,
  type EncryptOptions,
  type EncryptResult,
  type MessageOptions,
  type Opening,
  type Unwrapped,
} from './message-core';

/**
 * The options of createClient common to every entry (the Node and web `ClientOptions` add `backend`).
 */
export interface BaseClientOptions extends MessageOptions {
  /** A data-key cache from createDataKeyCache(). */
  cache?: DataKeyCache;
  /**
   * Cache partition; entries of other partitions are never used. Default: unique per client. Within
   * one partition an entry is still only used by providers stating the same wrapping-key identity.
   */
  cachePartition?: string;
}

/** What the client needs from its entry: the core's crypto, and what its cache keys are made of. */
export interface ClientCrypto extends CoreCrypto {
  randomBytes(length: number): Uint8Array;
  /** One char per byte, injective (a cache key of raw bytes): Node's latin1 decoding is native and fastest there. */
  binaryString?(bytes: Uint8Array): string;
}

let clientCounter = 0;

/** One char per byte: an exact, cheap string for raw bytes in a cache key (apply, not spread: ~8× faster). */
function latin1(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 4096) out += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  return out;
}

/**
 * Check the options and build the runtime-independent part of a client.
 * @throws StrongroomError INVALID_ARGUMENT / COMMITMENT_POLICY for inconsistent options.
 */
export function clientCore(options: BaseClientOptions, crypto: ClientCrypto): ClientCore {
  return messageCore(options, crypto, 'createClient', (providers) => {
    if (options.cachePartition !== undefined && typeof options.cachePartition !== 'string') {
      throw new StrongroomError('INVALID_ARGUMENT', 'cachePartition: expected a string');
    }
    return options.cache && cachedKeys(options.cache, options.cachePartition ?? `client-${++clientCounter}-${toHex(crypto.randomBytes(16))}`, providers, crypto);
  });
}

/** Materials and data keys through `cache`, in `partition`, for these providers. */
function cachedKeys(cache: DataKeyCache, partition: string, providers: readonly KeyProvider[], crypto: ClientCrypto): DataKeySource {
  const binaryString = crypto.binaryString ?? latin1;
  /** What the providers stated last time, per purpose, and the cache key prefix built from it. */
  const stated: { encrypt?: StatedIdentity; decrypt?: StatedIdentity } = {};
  // suiteId -1 matches no suite: the first call of each purpose builds its prefix.
  const prefixes = { encrypt: { identity: '', suiteId: -1, prefix: '', boundTo: '', key: '' }, decrypt: { identity: '', suiteId: -1, prefix: '', boundTo: '', key: '' } };

  // The JSON array is self-delimiting, so appending `boundTo` after it stays injective; `boundTo` is
  // not escaped again (a decrypt key carries raw header bytes, which JSON would escape char by char).
  // The last key is kept: a hot context reuses one flat string instead of joining a new one per call.
  function join(purpose: 'encrypt' | 'decrypt', suiteId: number, boundTo: string, identity: string | undefined): string | undefined {
    if (identity === undefined) return undefined;
    let last = prefixes[purpose];
    if (last.identity !== identity || last.suiteId !== suiteId) {
      const prefix = JSON.stringify([purpose, partition, identity, suiteId]);
      last = prefixes[purpose] = { identity, suiteId, prefix, boundTo: '', key: prefix };
    }
    if (last.boundTo !== boundTo) {
      last.boundTo = boundTo;
      last.key = last.prefix + boundTo;
    }
    return last.key;
  }

  /**
   * The cache key of an operation: partition, the identity of every provider's wrapping key (never
   * their names), suite and what the data key is bound to. Undefined: do not cache this call.
   */
  function cacheKey(purpose: 'encrypt' | 'decrypt', suiteId: number, boundTo: string): string | undefined | Promise<string | undefined> {
    const identity = providersIdentity(providers, purpose, stated);
    return typeof identity === 'object' ? identity.then((id) => join(purpose, suiteId, boundTo, id)) : join(purpose, suiteId, boundTo, identity);
  }

  /**
   * The caller's context and required keys, exactly: the pairs sorted by key, then the number of
   * required keys and the (sorted) keys, as one JSON array. Injective: every pair is two strings (the
   * context is checked first), so the one number marks where the pairs end.
   */
  function contextKey(context: EncryptionContext, requiredKeys: readonly string[]): string {
    const keys = Object.keys(context);
    if (keys.length > 1) keys.sort();
    const flat: (string | number)[] = [];
    for (const k of keys) flat.push(k, context[k]!);
    flat.push(requiredKeys.length, ...requiredKeys);
    return JSON.stringify(flat);
  }

  // What `through` calls on the cache, made once (not a closure per call); `arg` is what each takes
  // besides the key: the plaintext length when encrypting.
  const leaseMaterials = (key: string, length: number | undefined) => cache.leaseEncryptionMaterials?.(key, length);
  const fillMaterials = (key: string, length: number | undefined, fresh: () => Promise<EncryptionMaterials>) => cache.encryptionMaterials(key, length, fresh);
  const leaseDataKey = (key: string) => cache.leaseDecryptionKey?.(key);
  const fillDataKey = (key: string, _: undefined, fresh: () => Promise<Uint8Array>) => cache.decryptionKey(key, fresh);

  return {
    // Partitioned by the whole context and by which of its keys are only authenticated.
    materials: (suite, callerContext, requiredKeys, length, fresh) =>
      through(cacheKey('encrypt', suite.id, contextKey(callerContext, requiredKeys)), leaseMaterials, fillMaterials, length, fresh),
    dataKey: (parsed, authenticatedOnly, fresh) => {
      // Bound to the raw context + EDK bytes (the same wrapped key under the same context is the same
      // data key), to the reproduced pairs the message does not store, and to the identity of the
      // keys that may unwrap it.
      const keySection = binaryString(keySectionOf(parsed));
      const key = cacheKey('decrypt', parsed.header.suite.id, `${keySection.length}:${keySection}${binaryString(authenticatedOnly)}`);
      return through(key, leaseDataKey, fillDataKey, undefined, fresh);
    },
  };
}

/**
 * The entry under `key` (leased at once when the cache can), else `fill`'s; `fresh` when the call is
 * not cached (no key, or `fill` declined). A key known now takes no closure (the hot path of a hit).
 */
function through<T, A>(
  pendingKey: string | undefined | Promise<string | undefined>,
  lease: (key: string, arg: A) => T | undefined,
  fill: (key: string, arg: A, fresh: () => Promise<T>) => Promise<T | undefined>,
  arg: A,
  fresh: () => Promise<T>,
): T | Promise<T> {
  if (typeof pendingKey === 'object') return pendingKey.then((key) => through(key, lease, fill, arg, fresh));
  if (pendingKey === undefined) return fresh();
  return lease(pendingKey, arg) ?? fill(pendingKey, arg, fresh).then((found) => found ?? fresh());
}
