/**
 * `@strongroom/core/noble` — the pure-JS crypto backend on `@noble/ciphers`, `@noble/hashes` and
 * `@noble/curves`, as its own entry point so that the main entry never loads `@noble`: users of the default
 * node:crypto backend install and load none of it. The `@noble` packages are optional peer dependencies;
 * install them to use this entry (`npm install `@noble/ciphers` `@noble/hashes` `@noble/curve`s`).
 *
 * @example
 * import { createClient, RawAesKeyProvider } from '@strongroom/core';
 * import { nobleBackend } from '@strongroom/core/noble';
 * const client = createClient({ keyProvider: RawAesKeyProvider({ namespace: 'app', name: 'k1', key, backend: nobleBackend }), backend: nobleBackend });
 */
export { nobleBackend } from './noble-backend';
