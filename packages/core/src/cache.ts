/**
 * Data-key cache: reuse a data key across messages within explicit limits, and collapse concurrent
 * identical requests into one provider call.
 * spec: framework/caching-cmm.md (limits: max age, messages and bytes per data key).
 *
 * Safety rules:
 *  - every lease is a *copy* of the key, owned (and wiped) by the borrower, so evicting an entry can
 *    wipe its key at once without racing messages that are still using it;
 *  - entries are partitioned by client partition, the identity of every provider's wrapping key
 *    (./cache-identity: never a provider or key name), suite and encryption context (decrypt
 *    entries also by the exact EDKs); the client builds these keys;
 *  - expired or exhausted entries are evicted and wiped; capacity overflow evicts the least recently used.
 */
import { copyBytes } from './bytes';
import { StrongroomError } from './errors';
import type { EncryptionMaterials } from './materials';

/**
 * Limits of a {@link DataKeyCache}: entries expire after `maxAge` ms and retire after `maxMessagesEncrypted` messages or `maxBytesEncrypted` bytes (docs/security.md#limits-per-data-key).
 */
export interface DataKeyCacheOptions {
  /** Maximum number of entries (encrypt + decrypt). Default 100. */
  capacity?: number;
  /** Maximum age of an entry in milliseconds. Default 300 000 (5 minutes). */
  maxAge?: number;
  /** Messages one cached data key may encrypt. Default 2^32. */
  maxMessagesEncrypted?: number;
  /** Plaintext bytes one cached data key may encrypt. Default 2^53 − 1. */
  maxBytesEncrypted?: number;
  /** Injectable clock (ms), for tests. */
  now?: () => number;
}

/** Counters of a {@link DataKeyCache}: hits, misses, collapsed concurrent misses, evictions. */
export interface DataKeyCacheStats {
  hits: number;
  misses: number;
  /** Provider calls avoided by collapsing concurrent identical requests. */
  collapsed: number;
  evictions: number;
}

interface Entry {
  readonly key: string;
  readonly createdAt: number;
  readonly materials: EncryptionMaterials | undefined; // encrypt entries
  readonly dataKey: Uint8Array; // the cached key (wiped on eviction)
  messages: number;
  bytes: number;
}

/**
 * A data-key cache (from {@link createDataKeyCache}): reuses data keys across messages within its limits, so a backend is called once per entry instead of once per message.
 */
export interface DataKeyCache {
  readonly stats: Readonly<DataKeyCacheStats>;
  readonly size: number;
  /** Evict (and wipe) everything. */
  clear(): void;
  /** @internal used by createClient */
  encryptionMaterials(
    key: string,
    plaintextLength: number | undefined,
    create: () => Promise<EncryptionMaterials>,
  ): Promise<EncryptionMaterials | undefined>;
  /** @internal used by createClient */
  decryptionKey(key: string, create: () => Promise<Uint8Array>): Promise<Uint8Array>;
  /** @internal used by createClient: a live encrypt entry leased synchronously (counted as a hit), else undefined. */
  leaseEncryptionMaterials?(key: string, plaintextLength: number | undefined): EncryptionMaterials | undefined;
  /** @internal used by createClient: a copy of a live decrypt entry's key (counted as a hit), else undefined. */
  leaseDecryptionKey?(key: string): Uint8Array | undefined;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) throw new StrongroomError('INVALID_ARGUMENT', `${name}: expected a positive number`);
  return value;
}

function wipe(entry: Entry): void {
  entry.dataKey.fill(0);
  const privateKey = entry.materials?.signingKey?.privateKey;
  if (privateKey instanceof Uint8Array) privateKey.fill(0);
}

/**
 * Create a data-key cache to pass as `createClient({ cache })`.
 * @example
 * const cache = createDataKeyCache({ capacity: 100, maxAge: 60_000, maxMessagesEncrypted: 10_000 });
 * const client = createClient({ keyProvider, cache });
 * @throws StrongroomError INVALID_ARGUMENT for non-positive limits.
 */
export function createDataKeyCache(options: DataKeyCacheOptions = {}): DataKeyCache {
  const capacity = positive(options.capacity, 100, 'capacity');
  const maxAge = positive(options.maxAge, 300_000, 'maxAge');
  const maxMessages = positive(options.maxMessagesEncrypted, 2 ** 32, 'maxMessagesEncrypted');
  const maxBytes = positive(options.maxBytesEncrypted, Number.MAX_SAFE_INTEGER, 'maxBytesEncrypted');
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>(); // iteration order = least recently used first
  const inflight = new Map<string, Promise<Entry>>();
  const stats: DataKeyCacheStats = { hits: 0, misses: 0, collapsed: 0, evictions: 0 };

  function evict(entry: Entry): void {
    if (entries.get(entry.key) === entry) entries.delete(entry.key);
    stats.evictions++;
    wipe(entry);
  }

  function sweep(): void {
    const t = now();
    for (const entry of entries.values()) {
      if (t - entry.createdAt >= maxAge) evict(entry);
    }
    while (entries.size > capacity) evict(entries.values().next().value!);
  }

  function insert(entry: Entry): void {
    const old = entries.get(entry.key);
    if (old) evict(old);
    entries.set(entry.key, entry);
    newest = entry;
    sweep();
  }

  let newest: Entry | undefined;

  /** Make `entry` the most recently used (a no-op when it already is: a hot key skips two Map updates). */
  function touch(entry: Entry): void {
    if (newest === entry) return;
    entries.delete(entry.key);
    entries.set(entry.key, entry);
    newest = entry;
  }

  /** Reserve one use of a live entry, or return undefined when it is missing/expired/exhausted. */
  function reserve(key: string, bytes: number): Entry | undefined {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (now() - entry.createdAt >= maxAge || entry.messages + 1 > maxMessages || entry.bytes + bytes > maxBytes) {
      evict(entry);
      return undefined;
    }
    entry.messages++;
    entry.bytes += bytes;
    touch(entry);
    return entry;
  }

  async function load(key: string, create: () => Promise<Entry>): Promise<Entry> {
    let pending = inflight.get(key);
    if (pending) {
      stats.collapsed++;
    } else {
      stats.misses++;
      pending = create().then(
        (entry) => {
          inflight.delete(key);
          insert(entry);
          return entry;
        },
        (error) => {
          inflight.delete(key);
          throw error;
        },
      );
      inflight.set(key, pending);
    }
    return pending;
  }

  function lease(materials: EncryptionMaterials, entry: Entry): EncryptionMaterials {
    return { ...materials, dataKey: copyBytes(entry.dataKey) };
  }

  /** Bytes to reserve for an encryption, or undefined when it must bypass the cache. */
  function encryptBytes(plaintextLength: number | undefined): number | undefined {
    // Without a known length the byte limit cannot be enforced: bypass the cache (as the ESDK does).
    if (plaintextLength === undefined && maxBytes !== Number.MAX_SAFE_INTEGER) return undefined;
    const bytes = plaintextLength ?? 0;
    return bytes > maxBytes ? undefined : bytes;
  }

  /** A live decrypt entry moved to most recently used, or undefined (an expired one is evicted). */
  function liveDecryptEntry(key: string): Entry | undefined {
    const hit = entries.get(key);
    if (!hit) return undefined;
    if (now() - hit.createdAt >= maxAge) {
      evict(hit);
      return undefined;
    }
    touch(hit);
    return hit;
  }

  return {
    stats,
    get size() {
      return entries.size;
    },
    clear() {
      for (const entry of [...entries.values()]) evict(entry);
    },

    leaseEncryptionMaterials(key, plaintextLength) {
      const bytes = encryptBytes(plaintextLength);
      const hit = bytes === undefined ? undefined : reserve(key, bytes);
      if (!hit) return undefined;
      stats.hits++;
      return lease(hit.materials!, hit);
    },

    leaseDecryptionKey(key) {
      const hit = liveDecryptEntry(key);
      if (!hit) return undefined;
      stats.hits++;
      return copyBytes(hit.dataKey);
    },

    async encryptionMaterials(key, plaintextLength, create) {
      const bytes = encryptBytes(plaintextLength);
      if (bytes === undefined) return undefined;
      for (let attempt = 0; attempt < 8; attempt++) {
        const hit = reserve(key, bytes);
        if (hit) {
          if (attempt === 0) stats.hits++;
          return lease(hit.materials!, hit);
        }
        await load(key, async () => {
          const materials = await create();
          return { key, createdAt: now(), materials, dataKey: materials.dataKey, messages: 0, bytes: 0 };
        });
      }
      // Heavy contention on a tiny message limit: fall back to fresh materials rather than spin.
      return undefined;
    },

    async decryptionKey(key, create) {
      for (let attempt = 0; attempt < 8; attempt++) {
        const hit = liveDecryptEntry(key);
        if (hit) {
          if (attempt === 0) stats.hits++;
          return copyBytes(hit.dataKey);
        }
        await load(key, async () => {
          const dataKey = await create();
          return { key, createdAt: now(), materials: undefined, dataKey, messages: 0, bytes: 0 };
        });
      }
      return create();
    },
  };
}
