/**
 * `hsmKeyProviderFromConfig`: one line from the dev stack's config file (or any file of the same
 * shape) to a ready HsmKeyProvider. The file format is documented in docs/hsm-provider.md
 * ("Configuration file"); `strongroom dev` writes it.
 *
 * ```json
 * {
 *   "version": 1,
 *   "keyLabel": "strongroom-dev-kek",
 *   "hsm": {
 *     "clusterId": "cluster-1a2b3c",
 *     "nodes": [{ "url": "tls://127.0.0.1:7301", "az": "az-a" }, …],
 *     "az": "az-a",
 *     "trustAnchorPath": "hsm/ca.pem",      // or trustAnchorPem: "-----BEGIN CERTIFICATE-----…"
 *     "clientCertPath": "hsm/client.pem",   // or clientCertPem
 *     "clientKeyPath": "hsm/client.key",    // or clientKeyPem
 *     "user": "crypto-user", "password": "…" // or passwordEnv: "STRONGROOM_HSM_PASSWORD"
 *   },
 *   "pkcs11": { "library": "/usr/lib/softhsm/libsofthsm2.so", "tokenLabel": "strongroom", "pin": "…" }
 * }
 * ```
 * Which file (config-location.ts, the CLI's rule): the path given, else env STRONGROOM_CONFIG, else
 * `dev.json` in the user's config directory — never a file picked up from the working directory.
 * Relative paths inside (PEM files, a `pkcs11.library` containing a `/`) resolve against the config
 * file's directory; an already-parsed object with relative paths needs an explicit absolute `baseDir`.
 * Secrets may be given inline or through an environment variable name (`pinEnv`, `passwordEnv`).
 */
import { readBoundedTextFileSync } from '@strongroom/node-files';
import { dirname, isAbsolute, resolve } from 'node:path';
import { StrongroomError, throwIfAborted } from '@strongroom/core';
import { parseNodeUrl } from '@strongroom/hsm-protocol';
import type { HsmBackend, HsmCallOptions } from './backend';
import type { HsmClusterConfig, Pkcs11Config, StrongroomHsmConfig } from './config';
import { checkConfigWriters, locateConfig } from '@strongroom/node-files';
import { HsmKeyProvider } from './key-provider';
import { connectHsmClusterFromConfig } from './cluster/index';
import { openPkcs11 } from './pkcs11/client';

export type { HsmClusterConfig, Pkcs11Config, StrongroomHsmConfig } from './config';

const MAX_CONFIG_BYTES = 1 << 20;
const MAX_PEM_BYTES = 64 * 1024;

/**
 * Options of {@link hsmKeyProviderFromConfig}: key label, provider id, a ready backend or cluster connector, environment, base directory.
 */
export interface HsmKeyProviderFromConfigOptions {
  /** Key label; default the file's `keyLabel`. */
  readonly label?: string | undefined;
  /** Which section to use; default `cluster` when `hsm` is present, else `pkcs11`. */
  readonly backend?: 'cluster' | 'pkcs11' | undefined;
  readonly providerId?: string | undefined;
  /** Connects to the cluster named in the `hsm` section; default `connectHsmClusterFromConfig` (hsm-local cluster client). */
  readonly connectCluster?: ((config: HsmClusterConfig, options?: HsmCallOptions) => Promise<HsmBackend>) | undefined;
  /** Environment for `*Env` secret references and STRONGROOM_CONFIG; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** For a config given as an object: the absolute directory its relative paths resolve from. */
  readonly baseDir?: string | undefined;
  readonly abortSignal?: AbortSignal | undefined;
}

/** A provider that owns its backend connection. */
export type OwnedHsmKeyProvider = HsmKeyProvider & {
  readonly backend: HsmBackend;
  /** Close the backend the provider opened. */
  close(): Promise<void>;
};

type Json = Record<string, unknown>;

/** Makes a path from the config absolute, or refuses a relative one when there is no base. */
type PathResolver = (path: string, field: string) => string;

function pathResolver(baseDir: string | undefined): PathResolver {
  return (path, field) => {
    if (isAbsolute(path)) return path;
    if (baseDir === undefined) {
      throw new StrongroomError('INVALID_ARGUMENT', `HSM config: ${field} is the relative path ${JSON.stringify(path)} in a config given as an object; pass { baseDir } (an absolute directory) or make the path absolute — it is never resolved from the working directory`, { details: { reason: 'RELATIVE_PATH_WITHOUT_BASE_DIR' } });
    }
    return resolve(baseDir, path);
  };
}

function bad(message: string): StrongroomError {
  return new StrongroomError('INVALID_ARGUMENT', `HSM config: ${message}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(obj: Json, key: string, where: string, required = true): string | undefined {
  const value = obj[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw bad(`${where}.${key} must be a non-empty string`);
  return value;
}

/** Inline value, or `<key>Env` naming an environment variable. */
function secret(obj: Json, key: string, where: string, env: Readonly<Record<string, string | undefined>>): string {
  if (obj[key] !== undefined) return str(obj, key, where)!;
  const name = str(obj, `${key}Env`, where, false);
  if (!name) throw bad(`${where}.${key} (or ${key}Env) is required`);
  const value = env[name];
  if (!value) throw bad(`${where}.${key}Env names ${name}, which is not set`);
  return value;
}

/** Inline `<base>Pem`, or `<base>Path` to a PEM file (relative to the config file). */
async function pem(obj: Json, base: string, where: string, abs: PathResolver): Promise<string> {
  const inline = obj[`${base}Pem`];
  if (inline !== undefined) {
    if (typeof inline !== 'string' || !inline.includes('-----BEGIN ')) throw bad(`${where}.${base}Pem must be a PEM string`);
    return inline;
  }
  const path = str(obj, `${base}Path`, where, false);
  if (!path) throw bad(`${where}.${base}Pem or ${base}Path is required`);
  const file = abs(path, `${where}.${base}Path`);
  const text = readBoundedTextFileSync(file, { what: `HSM config ${where}.${base}Path`, maxBytes: MAX_PEM_BYTES });
  if (!text.includes('-----BEGIN ')) throw bad(`${where}.${base}Path is not a PEM file`);
  return text;
}

async function parseCluster(raw: unknown, abs: PathResolver, env: Readonly<Record<string, string | undefined>>): Promise<HsmClusterConfig> {
  if (!isObject(raw)) throw bad('hsm must be an object');
  const nodes = raw.nodes;
  if (!Array.isArray(nodes) || nodes.length === 0 || nodes.length > 64) throw bad('hsm.nodes must be a non-empty array (≤ 64)');
  return {
    clusterId: str(raw, 'clusterId', 'hsm', false),
    nodes: nodes.map((n, i) => {
      if (!isObject(n)) throw bad(`hsm.nodes[${i}] must be an object`);
      const url = str(n, 'url', `hsm.nodes[${i}]`)!;
      try {
        parseNodeUrl(url);
      } catch {
        throw bad(`hsm.nodes[${i}].url must be a tls://HOST:PORT URL with a host name, an IPv4 address or an [IPv6] address (the name the node's certificate carries)`);
      }
      return { url, az: str(n, 'az', `hsm.nodes[${i}]`, false) };
    }),
    az: str(raw, 'az', 'hsm', false),
    trustAnchorPem: await pem(raw, 'trustAnchor', 'hsm', abs),
    clientCertPem: await pem(raw, 'clientCert', 'hsm', abs),
    clientKeyPem: await pem(raw, 'clientKey', 'hsm', abs),
    user: str(raw, 'user', 'hsm')!,
    password: secret(raw, 'password', 'hsm', env),
  };
}

function parsePkcs11(raw: unknown, abs: PathResolver, env: Readonly<Record<string, string | undefined>>): Pkcs11Config {
  if (!isObject(raw)) throw bad('pkcs11 must be an object');
  const library = str(raw, 'library', 'pkcs11')!;
  const slot = raw.slot;
  if (slot !== undefined && (!Number.isSafeInteger(slot) || (slot as number) < 0)) throw bad('pkcs11.slot must be a non-negative integer');
  const maxSessions = raw.maxSessions;
  if (maxSessions !== undefined && (!Number.isInteger(maxSessions) || (maxSessions as number) < 1)) throw bad('pkcs11.maxSessions must be a positive integer');
  return {
    // A bare file name is left to the dynamic loader's search path; anything with a slash is a path.
    library: library.includes('/') ? abs(library, 'pkcs11.library') : library,
    tokenLabel: str(raw, 'tokenLabel', 'pkcs11', false),
    slot: slot as number | undefined,
    pin: secret(raw, 'pin', 'pkcs11', env),
    maxSessions: maxSessions as number | undefined,
  };
}

export interface LoadHsmConfigOptions {
  /** Environment for `*Env` secret references and STRONGROOM_CONFIG; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** For a config given as an object: the absolute directory its relative paths resolve from. */
  readonly baseDir?: string | undefined;
}

/**
 * Read and validate a Strongroom HSM config: a file path (relative paths inside resolve from its
 * directory), an already-parsed object (relative paths need `baseDir`), or nothing — then the file
 * named by STRONGROOM_CONFIG, else the user's `~/.config/strongroom/dev.json` (never the working
 * directory's `.strongroom/dev.json`).
 * @throws StrongroomError `INVALID_ARGUMENT` for a bad shape or a relative path without a base,
 *   `MALFORMED` for bad JSON, `IO_ERROR` for unreadable files, `ACCESS_DENIED` for a config file
 *   other users could have written.
 */
export async function loadHsmConfig(configPathOrObject?: string | object, options: LoadHsmConfigOptions = {}): Promise<StrongroomHsmConfig> {
  const env = options.env ?? process.env;
  let raw: unknown = configPathOrObject;
  let baseDir: string | undefined;
  if (options.baseDir !== undefined) {
    if (!isAbsolute(options.baseDir)) throw bad(`baseDir must be an absolute directory, not ${JSON.stringify(options.baseDir)}`);
    baseDir = options.baseDir;
  }
  if (configPathOrObject === undefined || typeof configPathOrObject === 'string') {
    const path = configPathOrObject === undefined ? locateConfig(env).path : resolve(configPathOrObject);
    baseDir = dirname(path);
    checkConfigWriters(path, 'HSM config');
    // A regular file under the cap: a FIFO or device named by STRONGROOM_CONFIG cannot hang or exhaust the caller.
    const text = readBoundedTextFileSync(path, { what: 'HSM config', maxBytes: MAX_CONFIG_BYTES });
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new StrongroomError('MALFORMED', `HSM config: ${path} is not valid JSON`, { cause: error });
    }
  }
  if (!isObject(raw)) throw bad('the config must be a JSON object');
  if (raw.version !== undefined && raw.version !== 1) throw bad(`unsupported version ${JSON.stringify(raw.version)}`);
  if (raw.hsm === undefined && raw.pkcs11 === undefined) throw bad('neither an "hsm" nor a "pkcs11" section is present');
  return {
    keyLabel: str(raw, 'keyLabel', 'config', false),
    hsm: raw.hsm === undefined ? undefined : await parseCluster(raw.hsm, pathResolver(baseDir), env),
    pkcs11: raw.pkcs11 === undefined ? undefined : parsePkcs11(raw.pkcs11, pathResolver(baseDir), env),
  };
}

/**
 * Open the HSM named in a config (see {@link loadHsmConfig}: without one, STRONGROOM_CONFIG or the
 * user's config directory) and return a key provider over it; `close()` closes the connection.
 *
 * @example
 * const provider = await hsmKeyProviderFromConfig(undefined, { label: 'app-kek' }); // ~/.config/strongroom/dev.json
 * const client = createClient({ keyProvider: provider });
 * @throws StrongroomError as {@link loadHsmConfig}, `UNSUPPORTED` when pkcs11js is missing for a
 *   `pkcs11` section, and the backend's connection errors.
 */
export async function hsmKeyProviderFromConfig(
  configPathOrObject?: string | object,
  options: HsmKeyProviderFromConfigOptions = {},
): Promise<OwnedHsmKeyProvider> {
  throwIfAborted(options.abortSignal);
  const config = await loadHsmConfig(configPathOrObject, { env: options.env, baseDir: options.baseDir });
  const keyLabel = options.label ?? config.keyLabel;
  if (!keyLabel) throw bad('no key label: pass { label } or set "keyLabel" in the file');
  const which = options.backend ?? (config.hsm ? 'cluster' : 'pkcs11');
  let backend: HsmBackend;
  if (which === 'cluster') {
    if (!config.hsm) throw bad('backend "cluster" requested but the file has no "hsm" section');
    const connect = options.connectCluster ?? connectHsmClusterFromConfig;
    backend = await connect(config.hsm, { abortSignal: options.abortSignal });
  } else {
    if (!config.pkcs11) throw bad('backend "pkcs11" requested but the file has no "pkcs11" section');
    backend = await openPkcs11({ ...config.pkcs11, abortSignal: options.abortSignal });
  }
  try {
    const provider = HsmKeyProvider({ backend, keyLabel, providerId: options.providerId });
    return Object.freeze({ ...provider, backend, close: () => backend.close() });
  } catch (error) {
    await backend.close();
    throw error;
  }
}
