/**
 * `openPkcs11`: the HsmBackend over any PKCS#11 v2.40 module through `pkcs11js` — SoftHSMv2 in
 * tests, AWS CloudHSM's PKCS#11 library or another HSM in production (docs/hsm-provider.md;
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/pkcs11-mechanisms.html).
 *
 * - One C_Initialize(CKF_OS_LOCKING_OK) and one login per token per process (./library).
 * - A session pool; the heavy calls use the pkcs11js `*Async` variants, which run on the libuv
 *   threadpool, so operations on different sessions run in parallel.
 * - The token is found by label (SoftHSM reassigns slot ids on `--init-token`), or by slot id.
 * - Mechanism parameter Buffers are passed to the module by pointer: every call keeps them
 *   referenced until the promise settles.
 */
import { StrongroomError, throwIfAborted } from '@strongroom/core';
import type { HsmBackend, HsmCallOptions, HsmCapabilities, HsmKeyRef } from '../backend';
import { ecdsaDerToRaw, ecdsaRawToDer } from '../ecdsa-der';
import { detectCapabilities } from './capabilities';
import { ckrOf, isSessionFatal, mapPkcs11Error } from './errors';
import { acquireLibrary, acquireLogin, releaseLibrary, releaseLogin, renewLogin, type LoadedLibrary } from './library';
import { loadPkcs11js } from './load';
import { describeKey, findHandles, publicKeySpki } from './objects';
import { createSessionPool } from './session-pool';
import { gcmParams, HASH_BYTES, keyPairKind, keyPairTemplates, secretKeyTemplate, signInput, signMechanism } from './templates';

type Handle = Buffer;

/**
 * Options of {@link openPkcs11}: the module path, token label or slot, PIN, session pool size, capability overrides.
 */
export interface OpenPkcs11Options {
  /** Path of the PKCS#11 module, e.g. `/usr/lib/softhsm/libsofthsm2.so` or `/opt/cloudhsm/lib/libcloudhsm_pkcs11.so`. */
  readonly library: string;
  /** Token label (preferred: slot ids can change). One of `tokenLabel` / `slot` is required. */
  readonly tokenLabel?: string | undefined;
  /** Slot id as reported by C_GetSlotList. */
  readonly slot?: number | bigint | undefined;
  /** User PIN (CloudHSM: `user:password`). Never logged. */
  readonly pin: string;
  /** Maximum concurrent sessions; default 8. */
  readonly maxSessions?: number | undefined;
  /** Override detected capability flags (see ./capabilities). */
  readonly capabilities?: Partial<HsmCapabilities> | undefined;
  /** Override the backend id (default: the token serial number). */
  readonly id?: string | undefined;
  /** Module specifier for pkcs11js (tests use it to simulate a missing install). */
  readonly pkcs11jsModule?: string | undefined;
  readonly abortSignal?: AbortSignal | undefined;
}

/** The PKCS#11 backend; `tokenInfo` describes the selected token. */
export interface Pkcs11Backend extends HsmBackend {
  readonly kind: 'pkcs11';
  readonly tokenInfo: { readonly label: string; readonly serialNumber: string; readonly manufacturer: string; readonly model: string };
  /** Sessions open in the pool (for diagnostics and tests). */
  readonly openSessions: number;
}

const LOGIN_SYMPTOMS = new Set(['CKR_USER_NOT_LOGGED_IN', 'CKR_OBJECT_HANDLE_INVALID', 'CKR_KEY_HANDLE_INVALID']);
const MAX_RANDOM = 65_536;
const MAX_LABEL_BYTES = 256;

function slotBuffer(slot: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(slot));
  return b;
}

function checkLabel(label: unknown, name = 'label'): string {
  if (typeof label !== 'string' || label.length === 0) throw new StrongroomError('INVALID_ARGUMENT', `${name}: must be a non-empty string`);
  if (Buffer.byteLength(label, 'utf8') > MAX_LABEL_BYTES) throw new StrongroomError('INVALID_ARGUMENT', `${name}: longer than ${MAX_LABEL_BYTES} bytes`);
  return label;
}

function checkBytes(value: unknown, name: string): Buffer {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name}: expected a Uint8Array`);
  // A private copy: the module reads it by pointer while the async call runs on another thread,
  // and callers may reuse their buffers.
  return Buffer.from(value);
}

/**
 * Open a PKCS#11 token as an {@link HsmBackend}.
 *
 * @example
 * const hsm = await openPkcs11({ library: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'strongroom', pin: '1234' });
 * const provider = createHsmKeyProvider({ backend: hsm, keyLabel: 'app-kek' });
 * @throws StrongroomError `UNSUPPORTED` when pkcs11js is not installed or the library cannot be loaded,
 *   `KEY_UNAVAILABLE` when no (or more than one) token matches, `ACCESS_DENIED` on a wrong PIN,
 *   `INVALID_ARGUMENT` for bad options.
 */
export async function openPkcs11(options: OpenPkcs11Options): Promise<Pkcs11Backend> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options: expected an object');
  if (typeof options.library !== 'string' || options.library.length === 0) {
    throw new StrongroomError('INVALID_ARGUMENT', 'library: the path of the PKCS#11 module is required');
  }
  if ((options.tokenLabel === undefined) === (options.slot === undefined)) {
    throw new StrongroomError('INVALID_ARGUMENT', 'exactly one of tokenLabel or slot is required');
  }
  if (typeof options.pin !== 'string' || options.pin.length === 0) {
    throw new StrongroomError('INVALID_ARGUMENT', 'pin: must be a non-empty string');
  }
  throwIfAborted(options.abortSignal);
  const mod = await loadPkcs11js(options.pkcs11jsModule);
  throwIfAborted(options.abortSignal);

  const lib = acquireLibrary(mod, options.library);
  let slot: Handle;
  let loggedIn = false;
  try {
    slot = findSlot(lib, options);
    acquireLogin(lib, slot, options.pin);
    loggedIn = true;
    return createBackend(lib, slot, options);
  } catch (error) {
    if (loggedIn) releaseLogin(lib, slot!);
    releaseLibrary(lib);
    throw error;
  }
}

function findSlot(lib: LoadedLibrary, options: OpenPkcs11Options): Handle {
  const { p11, names } = lib;
  let slots: Handle[];
  try {
    slots = p11.C_GetSlotList(true);
  } catch (error) {
    throw mapPkcs11Error(error, names, 'C_GetSlotList');
  }
  if (options.slot !== undefined) {
    const wanted = slotBuffer(options.slot);
    const found = slots.find((s) => s.equals(wanted));
    if (!found) throw new StrongroomError('KEY_UNAVAILABLE', `PKCS#11: no token present in slot ${String(options.slot)}`);
    return found;
  }
  const label = options.tokenLabel!;
  const matches = slots.filter((s) => {
    try {
      return p11.C_GetTokenInfo(s).label.trimEnd() === label;
    } catch {
      return false;
    }
  });
  if (matches.length === 0) throw new StrongroomError('KEY_UNAVAILABLE', `PKCS#11: no token labelled ${JSON.stringify(label)}`);
  if (matches.length > 1) throw new StrongroomError('KEY_UNAVAILABLE', `PKCS#11: ${matches.length} tokens are labelled ${JSON.stringify(label)}; use slot`);
  return matches[0]!;
}

function createBackend(lib: LoadedLibrary, slot: Handle, options: OpenPkcs11Options): Pkcs11Backend {
  const { p11, mod: P, names } = lib;
  const info = p11.C_GetTokenInfo(slot);
  const tokenInfo = Object.freeze({
    label: info.label.trimEnd(),
    serialNumber: info.serialNumber.trimEnd(),
    manufacturer: info.manufacturerID.trimEnd(),
    model: info.model.trimEnd(),
  });
  const moduleManufacturer = p11.C_GetInfo().manufacturerID.trimEnd();
  const mechanisms = p11.C_GetMechanismList(slot);
  const capabilities = detectCapabilities(P, `${moduleManufacturer} ${tokenInfo.manufacturer}`, mechanisms, options.capabilities);
  const id = options.id ?? tokenInfo.serialNumber;
  if (id.length === 0) throw new StrongroomError('INVALID_ARGUMENT', 'id: the token has no serial number; pass id');

  const pool = createSessionPool<Handle>({
    max: options.maxSessions ?? 8,
    open: () => {
      try {
        return p11.C_OpenSession(slot, P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION);
      } catch (error) {
        throw mapPkcs11Error(error, names, 'C_OpenSession');
      }
    },
    close: (s) => p11.C_CloseSession(s),
    // Our own validation errors (no cause) leave the session usable; PKCS#11 errors are checked
    // against the session-fatal list; any other native failure retires the session.
    isFatal: (error) => {
      const inner = StrongroomError.isInstance(error) ? error.cause : error;
      return inner !== undefined && isSessionFatal(inner, names);
    },
  });
  let closed: Promise<void> | undefined;
  const pin = options.pin;

  /** Run one PKCS#11 step sequence on a pooled session, mapping errors. */
  function run<T>(
    fnName: string,
    options: HsmCallOptions | undefined,
    body: (s: Handle) => Promise<T> | T,
    context: { authenticating?: boolean } = {},
  ): Promise<T> {
    if (closed) return Promise.reject(new StrongroomError('PROVIDER_ERROR', 'PKCS#11 client is closed'));
    return pool.use(async (s) => {
      try {
        return await body(s);
      } catch (error) {
        // The module may have dropped the login (HSM restart / reconnect, another part of the
        // process called C_Logout): modules report it as USER_NOT_LOGGED_IN or, for private
        // objects that became invisible, as an invalid handle. Log in again and retry once.
        if (!LOGIN_SYMPTOMS.has(ckrOf(error, names) ?? '') || !renewLoginIfLost(s)) throw mapPkcs11Error(error, names, fnName, context);
        try {
          return await body(s);
        } catch (again) {
          throw mapPkcs11Error(again, names, fnName, context);
        }
      }
    }, options?.abortSignal);
  }

  /** True when the session is in a user state (PKCS#11 §5.6: CKS_RO_USER_FUNCTIONS = 1, CKS_RW_USER_FUNCTIONS = 3). */
  function loggedIn(s: Handle): boolean {
    const state = p11.C_GetSessionInfo(s).state;
    return state === 1 || state === 3;
  }

  /** Renew the login when the session shows it was lost; false when the login was intact. */
  function renewLoginIfLost(s: Handle): boolean {
    if (loggedIn(s)) return false;
    renewLogin(lib, slot, pin);
    return true;
  }

  function handleOf(key: HsmKeyRef): Handle {
    if (typeof key !== 'object' || key === null || typeof key.handle !== 'string' || !/^[0-9a-f]{2,16}$/.test(key.handle)) {
      throw new StrongroomError('INVALID_ARGUMENT', 'key: not a PKCS#11 key reference');
    }
    return Buffer.from(key.handle, 'hex');
  }

  const describe = (s: Handle, handle: Handle, label: string) => describeKey(lib, s, handle, label);

  async function assertLabelFree(s: Handle, label: string): Promise<void> {
    if (findHandles(lib, s, label).length > 0) {
      throw new StrongroomError('INVALID_ARGUMENT', `label: a key labelled ${JSON.stringify(label)} already exists on the token`);
    }
  }

  const backend: Pkcs11Backend = {
    kind: 'pkcs11',
    id,
    capabilities,
    tokenInfo,
    get openSessions() {
      return pool.size;
    },

    async findKey(query, opts) {
      const label = checkLabel(query?.label);
      const wanted =
        query.class === undefined ? undefined : { secret: P.CKO_SECRET_KEY, private: P.CKO_PRIVATE_KEY, public: P.CKO_PUBLIC_KEY }[query.class];
      if (query.class !== undefined && wanted === undefined) throw new StrongroomError('INVALID_ARGUMENT', 'class: must be secret, private or public');
      return run('C_FindObjects', opts, (s) => {
        let handles = findHandles(lib, s, label, wanted);
        // Private objects are invisible without a login: a lost login looks like a missing key.
        if (handles.length === 0 && renewLoginIfLost(s)) handles = findHandles(lib, s, label, wanted);
        const refs = handles.map((h) => describe(s, h, label));
        if (refs.length === 0) return undefined;
        // Without a class, a key pair's two halves share the label: prefer secret, then private.
        for (const klass of ['secret', 'private', 'public'] as const) {
          const same = refs.filter((r) => r.class === klass);
          if (same.length > 1) {
            throw new StrongroomError('KEY_UNAVAILABLE', `PKCS#11: ${same.length} ${klass} keys are labelled ${JSON.stringify(label)}`);
          }
          if (same.length === 1) return same[0];
        }
        return undefined;
      });
    },

    async generateAesKey(template, opts) {
      checkLabel(template?.label);
      if (![128, 192, 256].includes(template.bits)) throw new StrongroomError('INVALID_ARGUMENT', 'bits: must be 128, 192 or 256');
      return run('C_GenerateKey', opts, async (s) => {
        await assertLabelFree(s, template.label);
        const id = p11.C_GenerateRandom(s, Buffer.alloc(16));
        const attrs = secretKeyTemplate(P, template, P.CKK_AES, template.bits / 8, id, { crypt: true, mac: false });
        const handle = await p11.C_GenerateKeyAsync(s, { mechanism: P.CKM_AES_KEY_GEN }, attrs);
        return describe(s, handle, template.label);
      });
    },

    async generateGenericSecret(template, opts) {
      checkLabel(template?.label);
      if (!Number.isInteger(template.bits) || template.bits < 128 || template.bits > 4096 || template.bits % 8 !== 0) {
        throw new StrongroomError('INVALID_ARGUMENT', 'bits: must be a multiple of 8 between 128 and 4096');
      }
      return run('C_GenerateKey', opts, async (s) => {
        await assertLabelFree(s, template.label);
        const id = p11.C_GenerateRandom(s, Buffer.alloc(16));
        const attrs = secretKeyTemplate(P, template, P.CKK_GENERIC_SECRET, template.bits / 8, id, { crypt: false, mac: true });
        const handle = await p11.C_GenerateKeyAsync(s, { mechanism: P.CKM_GENERIC_SECRET_KEY_GEN }, attrs);
        return describe(s, handle, template.label);
      });
    },

    async generateKeyPair(template, opts) {
      checkLabel(template?.label);
      const { mechanism, publicExtra } = keyPairKind(P, template);
      return run('C_GenerateKeyPair', opts, async (s) => {
        await assertLabelFree(s, template.label);
        const id = p11.C_GenerateRandom(s, Buffer.alloc(16));
        const { pub, priv } = keyPairTemplates(P, template, publicExtra, id);
        const pair = await p11.C_GenerateKeyPairAsync(s, { mechanism }, pub, priv);
        return { privateKey: describe(s, pair.privateKey, template.label), publicKey: describe(s, pair.publicKey, template.label) };
      });
    },

    async deleteKey(key, opts) {
      const handle = handleOf(key);
      return run('C_DestroyObject', opts, (s) => {
        p11.C_DestroyObject(s, handle);
      });
    },

    async aesGcmEncrypt(key, plaintext, aad, opts) {
      const handle = handleOf(key);
      const pt = checkBytes(plaintext, 'plaintext');
      const a = checkBytes(aad, 'aad');
      return run('C_Encrypt', opts, async (s) => {
        // 'caller' modules (SoftHSM): the IV still comes from the HSM's RNG. 'hsm' modules (CloudHSM)
        // write their IV into the pIv buffer we pass (pkcs11js passes it by pointer).
        const iv = capabilities.gcmIv === 'caller' ? p11.C_GenerateRandom(s, Buffer.alloc(12)) : Buffer.alloc(12);
        const params = gcmParams(P, iv, a);
        p11.C_EncryptInit(s, { mechanism: P.CKM_AES_GCM, parameter: params }, handle);
        const out = await p11.C_EncryptAsync(s, pt, Buffer.alloc(pt.length + 16));
        if (out.length !== pt.length + 16) {
          throw new StrongroomError('PROVIDER_ERROR', `PKCS#11 AES-GCM returned ${out.length} bytes for ${pt.length}`);
        }
        if (capabilities.gcmIv === 'hsm' && iv.every((b) => b === 0)) {
          throw new StrongroomError('PROVIDER_ERROR', 'PKCS#11 module did not return the AES-GCM IV (capabilities.gcmIv is "hsm")');
        }
        const result = {
          iv: new Uint8Array(iv),
          ciphertext: new Uint8Array(out.subarray(0, pt.length)),
          tag: new Uint8Array(out.subarray(pt.length)),
        };
        out.fill(0);
        pt.fill(0);
        void params; // keep the parameter buffers referenced until the call completed
        return result;
      });
    },

    async aesGcmDecrypt(key, input, opts) {
      const handle = handleOf(key);
      const iv = checkBytes(input?.iv, 'iv');
      const ct = checkBytes(input.ciphertext, 'ciphertext');
      const tag = checkBytes(input.tag, 'tag');
      const a = checkBytes(input.aad, 'aad');
      if (iv.length !== 12) throw new StrongroomError('INVALID_ARGUMENT', `iv: must be 12 bytes, got ${iv.length}`);
      if (tag.length !== 16) throw new StrongroomError('INVALID_ARGUMENT', `tag: must be 16 bytes, got ${tag.length}`);
      const data = Buffer.concat([ct, tag]);
      return run(
        'C_Decrypt',
        opts,
        async (s) => {
          const params = gcmParams(P, iv, a);
          p11.C_DecryptInit(s, { mechanism: P.CKM_AES_GCM, parameter: params }, handle);
          const out = await p11.C_DecryptAsync(s, data, Buffer.alloc(data.length));
          void params;
          if (out.length !== ct.length) throw new StrongroomError('PROVIDER_ERROR', 'PKCS#11 AES-GCM decrypt returned a wrong length');
          const result = new Uint8Array(out);
          out.fill(0);
          return result;
        },
        { authenticating: true },
      );
    },

    async sign(key, mechanism, data, opts) {
      const handle = handleOf(key);
      const mech = signMechanism(P, capabilities, mechanism);
      const input = signInput(capabilities, mechanism, checkBytes(data, 'data'));
      return run('C_Sign', opts, async (s) => {
        p11.C_SignInit(s, mech as never, handle);
        const sig = await p11.C_SignAsync(s, input, Buffer.alloc(1024));
        void mech;
        return mechanism.type === 'ecdsa' ? ecdsaRawToDer(sig) : new Uint8Array(sig);
      });
    },

    async verify(key, mechanism, data, signature, opts) {
      const handle = handleOf(key);
      const mech = signMechanism(P, capabilities, mechanism);
      const input = signInput(capabilities, mechanism, checkBytes(data, 'data'));
      let sig: Buffer | undefined = checkBytes(signature, 'signature');
      if (mechanism.type === 'ecdsa') {
        const raw = ecdsaDerToRaw(sig, Math.ceil(key.bits / 8));
        sig = raw && Buffer.from(raw);
      }
      if (!sig || sig.length === 0 || sig.length > 1024) return false;
      const signatureBytes = sig;
      return run('C_Verify', opts, async (s) => {
        p11.C_VerifyInit(s, mech as never, handle);
        try {
          const ok = await p11.C_VerifyAsync(s, input, signatureBytes);
          return ok === true;
        } catch (error) {
          const ckr = (error as { message?: string }).message;
          if (ckr === 'CKR_SIGNATURE_INVALID' || ckr === 'CKR_SIGNATURE_LEN_RANGE') return false;
          throw error;
        } finally {
          void mech;
        }
      });
    },

    async hmac(key, hash, data, opts) {
      const handle = handleOf(key);
      if (hash !== 'sha256' && hash !== 'sha384' && hash !== 'sha512') throw new StrongroomError('INVALID_ARGUMENT', `hash: unsupported ${String(hash)}`);
      const input = checkBytes(data, 'data');
      const mechanism = P[`CKM_${hash.toUpperCase() as 'SHA256' | 'SHA384' | 'SHA512'}_HMAC`];
      return run('C_Sign', opts, async (s) => {
        p11.C_SignInit(s, { mechanism }, handle);
        const mac = await p11.C_SignAsync(s, input, Buffer.alloc(64));
        if (mac.length !== HASH_BYTES[hash]) throw new StrongroomError('PROVIDER_ERROR', `PKCS#11 HMAC returned ${mac.length} bytes`);
        return new Uint8Array(mac);
      });
    },

    async generateRandom(length, opts) {
      if (!Number.isInteger(length) || length < 1 || length > MAX_RANDOM) {
        throw new StrongroomError('INVALID_ARGUMENT', `length: must be an integer between 1 and ${MAX_RANDOM}`);
      }
      return run('C_GenerateRandom', opts, (s) => {
        const out = p11.C_GenerateRandom(s, Buffer.alloc(length));
        const result = new Uint8Array(out);
        out.fill(0);
        return result;
      });
    },

    async exportPublicKey(key, opts) {
      const handle = handleOf(key);
      if (key.type !== 'rsa' && key.type !== 'ec') throw new StrongroomError('INVALID_ARGUMENT', 'key: not an asymmetric key');
      return run('C_GetAttributeValue', opts, (s) => publicKeySpki(lib, s, key, handle));
    },

    close() {
      closed ??= (async () => {
        await pool.close();
        releaseLogin(lib, slot);
        releaseLibrary(lib);
      })();
      return closed;
    },
  };
  return backend;
}
