/**
 * Process-wide state of a PKCS#11 library. Cryptoki is initialized once per process per library
 * (PKCS#11 v2.40 §5.4 C_Initialize → CKR_CRYPTOKI_ALREADY_INITIALIZED on a second call) and a login
 * belongs to the application, not to a session (§5.6 C_Login: "all sessions … of the application
 * with that token" share the login state). So two `openPkcs11` calls on one library must share one
 * initialization and one login per token, and the last one to close finalizes.
 *
 * This is the one piece of module-level state in the package; it mirrors state that the native
 * library already keeps per process, and nothing else is cached here.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { StrongroomError } from '@strongroom/core';
import type { Pkcs11Module } from './load';
import { ckrNames, ckrOf, mapPkcs11Error, type CkrNames } from './errors';

type PKCS11 = InstanceType<Pkcs11Module['PKCS11']>;
type Handle = Buffer;

interface TokenLogin {
  refs: number;
  pinDigest: Buffer;
  /**
   * A session kept open for as long as the login is held: closing an application's last session
   * with a token logs the user out (§5.6 C_CloseSession), which a pool that discards broken
   * sessions could otherwise do by accident.
   */
  anchor: Handle;
}

export interface LoadedLibrary {
  readonly p11: PKCS11;
  readonly mod: Pkcs11Module;
  readonly names: CkrNames;
  readonly path: string;
  refs: number;
  /** False when someone else in this process already initialized the library. */
  readonly ownsInit: boolean;
  readonly logins: Map<string, TokenLogin>;
}

const libraries = new Map<string, LoadedLibrary>();

/**
 * Load + C_Initialize(CKF_OS_LOCKING_OK) the library, or share an existing initialization.
 * @throws StrongroomError `UNSUPPORTED`/`PROVIDER_ERROR` when the library cannot be loaded.
 */
export function acquireLibrary(mod: Pkcs11Module, path: string): LoadedLibrary {
  const existing = libraries.get(path);
  if (existing) {
    existing.refs += 1;
    return existing;
  }
  const names = ckrNames(mod);
  const p11 = new mod.PKCS11();
  try {
    p11.load(path);
  } catch (error) {
    throw new StrongroomError('UNSUPPORTED', `Cannot load the PKCS#11 library ${JSON.stringify(path)}`, { cause: error });
  }
  let ownsInit = true;
  try {
    // CKF_OS_LOCKING_OK: the *Async calls run on several threadpool threads at once
    // (PKCS#11 v2.40 §5.4 C_Initialize; without it concurrent calls crash).
    p11.C_Initialize({ flags: mod.CKF_OS_LOCKING_OK });
  } catch (error) {
    if (ckrOf(error, names) === 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      ownsInit = false;
    } else {
      try {
        p11.close();
      } catch {
        // ignore: reporting the initialization failure matters more
      }
      throw mapPkcs11Error(error, names, 'C_Initialize');
    }
  }
  const lib: LoadedLibrary = { p11, mod, names, path, refs: 1, ownsInit, logins: new Map() };
  libraries.set(path, lib);
  return lib;
}

/** Drop one reference; the last one finalizes and unloads the library. */
export function releaseLibrary(lib: LoadedLibrary): void {
  lib.refs -= 1;
  if (lib.refs > 0) return;
  libraries.delete(lib.path);
  try {
    if (lib.ownsInit) lib.p11.C_Finalize();
  } finally {
    lib.p11.close();
  }
}

function digestPin(pin: string): Buffer {
  return createHash('sha256').update(pin, 'utf8').digest();
}

/**
 * Log the user in on the token in `slot` (once per process); later callers must present the same PIN.
 * @throws StrongroomError `ACCESS_DENIED` on a wrong PIN.
 */
export function acquireLogin(lib: LoadedLibrary, slot: Handle, pin: string): void {
  const key = slot.toString('hex');
  const digest = digestPin(pin);
  const login = lib.logins.get(key);
  if (login) {
    // Already logged in for this process: do not let a second client ride on it with another PIN.
    if (!timingSafeEqual(login.pinDigest, digest)) {
      throw new StrongroomError('ACCESS_DENIED', 'PKCS#11 C_Login failed: the PIN differs from the PIN of the open login');
    }
    login.refs += 1;
    return;
  }
  const { p11, mod, names } = lib;
  let anchor: Handle;
  try {
    anchor = p11.C_OpenSession(slot, mod.CKF_SERIAL_SESSION | mod.CKF_RW_SESSION);
  } catch (error) {
    throw mapPkcs11Error(error, names, 'C_OpenSession');
  }
  try {
    p11.C_Login(anchor, mod.CKU_USER, pin);
  } catch (error) {
    if (ckrOf(error, names) !== 'CKR_USER_ALREADY_LOGGED_IN') {
      try {
        p11.C_CloseSession(anchor);
      } catch {
        // report the login failure
      }
      throw mapPkcs11Error(error, names, 'C_Login');
    }
  }
  lib.logins.set(key, { refs: 1, pinDigest: digest, anchor });
}

/**
 * Log in again after the module dropped the login (CKR_USER_NOT_LOGGED_IN: an HSM that restarted
 * or reconnected). Only the holder of the open login's PIN can do this.
 */
export function renewLogin(lib: LoadedLibrary, slot: Handle, pin: string): void {
  const login = lib.logins.get(slot.toString('hex'));
  if (!login || !timingSafeEqual(login.pinDigest, digestPin(pin))) {
    throw new StrongroomError('ACCESS_DENIED', 'PKCS#11: no login to renew');
  }
  try {
    lib.p11.C_Login(login.anchor, lib.mod.CKU_USER, pin);
  } catch (error) {
    if (ckrOf(error, lib.names) !== 'CKR_USER_ALREADY_LOGGED_IN') throw mapPkcs11Error(error, lib.names, 'C_Login');
  }
}

/** Drop one login reference; the last one logs out and closes the anchor session (best effort). */
export function releaseLogin(lib: LoadedLibrary, slot: Handle): void {
  const key = slot.toString('hex');
  const login = lib.logins.get(key);
  if (!login) return;
  login.refs -= 1;
  if (login.refs > 0) return;
  lib.logins.delete(key);
  try {
    lib.p11.C_Logout(login.anchor);
  } catch {
    // C_Finalize or the session close below ends the login anyway.
  }
  try {
    lib.p11.C_CloseSession(login.anchor);
  } catch {
    // already gone
  }
}
