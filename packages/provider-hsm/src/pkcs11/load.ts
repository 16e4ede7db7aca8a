/**
 * Loading `pkcs11js`, the optional native dependency behind `openPkcs11` (docs/hsm-provider.md#installing-the-pkcs11-client).
 *
 * It is loaded lazily with a dynamic import so that `@strongroom/provider-hsm` imports and works
 * (cluster client, provider, helpers) on installs where the native addon was not built.
 */
import { StrongroomError } from '@strongroom/core';
import type * as Pkcs11Js from 'pkcs11js';

/** The `pkcs11js` module namespace (constants + the PKCS11 class). Internal: never in public types. */
export type Pkcs11Module = typeof Pkcs11Js;

const cache = new Map<string, Promise<Pkcs11Module>>();

/**
 * Import `pkcs11js` once per specifier.
 * @throws StrongroomError `UNSUPPORTED` when the module is not installed or failed to load.
 */
export function loadPkcs11js(specifier = 'pkcs11js'): Promise<Pkcs11Module> {
  let pending = cache.get(specifier);
  if (!pending) {
    pending = import(/* @vite-ignore */ specifier).then(
      (ns: { default?: Pkcs11Module } & Pkcs11Module) => {
        // CommonJS module through import(): the exports object is `default`.
        const mod = (ns.default ?? ns) as Pkcs11Module;
        if (typeof mod.PKCS11 !== 'function') {
          throw new StrongroomError('UNSUPPORTED', `${specifier} loaded but does not export PKCS11`);
        }
        return mod;
      },
      (error: unknown) => {
        cache.delete(specifier);
        throw new StrongroomError(
          'UNSUPPORTED',
          `The PKCS#11 client needs the optional native dependency "${specifier}", which is not installed or did not build. ` +
            `Install it with \`npm install pkcs11js\` (needs a C++ toolchain: python3, make, g++).`,
          { cause: error },
        );
      },
    );
    cache.set(specifier, pending);
  }
  return pending;
}
