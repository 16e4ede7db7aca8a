// The Strongroom side of the core benchmarks, set up once here (as ./esdk.mjs does for the ESDK) so
// that every benchmark measures the same settings: a raw AES-256 key provider and, for cached runs, a
// data-key cache whose limits never expire an entry during a run.
import { createClient, createDataKeyCache, RawAesKeyProvider } from '@strongroom/core';

const KEY_NAME = { namespace: 'bench', name: 'k' };
const CACHE_LIMITS = { capacity: 1000, maxAge: 600_000 };

/** The raw AES key provider over `key` (32 bytes). */
export const benchKeyProvider = (key) => RawAesKeyProvider({ ...KEY_NAME, key });

/** A fresh data-key cache with the benchmarks' limits. */
export const benchCache = () => createDataKeyCache(CACHE_LIMITS);

/** The same cached client from another build of @strongroom/core (`core`: its module), e.g. for an A/B of two builds. */
export const cachedClientOf = (core, key, suite) =>
  core.createClient({ keyProvider: core.RawAesKeyProvider({ ...KEY_NAME, key }), suite, cache: core.createDataKeyCache(CACHE_LIMITS) });

/** A client of `suite` over `keyProvider` with a fresh cache; `options` adds e.g. a pool. */
export const cachedClient = (keyProvider, suite, options = {}) => createClient({ keyProvider, suite, cache: benchCache(), ...options });
