/**
 * `kmsKeyProviderFromConfig`: one line from the dev stack's config file (`strongroom dev` writes
 * `~/.config/strongroom/dev.json`) — or any file of the same shape — to a ready KmsKeyProvider.
 * Which file (config-location.ts, the CLI's rule): the path given, else env STRONGROOM_CONFIG, else
 * `dev.json` in the user's config directory — never a file picked up from the working directory,
 * which would let a cloned repository choose the endpoint that receives every key request.
 *
 * ```json
 * { "kms": { "endpoint": "https://127.0.0.1:4599", "region": "us-east-1", "caPath": "/…/kms/tls-dev-cert.pem",
 *            "accessKeyId": "…", "secretAccessKey": "…", "keyArn": "arn:aws:kms:…", "alias": "alias/…" } }
 * ```
 * Every field but `keyArn`/`alias` is optional: without `endpoint` the real AWS KMS is used, and
 * `caPath` (an HTTPS endpoint's only trusted certificate) pins kms-local's own certificate, and
 * without credentials the default AWS credential chain. Against AWS, the same file with only
 * `region` and `keyArn` is the scale-out path, by configuration only.
 */
import { MAX_BYTES, readBoundedTextFileSync } from '@strongroom/node-files';
import { Agent } from 'node:https';
import { isAbsolute } from 'node:path';
import { StrongroomError } from '@strongroom/core';
import { createKmsClientSupplier } from './client-supplier';
import { checkConfigWriters, locateConfig } from '@strongroom/node-files';
import type { KmsKeyProviderOptions } from './kms-key-provider';
import { KmsKeyProvider } from './node-kms-key-provider';

const MAX_CONFIG_BYTES = 1 << 20;

/** The `kms` section of a config file: endpoint, Region, credentials, key ARN or alias. */
export interface KmsConfigSection {
  readonly endpoint?: string;
  readonly region?: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly keyArn?: string;
  readonly alias?: string;
  /** Absolute path of a PEM certificate: over HTTPS, the only CA trusted for `endpoint` (kms-local's own). */
  readonly caPath?: string;
}

function bad(message: string): StrongroomError {
  return new StrongroomError('INVALID_ARGUMENT', `KMS config: ${message}`);
}

function optionalString(section: Record<string, unknown>, name: string): string | undefined {
  const v = section[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > 2048) throw bad(`kms.${name} must be a non-empty string`);
  return v;
}

async function readCa(path: string): Promise<string> {
  try {
    return readBoundedTextFileSync(path, { what: 'KMS config kms.caPath', maxBytes: MAX_BYTES.pem });
  } catch (e) {
    if (StrongroomError.isInstance(e) && e.code !== 'IO_ERROR') throw e;
    throw new StrongroomError('IO_ERROR', `KMS config: cannot read kms.caPath ${path} (the certificate kms-local serves; start the dev stack again to recreate it)`, { cause: e });
  }
}

/** Parse the `kms` section of a config object (strict: typed fields, size caps). */
export function parseKmsConfig(raw: unknown): KmsConfigSection {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('expected a JSON object');
  const section = (raw as Record<string, unknown>).kms;
  if (typeof section !== 'object' || section === null || Array.isArray(section)) throw bad('missing the "kms" section');
  const s = section as Record<string, unknown>;
  const config = {
    endpoint: optionalString(s, 'endpoint'),
    region: optionalString(s, 'region'),
    accessKeyId: optionalString(s, 'accessKeyId'),
    secretAccessKey: optionalString(s, 'secretAccessKey'),
    keyArn: optionalString(s, 'keyArn'),
    alias: optionalString(s, 'alias'),
    caPath: optionalString(s, 'caPath'),
  };
  if (config.caPath !== undefined && !isAbsolute(config.caPath)) throw bad('kms.caPath must be an absolute path');
  if (config.caPath !== undefined && !config.endpoint?.startsWith('https://')) throw bad('kms.caPath needs an https:// kms.endpoint');
  if (config.endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(config.endpoint)) throw bad('kms.endpoint must be an http(s) URL');
  if ((config.accessKeyId === undefined) !== (config.secretAccessKey === undefined)) throw bad('give both kms.accessKeyId and kms.secretAccessKey, or neither');
  if (config.keyArn === undefined && config.alias === undefined) throw bad('give kms.keyArn or kms.alias');
  return config;
}

/**
 * @param config a path to a JSON file, the parsed object, or nothing: then the file named by env
 *   STRONGROOM_CONFIG, else the user's `~/.config/strongroom/dev.json` (never the working directory's)
 * @param options extra KmsKeyProvider options; `keyId` picks another key than the file's keyArn/alias;
 *   `env` is where STRONGROOM_CONFIG and XDG_CONFIG_HOME are looked up (default process.env)
 * @example
 * const provider = await kmsKeyProviderFromConfig(); // ~/.config/strongroom/dev.json
 * @throws StrongroomError INVALID_ARGUMENT for an invalid file or section; IO_ERROR if missing or
 *   unreadable; ACCESS_DENIED for a config file other users could have written.
 */
export async function kmsKeyProviderFromConfig(
  config?: string | Record<string, unknown>,
  options: Omit<KmsKeyProviderOptions, 'clientProvider' | 'region'> & { keyId?: string; env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<ReturnType<typeof KmsKeyProvider>> {
  const { keyId, env, ...rest } = options;
  let raw: unknown = config;
  if (config === undefined || typeof config === 'string') {
    const path = config === undefined ? locateConfig(env ?? process.env).path : config;
    checkConfigWriters(path, 'KMS config');
    // A regular file under the cap: a FIFO or device named by STRONGROOM_CONFIG cannot hang or exhaust the caller.
    const text = readBoundedTextFileSync(path, { what: 'KMS config', maxBytes: MAX_CONFIG_BYTES });
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new StrongroomError('MALFORMED', `KMS config: ${path} is not valid JSON`, { cause: e });
    }
  }
  const kms = parseKmsConfig(raw);
  const clientProvider = createKmsClientSupplier({
    ...(kms.endpoint ? { endpoint: kms.endpoint } : {}),
    ...(kms.accessKeyId ? { credentials: { accessKeyId: kms.accessKeyId, secretAccessKey: kms.secretAccessKey! } } : {}),
    ...(kms.caPath ? { requestHandler: { httpsAgent: new Agent({ ca: await readCa(kms.caPath), keepAlive: true }) } } : {}),
  });
  return KmsKeyProvider({ generatorKeyId: rest.generatorKeyId ?? keyId ?? kms.keyArn ?? kms.alias, ...rest, clientProvider, region: kms.region });
}
