/**
 * The seed file: the keys a kms-local data directory must hold, with fixed ids, ARNs and aliases
 * (docs/kms-local.md, "Seed file"). YAML 1.2 or JSON (RFC 8259; JSON is parsed with the YAML
 * library's JSON schema so duplicate names are refused rather than silently overwritten).
 *
 * Outside input, parsed strictly: the text has a size cap before it is parsed; YAML anchors/aliases
 * are refused (no entity expansion); every mapping becomes a `Map` (a member named `__proto__` is an
 * ordinary entry); unknown fields, duplicate ids/ARNs/aliases, wrong types and values outside KMS's
 * own limits (AWS KMS API Reference: CreateKey, CreateAlias, TagResource) are refused with a
 * `StrongroomError` (`MALFORMED`) that names the file, the path in it and what is wrong.
 */
import { StrongroomError } from '@strongroom/core';
import { parseDocument } from 'yaml';
import { allowedUsages, KEY_SPECS, KEY_USAGES, type KeySpec, type KeyState, type KeyUsage } from '../model';

/** Largest seed file read (bytes). */
export const MAX_SEED_BYTES = 1 << 20;
/** The most keys one seed file may define. */
export const MAX_SEED_KEYS = 1000;
const MAX_ALIASES_PER_KEY = 50;
const MAX_TAGS = 50;
const MAX_DESCRIPTION = 8192;
/** Symmetric key material (SYMMETRIC_DEFAULT is AES-256-GCM): exactly 32 bytes. */
export const SYMMETRIC_MATERIAL_BYTES = 32;

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const KEY_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
const KEY_ARN = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):key\/(.+)$/;
const ALIAS = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const KEY_STATES: readonly KeyState[] = ['Enabled', 'Disabled', 'PendingDeletion'];

/** One key of a seed file: fixed id, spec, usage, state, optional symmetric key material. */
export interface SeedKey {
  readonly keyId: string;
  readonly spec: KeySpec;
  readonly usage: KeyUsage;
  readonly state: KeyState;
  /** PendingDeletion only: days until the key is deleted (7–30, default 30). */
  readonly pendingWindowInDays: number | undefined;
  readonly description: string;
  /** SYMMETRIC_DEFAULT only: the 32-byte AES key. Key material: zero it after use. */
  readonly material: Uint8Array | undefined;
  /** Tag key → value, in a Map (outside strings). */
  readonly tags: ReadonlyMap<string, string>;
  readonly aliases: readonly string[];
  /** Where the key is in the file, e.g. `keys[2]` (for error messages). */
  readonly path: string;
}

/** A parsed seed file: account, Region, keys and aliases (docs/kms-local.md, "Seed file"). */
export interface KmsSeed {
  /** The file (or `<options.seed>`) the seed came from, for messages. */
  readonly source: string;
  readonly account: string;
  readonly region: string;
  readonly keys: readonly SeedKey[];
}

/**
 * A typed error naming the file, the path in it and what is wrong (`details.problem` is a stable
 * word: unknown-field, duplicate, arn-mismatch, conflict, …). `MALFORMED` unless `code` says otherwise.
 */
export function seedError(source: string, path: string, problem: string, what: string, code: 'MALFORMED' | 'INVALID_ARGUMENT' | 'UNSUPPORTED' = 'MALFORMED'): StrongroomError {
  return new StrongroomError(code, `kms-local seed ${source}: ${path === '' ? '' : `${path}: `}${what}`, { details: { source, path, problem } });
}

type Node = unknown;

function fields(source: string, path: string, node: Node, allowed: readonly string[], required: readonly string[]): Map<string, Node> {
  if (!(node instanceof Map)) throw seedError(source, path, 'type', 'expected a mapping');
  for (const k of node.keys()) {
    if (typeof k !== 'string') throw seedError(source, path, 'type', `field names must be strings (got ${typeof k})`);
    if (!allowed.includes(k)) throw seedError(source, `${path === '' ? '' : `${path}.`}${k}`, 'unknown-field', `unknown field (allowed: ${allowed.join(', ')})`);
  }
  for (const k of required) if (!node.has(k)) throw seedError(source, `${path === '' ? '' : `${path}.`}${k}`, 'missing-field', 'required');
  return node as Map<string, Node>;
}

function str(source: string, path: string, value: Node, max: number, min = 1): string {
  if (typeof value !== 'string') {
    const hint = typeof value === 'number' ? ' (quote it: YAML reads unquoted digits as a number)' : '';
    throw seedError(source, path, 'type', `expected a string${hint}`);
  }
  if (value.length < min || value.length > max) throw seedError(source, path, 'length', `expected ${min}–${max} characters, got ${value.length}`);
  return value;
}

function oneOf<T extends string>(source: string, path: string, value: Node, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw seedError(source, path, 'value', `expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/** Parse seed text (YAML, or JSON when `json`) into a Map-based tree. */
function parseTree(text: string, source: string, json: boolean): Node {
  if (Buffer.byteLength(text, 'utf8') > MAX_SEED_BYTES) throw seedError(source, '', 'too-large', `larger than ${MAX_SEED_BYTES} bytes`);
  const doc = parseDocument(text, { schema: json ? 'json' : 'core', uniqueKeys: true, strict: true, prettyErrors: true });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const where = problem.linePos?.[0] ? `line ${problem.linePos[0].line}, column ${problem.linePos[0].col}` : '';
    const dup = problem.code === 'DUPLICATE_KEY';
    throw seedError(source, where, dup ? 'duplicate' : 'syntax', `${dup ? 'a field appears twice' : `not valid ${json ? 'JSON' : 'YAML'}`}: ${problem.message.split('\n')[0]}`);
  }
  try {
    // maxAliasCount 0: anchors/aliases are refused outright (no exponential expansion).
    return doc.toJS({ mapAsMap: true, maxAliasCount: 0 });
  } catch (e) {
    throw seedError(source, '', 'syntax', `${(e as Error).message} (anchors and aliases are not allowed in a seed file)`);
  }
}

function parseKey(source: string, path: string, node: Node, account: string, region: string): SeedKey {
  const f = fields(source, path, node, ['id', 'arn', 'spec', 'usage', 'state', 'pendingWindowInDays', 'description', 'material', 'tags', 'aliases'], []);
  const at = (k: string) => `${path}.${k}`;
  let keyId = f.has('id') ? str(source, at('id'), f.get('id'), 40) : undefined;
  if (keyId !== undefined && !KEY_ID.test(keyId)) throw seedError(source, at('id'), 'value', 'expected a KMS key id: a lowercase UUID, or mrk- and 32 hex digits for a multi-Region key');
  if (f.has('arn')) {
    const arn = str(source, at('arn'), f.get('arn'), 2048);
    const m = KEY_ARN.exec(arn);
    if (!m) throw seedError(source, at('arn'), 'value', 'expected arn:aws:kms:<region>:<account>:key/<key id>');
    if (m[1] !== region || m[2] !== account) {
      throw seedError(source, at('arn'), 'arn-mismatch', `the ARN is in ${m[1]}/${m[2]} but the seed is for region ${region}, account ${account}`);
    }
    if (!KEY_ID.test(m[3]!)) throw seedError(source, at('arn'), 'value', 'the key id in the ARN is not a KMS key id (lowercase UUID or mrk-<32 hex>)');
    if (keyId !== undefined && keyId !== m[3]) throw seedError(source, at('arn'), 'arn-mismatch', `names key ${m[3]} but id is ${keyId}`);
    keyId = m[3]!;
  }
  if (keyId === undefined) throw seedError(source, at('id'), 'missing-field', 'give id or arn');
  const spec = f.has('spec') ? oneOf(source, at('spec'), f.get('spec'), KEY_SPECS) : 'SYMMETRIC_DEFAULT';
  const usage = f.has('usage') ? oneOf(source, at('usage'), f.get('usage'), KEY_USAGES) : allowedUsages(spec)[0]!;
  if (!allowedUsages(spec).includes(usage)) throw seedError(source, at('usage'), 'value', `${spec} keys allow ${allowedUsages(spec).join(', ')}`);
  if (keyId.startsWith('mrk-') && spec !== 'SYMMETRIC_DEFAULT') throw seedError(source, at('id'), 'value', 'kms-local seeds multi-Region (mrk-) keys only as SYMMETRIC_DEFAULT');
  const state = f.has('state') ? oneOf(source, at('state'), f.get('state'), KEY_STATES) : 'Enabled';
  let pendingWindowInDays: number | undefined;
  if (f.has('pendingWindowInDays')) {
    const days = f.get('pendingWindowInDays');
    if (state !== 'PendingDeletion') throw seedError(source, at('pendingWindowInDays'), 'value', 'only for state PendingDeletion');
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 7 || days > 30) throw seedError(source, at('pendingWindowInDays'), 'value', 'expected an integer from 7 to 30');
    pendingWindowInDays = days;
  }
  const description = f.has('description') ? str(source, at('description'), f.get('description'), MAX_DESCRIPTION, 0) : '';
  let material: Uint8Array | undefined;
  if (f.has('material')) {
    if (spec !== 'SYMMETRIC_DEFAULT') throw seedError(source, at('material'), 'value', `key material can be seeded for SYMMETRIC_DEFAULT keys only (this key is ${spec})`);
    const b64 = str(source, at('material'), f.get('material'), 64).replace(/\s+/g, '');
    const bytes = BASE64.test(b64) && b64.length % 4 === 0 ? Buffer.from(b64, 'base64') : undefined;
    if (!bytes || bytes.length !== SYMMETRIC_MATERIAL_BYTES) {
      bytes?.fill(0);
      throw seedError(source, at('material'), 'value', `expected base64 of exactly ${SYMMETRIC_MATERIAL_BYTES} bytes`);
    }
    material = bytes;
  }
  const tags = new Map<string, string>();
  if (f.has('tags')) {
    const t = f.get('tags');
    if (!(t instanceof Map)) throw seedError(source, at('tags'), 'type', 'expected a mapping of tag key to value');
    if (t.size > MAX_TAGS) throw seedError(source, at('tags'), 'too-many', `at most ${MAX_TAGS} tags`);
    for (const [k, v] of t) {
      const kp = `${at('tags')}[${JSON.stringify(String(k))}]`;
      const key = str(source, kp, k, 128);
      if (key.startsWith('aws:')) throw seedError(source, kp, 'value', 'tag keys beginning with aws: are reserved');
      tags.set(key, str(source, kp, v, 256, 0));
    }
  }
  const aliases: string[] = [];
  if (f.has('aliases')) {
    const list = f.get('aliases');
    if (!Array.isArray(list) || list.length > MAX_ALIASES_PER_KEY) throw seedError(source, at('aliases'), 'type', `expected a list of at most ${MAX_ALIASES_PER_KEY} alias names`);
    list.forEach((a: unknown, i: number) => {
      const ap = `${at('aliases')}[${i}]`;
      const name = str(source, ap, a, 256);
      if (!ALIAS.test(name)) throw seedError(source, ap, 'value', "an alias name starts with alias/ and holds only letters, digits, '/', '_' and '-'");
      if (name.startsWith('alias/aws/')) throw seedError(source, ap, 'value', 'alias/aws/ names are reserved for AWS managed keys');
      aliases.push(name);
    });
  }
  return { keyId, spec, usage, state, pendingWindowInDays, description, material, tags, aliases, path };
}

/**
 * Parse and validate a seed document.
 * @param source the file name, for messages
 * @param format `json` for JSON text; YAML otherwise
 * @throws StrongroomError MALFORMED naming `source`, the path and the problem
 */
export function parseSeed(text: string, source: string, format: 'yaml' | 'json' = 'yaml'): KmsSeed {
  return validateSeed(parseTree(text, source, format === 'json'), source);
}

/** Validate an already-parsed seed (Maps or plain objects, e.g. `startKmsServer({ seed: {...} })`). */
export function validateSeed(tree: unknown, source: string): KmsSeed {
  const root = fields(source, '', toMaps(tree, 0), ['version', 'account', 'region', 'keys'], ['version', 'account', 'region', 'keys']);
  if (root.get('version') !== 1) throw seedError(source, 'version', 'value', 'expected 1 (the only seed format)');
  const account = str(source, 'account', root.get('account'), 12);
  if (!ACCOUNT.test(account)) throw seedError(source, 'account', 'value', 'expected a 12-digit AWS account id');
  const region = str(source, 'region', root.get('region'), 32);
  if (!REGION.test(region)) throw seedError(source, 'region', 'value', 'expected a Region name such as us-west-2');
  const list = root.get('keys');
  if (!Array.isArray(list)) throw seedError(source, 'keys', 'type', 'expected a list of keys');
  if (list.length > MAX_SEED_KEYS) throw seedError(source, 'keys', 'too-many', `at most ${MAX_SEED_KEYS} keys`);
  const ids = new Map<string, string>();
  const aliases = new Map<string, string>();
  const keys: SeedKey[] = [];
  try {
    list.forEach((k: unknown, i: number) => {
      const key = parseKey(source, `keys[${i}]`, k, account, region);
      keys.push(key);
      const first = ids.get(key.keyId);
      if (first !== undefined) throw seedError(source, `keys[${i}]`, 'duplicate', `key ${key.keyId} is already defined at ${first}`);
      ids.set(key.keyId, `keys[${i}]`);
      key.aliases.forEach((a, j) => {
        const other = aliases.get(a);
        if (other !== undefined) throw seedError(source, `keys[${i}].aliases[${j}]`, 'duplicate', `${a} is already given at ${other}`);
        aliases.set(a, `keys[${i}].aliases[${j}]`);
      });
    });
  } catch (e) {
    // A refused seed keeps no key material in memory.
    for (const key of keys) key.material?.fill(0);
    throw e;
  }
  return { source, account, region, keys };
}

/** Plain objects (programmatic seeds) become Maps, so both inputs go through one validator. */
function toMaps(value: unknown, depth: number): unknown {
  if (depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => toMaps(v, depth + 1));
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, toMaps(v, depth + 1)]));
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
    return new Map(Object.keys(value).map((k) => [k, toMaps((value as Record<string, unknown>)[k], depth + 1)]));
  }
  return value;
}
