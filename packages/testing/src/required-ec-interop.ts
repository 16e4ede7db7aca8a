/**
 * Loader for the required-encryption-context interop fixtures of test/esdk-interop/fixtures/:
 * required-ec-python/ (written by the AWS Encryption SDK for Python with the MPL's Required Encryption
 * Context CMM) and required-ec-strongroom/ (written by Strongroom, read by the Python ESDK). Both use
 * one small manifest, `strongroom-required-ec-decrypt` version 1, described in the README of
 * required-ec-python/. Terms: ESDK specification client-apis/encrypt.md
 * ("encryption context to only authenticate") and client-apis/decrypt.md ("reproduced encryption context").
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileRef, object, readJson, string, stringMap } from './manifest-fields';

/** One message of a fixture set, what decrypting it must give, and the reproduced contexts that must fail. */
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

/** A fixture directory: who wrote it and its messages. */
export interface RequiredEcFixtureSet {
  readonly writer: string;
  readonly fixtures: readonly RequiredEcFixture[];
}

/** A `file://` reference of a fixture set, read. */
function fileIn(dir: string, ref: unknown, what: string): Uint8Array {
  return new Uint8Array(readFileSync(fileRef(dir, ref, what)));
}

/** Read one fixture directory (its manifest.json and the files it names). */
export function loadRequiredEcFixtures(dir: string): RequiredEcFixtureSet {
  const manifest = readJson(join(dir, 'manifest.json'));
  const type = object(manifest.manifest, 'manifest');
  if (type.type !== 'strongroom-required-ec-decrypt' || type.version !== 1) throw new Error(`${dir}: expected a strongroom-required-ec-decrypt v1 manifest`);
  const writer = object(manifest.writer, 'writer');
  const keys = object(manifest.keys, 'keys');
  const fixtures: RequiredEcFixture[] = [];
  for (const [id, raw] of Object.entries(object(manifest.tests, 'tests'))) {
    const t = object(raw, id);
    const keyName = string(t.key, `${id}.key`);
    if (!Object.hasOwn(keys, keyName)) throw new Error(`${id}: unknown key ${keyName}`);
    const k = object(keys[keyName], `${id} key`);
    const required = t['required-encryption-context-keys'];
    if (!Array.isArray(required)) throw new Error(`${id}.required-encryption-context-keys: expected an array`);
    const requiredKeys = required.map((x: unknown) => string(x, `${id} required key`));
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
