/**
 * Loader for the required-encryption-context interop fixtures under fixtures/required-ec-python/
 * (written by the AWS Encryption SDK for Python with the MPL's Required Encryption Context CMM) and
 * fixtures/required-ec-strongroom/ (written by Strongroom, read by the Python ESDK). Both use one
 * small manifest, `strongroom-required-ec-decrypt` version 1, described in
 * fixtures/required-ec-python/README.md. Terms: ESDK specification client-apis/encrypt.md
 * ("encryption context to only authenticate") and client-apis/decrypt.md ("reproduced encryption context").
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export interface RequiredEcFixture {
  readonly id: string;
  readonly suiteId: number;
  readonly frameLength: number;
  readonly ciphertext: Uint8Array;
  readonly plaintext: Uint8Array;
  /** The raw AES-256 wrapping key: provider id (key namespace), key name, key bytes. */
  readonly key: { readonly providerId: string; readonly keyName: string; readonly material: Uint8Array };
  /** The whole context the writer was given (stored and required pairs). */
  readonly encryptionContext: Readonly<Record<string, string>>;
  readonly requiredKeys: readonly string[];
  /** What a reader passes as decrypt's encryptionContext: the required pairs. */
  readonly reproduced: Readonly<Record<string, string>>;
  /** Reproduced contexts the writer itself refuses, by what they get wrong. */
  readonly negatives: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

export interface RequiredEcFixtureSet {
  readonly writer: string;
  readonly fixtures: readonly RequiredEcFixture[];
}

type Json = Record<string, unknown>;

function object(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what}: expected an object`);
  return value as Json;
}
function string(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what}: expected a string`);
  return value;
}
function stringMap(value: unknown, what: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(object(value, what))) out[k] = string(v, `${what}.${k}`);
  return out;
}
function fileIn(dir: string, ref: unknown, what: string): Uint8Array {
  const text = string(ref, what);
  if (!text.startsWith('file://')) throw new Error(`${what}: expected a file:// reference`);
  const path = resolve(dir, text.slice('file://'.length));
  const rel = relative(dir, path);
  if (rel.startsWith('..') || rel === '') throw new Error(`${what}: the reference leaves the fixture directory`);
  return new Uint8Array(readFileSync(path));
}

/** Read one fixture directory (its manifest.json and the files it names). */
export function loadRequiredEcFixtures(name: string): RequiredEcFixtureSet {
  const dir = join(FIXTURES, name);
  const manifest = object(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')), `${name}/manifest.json`);
  const type = object(manifest.manifest, 'manifest');
  if (type.type !== 'strongroom-required-ec-decrypt' || type.version !== 1) throw new Error(`${name}: expected a strongroom-required-ec-decrypt v1 manifest`);
  const writer = object(manifest.writer, 'writer');
  const keys = object(manifest.keys, 'keys');
  const fixtures: RequiredEcFixture[] = [];
  for (const [id, raw] of Object.entries(object(manifest.tests, 'tests'))) {
    const t = object(raw, id);
    const k = object(keys[string(t.key, `${id}.key`)], `${id} key`);
    const requiredKeys = (t['required-encryption-context-keys'] as unknown[]).map((x) => string(x, `${id} required key`));
    fixtures.push({
      id,
      suiteId: Number.parseInt(string(t.suite, `${id}.suite`), 16),
      frameLength: Number(t['frame-length']),
      ciphertext: fileIn(dir, t.ciphertext, `${id}.ciphertext`),
      plaintext: fileIn(dir, t.plaintext, `${id}.plaintext`),
      key: {
        providerId: string(k['provider-id'], `${id} provider-id`),
        keyName: string(k['key-name'], `${id} key-name`),
        material: new Uint8Array(Buffer.from(string(k['material-base64'], `${id} material`), 'base64')),
      },
      encryptionContext: stringMap(t['encryption-context'], `${id}.encryption-context`),
      requiredKeys,
      reproduced: stringMap(t['reproduced-encryption-context'], `${id}.reproduced-encryption-context`),
      negatives: new Map(Object.entries(object(t.negatives, `${id}.negatives`)).map(([n, ctx]) => [n, stringMap(ctx, `${id} negative ${n}`)])),
    });
  }
  return { writer: `${string(writer.name, 'writer.name')} ${string(writer.version, 'writer.version')}`, fixtures };
}
