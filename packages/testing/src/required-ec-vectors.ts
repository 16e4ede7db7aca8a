/**
 * Loader for the public AWS Encryption SDK decrypt vectors that exercise the Required Encryption
 * Context CMM (aws-crypto-tools test-vector framework: keys manifest v3, "awses-decrypt" manifest v4
 * with its `cmm` field), and for the MPL's required-encryption-context encrypt scenarios
 * ("awses-encrypt" manifest v5: requiredEncryptionContextKeys and reproduced-encryption-context).
 * The data lives in fixtures/esdk-required-ec/ (see its README for where it came from).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileRef, object, readJson, string, stringMap } from './manifest-fields';

export const REQUIRED_EC_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'esdk-required-ec');

export interface RequiredEcKey {
  readonly name: string;
  readonly type: 'symmetric' | 'private' | 'public' | 'aws-kms';
  readonly keyId: string;
  readonly bits: number;
  /** AES key bytes, or RSA PEM text; undefined for KMS keys. */
  readonly material: Uint8Array | string | undefined;
}

export interface RequiredEcMasterKey {
  readonly type: 'raw' | 'aws-kms';
  readonly key: RequiredEcKey;
  readonly providerId: string;
  readonly encryptionAlgorithm: 'aes' | 'rsa' | undefined;
  readonly padding: 'pkcs1' | 'oaep-sha1' | 'oaep-sha256' | 'oaep-sha384' | 'oaep-sha512' | undefined;
}

/** One published vector: a message written by another ESDK and what reading it must give. */
export interface RequiredEcDecryptVector {
  /** The vector set (directory), e.g. `v4-Net-4.0.1`. */
  readonly set: string;
  /** Which implementation wrote it, e.g. `ESDK-NET 4.0.1`. */
  readonly writer: string;
  readonly id: string;
  readonly cmm: 'Default' | 'RequiredEncryptionContext';
  readonly suiteId: number;
  /** Undefined when the ciphertext is not shipped (vectors that need an AWS account). */
  readonly ciphertext: Uint8Array | undefined;
  readonly plaintext: Uint8Array;
  /** For the Required EC CMM: the reproduced context; every key is required (as the writer's runner does). */
  readonly encryptionContext: Readonly<Record<string, string>>;
  readonly masterKeys: readonly RequiredEcMasterKey[];
  readonly rawOnly: boolean;
  readonly expect: 'success' | 'failure';
  /** Why a failure is expected. */
  readonly reason: string | undefined;
}

/** One MPL scenario: encrypt with these required keys, decrypt with this reproduced context. */
export interface RequiredEcEncryptScenario {
  readonly id: string;
  readonly suiteId: number;
  readonly frameLength: number;
  readonly plaintext: Uint8Array;
  readonly encryptionContext: Readonly<Record<string, string>>;
  readonly requiredEncryptionContextKeys: readonly string[];
  readonly reproducedEncryptionContext: Readonly<Record<string, string>>;
  readonly masterKey: RequiredEcMasterKey;
  readonly expect: 'success' | 'failure';
}

/**
 * The sets shipped. ESDK-NET 4.0.0 wrote two kinds of message the ESDK specification does not allow
 * (its header AAD appended two zero bytes when nothing was required, and its non-committing HKDF info
 * left out the message id); the ESDK repository publishes those as `invalid-Net-4.0.0`, which every
 * conforming reader must reject, and the rest as `valid-Net-4.0.0`. ESDK-NET 4.0.1 fixed both.
 */
const SETS: readonly { dir: string; writer: string; invalid?: string }[] = [
  { dir: 'valid-Net-4.0.0', writer: 'ESDK-NET 4.0.0' },
  {
    dir: 'invalid-Net-4.0.0',
    writer: 'ESDK-NET 4.0.0',
    invalid: 'ESDK-NET 4.0.0 wrote a header AAD / HKDF info that diverges from the ESDK specification (fixed in 4.0.1)',
  },
  { dir: 'v4-Net-4.0.1', writer: 'ESDK-NET 4.0.1' },
];

export function loadRequiredEcKeys(path: string): Map<string, RequiredEcKey> {
  const keys = new Map<string, RequiredEcKey>();
  for (const [name, raw] of Object.entries(object(readJson(path).keys, 'keys'))) {
    const k = object(raw, `key ${name}`);
    const type = string(k.type, `${name}.type`) as RequiredEcKey['type'];
    const bits = Number(k.bits ?? 0);
    const material =
      k.material === undefined ? undefined : k.encoding === 'base64' ? new Uint8Array(Buffer.from(string(k.material, name), 'base64')) : string(k.material, name);
    keys.set(name, { name, type, keyId: string(k['key-id'], `${name}.key-id`), bits, material });
  }
  return keys;
}

function masterKey(raw: unknown, keys: Map<string, RequiredEcKey>, what: string): RequiredEcMasterKey {
  const mk = object(raw, what);
  const key = keys.get(string(mk.key, `${what}.key`));
  if (!key) throw new Error(`${what}: unknown key ${String(mk.key)}`);
  const type = string(mk.type, `${what}.type`) as RequiredEcMasterKey['type'];
  const paddingAlgorithm = mk['padding-algorithm'];
  const padding =
    paddingAlgorithm === 'pkcs1'
      ? 'pkcs1'
      : paddingAlgorithm === 'oaep-mgf1'
        ? (`oaep-${string(mk['padding-hash'], `${what}.padding-hash`)}` as RequiredEcMasterKey['padding'])
        : undefined;
  const encryptionAlgorithm = mk['encryption-algorithm'] as RequiredEcMasterKey['encryptionAlgorithm'];
  return { type, key, providerId: type === 'aws-kms' ? 'aws-kms' : string(mk['provider-id'], `${what}.provider-id`), encryptionAlgorithm, padding };
}

/** Every vector of every shipped set (raw-key ones carry their ciphertext; KMS ones do not). */
export function loadRequiredEcDecryptVectors(): RequiredEcDecryptVector[] {
  const out: RequiredEcDecryptVector[] = [];
  for (const set of SETS) {
    const dir = join(REQUIRED_EC_FIXTURES, set.dir);
    const manifest = readJson(join(dir, 'manifest.json'));
    const type = object(manifest.manifest, 'manifest');
    if (type.type !== 'awses-decrypt' || type.version !== 4) throw new Error(`${set.dir}: expected an awses-decrypt v4 manifest`);
    const keys = loadRequiredEcKeys(fileRef(dir, manifest.keys, 'keys'));
    for (const [id, raw] of Object.entries(object(manifest.tests, 'tests'))) {
      const t = object(raw, id);
      const masterKeys = (t['master-keys'] as unknown[]).map((mk, i) => masterKey(mk, keys, `${id} master key ${i}`));
      const result = object(t.result, `${id}.result`);
      const output = result.output === undefined ? undefined : object(result.output, `${id}.output`);
      const ciphertextPath = fileRef(dir, t.ciphertext, `${id}.ciphertext`);
      const cmm = (t.cmm ?? 'Default') as RequiredEcDecryptVector['cmm'];
      if (cmm !== 'Default' && cmm !== 'RequiredEncryptionContext') throw new Error(`${id}: unknown cmm ${String(cmm)}`);
      const plaintextPath = output ? fileRef(dir, output.plaintext, `${id}.plaintext`) : undefined;
      out.push({
        set: set.dir,
        writer: set.writer,
        id,
        cmm,
        suiteId: Number.parseInt(id.slice(0, 4), 16),
        ciphertext: existsSync(ciphertextPath) ? new Uint8Array(readFileSync(ciphertextPath)) : undefined,
        plaintext: plaintextPath ? new Uint8Array(readFileSync(plaintextPath)) : new Uint8Array(0),
        encryptionContext: stringMap(t['encryption-context'], `${id}.encryption-context`),
        masterKeys,
        rawOnly: masterKeys.every((m) => m.type === 'raw'),
        expect: set.invalid || !output ? 'failure' : 'success',
        reason: set.invalid ?? (output ? undefined : JSON.stringify(result.error ?? 'error')),
      });
    }
  }
  return out;
}

/** Deterministic plaintext of a named size (the encrypt framework leaves the bytes to the runner). */
function plaintextOf(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 89 + 7) & 0xff;
  return bytes;
}

/** The MPL's required-encryption-context-cmm scenarios (raw AES-256 underneath). */
export function loadRequiredEcEncryptScenarios(): RequiredEcEncryptScenario[] {
  const manifest = readJson(join(REQUIRED_EC_FIXTURES, 'mpl-required-ec-encrypt-manifest.json'));
  // Same public vector keys as the ESDK-NET sets (aes-256 material identical; see README).
  const keys = loadRequiredEcKeys(join(REQUIRED_EC_FIXTURES, 'v4-Net-4.0.1', 'keys.json'));
  const sizes = object(manifest.plaintexts, 'plaintexts');
  const out: RequiredEcEncryptScenario[] = [];
  for (const [id, raw] of Object.entries(object(manifest.tests, 'tests'))) {
    const s = object(object(raw, id)['encryption-scenario'], `${id}.encryption-scenario`);
    const enc = object(s.encryptKeyDescription, `${id}.encryptKeyDescription`);
    if (enc.type !== 'required-encryption-context-cmm') continue;
    out.push({
      id,
      suiteId: Number.parseInt(string(s.algorithmSuiteId, `${id}.algorithmSuiteId`), 16),
      frameLength: Number(s['frame-size']),
      plaintext: plaintextOf(Number(sizes[string(s.plaintext, `${id}.plaintext`)])),
      encryptionContext: stringMap(s['encryption-context'], `${id}.encryption-context`),
      requiredEncryptionContextKeys: (enc.requiredEncryptionContextKeys as unknown[]).map((k) => string(k, `${id} required key`)),
      reproducedEncryptionContext: stringMap(s['reproduced-encryption-context'], `${id}.reproduced-encryption-context`),
      masterKey: masterKey(enc.underlying, keys, `${id} underlying`),
      expect: s.type === 'positive-esdk' ? 'success' : 'failure',
    });
  }
  return out;
}
