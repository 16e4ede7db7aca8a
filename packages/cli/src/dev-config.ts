/**
 * The dev stack's config file (`dev.json`): endpoints and dev credentials of the local HSM cluster,
 * kms-local and the local S3. `strongroom dev` writes it; the CLI, the examples and the provider
 * helpers read it. The `keyLabel`, `hsm` and `pkcs11` sections follow the format documented in
 * docs/hsm-provider.md ("Configuration file"), so `hsmKeyProviderFromConfig` reads the same file.
 *
 * Which file (docs/cli.md#which-config-file): the one named by `--config` or env STRONGROOM_CONFIG,
 * else `dev.json` in the user's config directory — `$XDG_CONFIG_HOME/strongroom`, or
 * `~/.config/strongroom` (XDG Base Directory Specification,
 * https://specifications.freedesktop.org/basedir-spec/latest/). Never a file in the working
 * directory: a config names the endpoints that receive key requests and the PKCS#11 library the
 * CLI loads, so a cloned repository must not be able to supply one. For the same reason a config
 * that other users could have written (group/world-writable, owned by someone else, or in such a
 * directory without the sticky bit) is refused.
 *
 * The file holds dev-only secrets (written 0600). Reading it is strict: size cap, JSON object, typed
 * fields; a bad file is a one-line INVALID_ARGUMENT/MALFORMED error naming the field. Relative paths
 * in it — PEM files, `hsmClusterDir`, a `pkcs11.library` containing a `/` — resolve against the
 * file's own directory.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { StrongroomError } from '@strongroom/core';
import { parseNodeUrl } from '@strongroom/hsm-protocol';
import { CONFIG_ENV, CONFIG_FILE_NAME, checkConfigWriters, locateConfig, readBoundedFileSync, userConfigDir } from '@strongroom/node-files';

/** File name of the dev stack's config (endpoints, cluster, credentials) in its directory. */
export const DEV_CONFIG_FILE = CONFIG_FILE_NAME;
export { CONFIG_ENV };
/** Where the config came from: `--config`, env STRONGROOM_CONFIG, or the user's config directory. */
export type DevConfigSource = 'flag' | 'env' | 'user';
const MAX_CONFIG_BYTES = 1 << 20;

/** The dev config's HSM cluster: node URLs, AZs, the crypto user, certificate paths. */
export interface DevHsmSection {
  readonly clusterId: string;
  readonly nodes: ReadonlyArray<{ readonly url: string; readonly az: string }>;
  readonly az: string;
  readonly trustAnchorPath: string;
  readonly clientCertPath: string;
  readonly clientKeyPath: string;
  readonly user: string;
  readonly password: string;
}

/** The dev config's kms-local endpoint, credentials and custom key store. */
export interface DevKmsSection {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** ARN of the plain (AWS_KMS origin) symmetric key. */
  readonly keyArn: string;
  readonly alias: string;
  /** PEM file of the certificate kms-local serves HTTPS with (the dev stack's own, trusted as a CA). */
  readonly caPath?: string | undefined;
}

/** The dev config's local S3 endpoint and bucket. */
export interface DevS3Section {
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The custom key store, or why it is absent. */
export type DevCksSection =
  | { readonly available: true; readonly customKeyStoreId: string; readonly keyArn: string; readonly alias: string }
  | { readonly available: false; readonly reason: string };

/**
 * The config file `strongroom dev` writes and the CLI, `npm start` and the examples read (docs/cli.md#which-config-file).
 */
export interface DevConfig {
  readonly version: 1;
  /** Default HSM key label (docs/hsm-provider.md config format). */
  readonly keyLabel: string;
  readonly hsm: DevHsmSection;
  readonly kms: DevKmsSection;
  readonly s3: DevS3Section;
  readonly cks: DevCksSection;
  /** HSM admin (dev only: `strongroom hsm users …` uses it). */
  readonly hsmAdmin: { readonly user: string; readonly password: string };
  /** The cluster (operator) directory: CA, client certificate (the backup key lives only in the nodes' sealed states). */
  readonly hsmClusterDir: string;
  /** Optional PKCS#11 section (docs/hsm-provider.md format), for pkcs11:// keys. */
  readonly pkcs11?: Readonly<Record<string, unknown>> | undefined;
  /** Where this file lives (set when read; resolved paths are relative to it). */
  readonly path?: string;
}

function bad(path: string, message: string): StrongroomError {
  return new StrongroomError('INVALID_ARGUMENT', `dev config ${path}: ${message}`);
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(path: string, o: Json, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length === 0 || v.length > 65536) throw bad(path, `${where}.${key} must be a non-empty string`);
  return v;
}

function section(path: string, raw: Json, key: string): Json {
  const v = raw[key];
  if (!isObject(v)) throw bad(path, `"${key}" must be an object`);
  return v;
}

type Env = Readonly<Record<string, string | undefined>>;

export { userConfigDir };

/** Where the config file is, and why: `explicit`, else env STRONGROOM_CONFIG, else the user's config directory (@strongroom/node-files locateConfig). */
export function locateDevConfig(explicit?: string, env: Env = process.env): { path: string; source: DevConfigSource } {
  return explicit !== undefined ? { path: resolve(explicit), source: 'flag' } : locateConfig(env);
}

/** Where the config file is (see {@link locateDevConfig}). */
export function resolveDevConfigPath(explicit?: string, env: Env = process.env): string {
  return locateDevConfig(explicit, env).path;
}

/** What a human reads for a source. */
export function describeSource(source: DevConfigSource): string {
  return source === 'flag' ? '--config' : source === 'env' ? `env ${CONFIG_ENV}` : 'user config directory';
}

/** The one-line error for a missing config, mentioning a working-directory file that is not read. */
function noConfig(path: string, source: DevConfigSource): StrongroomError {
  const local = join(process.cwd(), '.strongroom', DEV_CONFIG_FILE);
  const hint = existsSync(local) ? ` (${local} is not read from the working directory: pass --config ${local} if you trust it)` : '';
  const how = source === 'user' ? 'start the dev stack with `strongroom dev`, or pass --config FILE' : 'check the path, or start the dev stack with `strongroom dev`';
  return new StrongroomError('KEY_UNAVAILABLE', `no dev config at ${path} (${describeSource(source)}); ${how}${hint}`, { details: { reason: 'NO_CONFIG' } });
}

/**
 * Read and validate a dev config file (default: {@link locateDevConfig}).
 * @throws StrongroomError KEY_UNAVAILABLE when the file does not exist (the dev stack was never
 *   started there), ACCESS_DENIED when other users could have written it, MALFORMED for bad JSON,
 *   INVALID_ARGUMENT for a bad shape.
 */
export function loadDevConfig(pathOrUndefined?: string, source: DevConfigSource = pathOrUndefined === undefined ? locateDevConfig().source : 'flag'): DevConfig {
  const path = resolveDevConfigPath(pathOrUndefined);
  if (!existsSync(path)) throw noConfig(path, source);
  checkConfigWriters(path, 'dev config');
  // Regular file, at most MAX_CONFIG_BYTES: a FIFO or /dev/zero named as the config cannot hang or exhaust the CLI.
  const bytes = readBoundedFileSync(path, { what: 'dev config', maxBytes: MAX_CONFIG_BYTES });
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new StrongroomError('MALFORMED', `dev config ${path}: not valid JSON`, { cause: error });
  }
  return parseDevConfig(raw, path);
}

/**
 * The `pkcs11` section with its library path made absolute against the config's directory (a bare
 * file name is left to the dynamic loader's search path, as docs/hsm-provider.md says).
 */
function pkcs11Section(path: string, section: Json, abs: (p: string) => string): Json {
  const library = section.library;
  if (library === undefined) return section;
  if (typeof library !== 'string' || library.length === 0) throw bad(path, 'pkcs11.library must be a non-empty string');
  return { ...section, library: library.includes('/') ? abs(library) : library };
}

/** Validate an already-parsed config object. @throws StrongroomError INVALID_ARGUMENT. */
export function parseDevConfig(raw: unknown, path = '(object)'): DevConfig {
  if (!isObject(raw)) throw bad(path, 'must be a JSON object');
  if (raw.version !== 1) throw bad(path, `unsupported version ${JSON.stringify(raw.version)}`);
  const base = path === '(object)' ? process.cwd() : dirname(path);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const h = section(path, raw, 'hsm');
  const nodes = h.nodes;
  if (!Array.isArray(nodes) || nodes.length === 0 || nodes.length > 64) throw bad(path, 'hsm.nodes must be a non-empty array');
  const hsm: DevHsmSection = {
    clusterId: str(path, h, 'clusterId', 'hsm'),
    nodes: nodes.map((n, i) => {
      if (!isObject(n)) throw bad(path, `hsm.nodes[${i}] must be an object`);
      const url = str(path, n, 'url', `hsm.nodes[${i}]`);
      try {
        parseNodeUrl(url);
      } catch {
        throw bad(path, `hsm.nodes[${i}].url must be a tls://HOST:PORT URL with a host name, an IPv4 address or an [IPv6] address (the name the node's certificate carries)`);
      }
      return { url, az: str(path, n, 'az', `hsm.nodes[${i}]`) };
    }),
    az: str(path, h, 'az', 'hsm'),
    trustAnchorPath: abs(str(path, h, 'trustAnchorPath', 'hsm')),
    clientCertPath: abs(str(path, h, 'clientCertPath', 'hsm')),
    clientKeyPath: abs(str(path, h, 'clientKeyPath', 'hsm')),
    user: str(path, h, 'user', 'hsm'),
    password: str(path, h, 'password', 'hsm'),
  };
  const k = section(path, raw, 'kms');
  const kms: DevKmsSection = {
    endpoint: str(path, k, 'endpoint', 'kms'),
    region: str(path, k, 'region', 'kms'),
    accessKeyId: str(path, k, 'accessKeyId', 'kms'),
    secretAccessKey: str(path, k, 'secretAccessKey', 'kms'),
    keyArn: str(path, k, 'keyArn', 'kms'),
    alias: str(path, k, 'alias', 'kms'),
    ...(k.caPath === undefined ? {} : { caPath: abs(str(path, k, 'caPath', 'kms')) }),
  };
  const s = section(path, raw, 's3');
  const s3: DevS3Section = {
    endpoint: str(path, s, 'endpoint', 's3'),
    region: str(path, s, 'region', 's3'),
    bucket: str(path, s, 'bucket', 's3'),
    accessKeyId: str(path, s, 'accessKeyId', 's3'),
    secretAccessKey: str(path, s, 'secretAccessKey', 's3'),
  };
  for (const [name, url] of [['kms.endpoint', kms.endpoint], ['s3.endpoint', s3.endpoint]] as const) {
    if (!/^https?:\/\/[^\s]+$/.test(url)) throw bad(path, `${name} must be an http(s) URL`);
  }
  const c = section(path, raw, 'cks');
  const cks: DevCksSection =
    c.available === true
      ? { available: true, customKeyStoreId: str(path, c, 'customKeyStoreId', 'cks'), keyArn: str(path, c, 'keyArn', 'cks'), alias: str(path, c, 'alias', 'cks') }
      : { available: false, reason: typeof c.reason === 'string' ? c.reason : 'not configured' };
  const a = section(path, raw, 'hsmAdmin');
  return {
    version: 1,
    keyLabel: str(path, raw, 'keyLabel', 'config'),
    hsm,
    kms,
    s3,
    cks,
    hsmAdmin: { user: str(path, a, 'user', 'hsmAdmin'), password: str(path, a, 'password', 'hsmAdmin') },
    hsmClusterDir: abs(str(path, raw, 'hsmClusterDir', 'config')),
    pkcs11: isObject(raw.pkcs11) ? pkcs11Section(path, raw.pkcs11, abs) : undefined,
    path,
  };
}
