/**
 * Loader for the public AWS Encryption SDK test-vector manifests (aws-crypto-tools-test-vector-framework,
 * features 0002 keys, 0003 message encryption, 0006 decryption generation), kept as data in
 * fixtures/esdk/. The loader turns each raw-key scenario into plain objects any implementation can use.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ESDK_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'esdk');

export interface VectorKey {
  readonly name: string;
  readonly keyId: string;
  readonly type: 'symmetric' | 'private' | 'public' | 'aws-kms';
  readonly algorithm?: 'aes' | 'rsa';
  readonly bits?: number;
  /** Raw bytes for AES keys; PEM text for RSA keys. */
  readonly material?: Uint8Array | string;
  readonly encrypt: boolean;
  readonly decrypt: boolean;
}

export interface VectorMasterKey {
  readonly type: 'raw' | 'aws-kms';
  readonly key: VectorKey;
  /** Key namespace (the manifest's provider id, misspelling included). */
  readonly providerId: string;
  readonly encryptionAlgorithm?: 'aes' | 'rsa';
  readonly padding?: 'pkcs1' | 'oaep-sha1' | 'oaep-sha256' | 'oaep-sha384' | 'oaep-sha512';
}

export interface EncryptScenario {
  readonly id: string;
  readonly plaintext: Uint8Array;
  readonly plaintextName: string;
  readonly suiteId: number;
  readonly frameLength: number;
  readonly encryptionContext: Record<string, string>;
  readonly masterKeys: readonly VectorMasterKey[];
  /** True when every master key is a raw key (no AWS account needed). */
  readonly rawOnly: boolean;
  readonly usesPkcs1: boolean;
}

export interface DecryptGenerationScenario extends EncryptScenario {
  readonly tampering?: string | Record<string, unknown>;
  readonly decryptionMethod?: string;
  readonly expectedError?: string;
}

function readJson(file: string): any {
  return JSON.parse(readFileSync(join(ESDK_FIXTURES, file), 'utf8'));
}

export function loadVectorKeys(file = '0002-keys.v3.json'): Map<string, VectorKey> {
  const manifest = readJson(file);
  const keys = new Map<string, VectorKey>();
  for (const [name, k] of Object.entries<any>(manifest.keys)) {
    keys.set(name, {
      name,
      keyId: k['key-id'],
      type: k.type,
      algorithm: k.algorithm,
      bits: k.bits,
      material: k.material === undefined ? undefined : k.encoding === 'base64' ? Buffer.alloc(k.bits / 8, k.material, 'base64') : k.material,
      encrypt: k.encrypt,
      decrypt: k.decrypt,
    });
  }
  return keys;
}

/** Deterministic plaintexts of the manifest's sizes (the framework leaves the bytes to the runner). */
function plaintexts(sizes: Record<string, number>): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [name, size] of Object.entries(sizes)) {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 131 + name.length * 7) & 0xff;
    out.set(name, bytes);
  }
  return out;
}

function scenario(id: string, s: any, keys: Map<string, VectorKey>, texts: Map<string, Uint8Array>): EncryptScenario {
  const masterKeys: VectorMasterKey[] = s['master-keys'].map((mk: any) => {
    const key = keys.get(mk.key);
    if (!key) throw new Error(`vector ${id}: unknown key ${mk.key}`);
    const padding = mk['padding-algorithm'] === 'pkcs1' ? 'pkcs1' : mk['padding-algorithm'] === 'oaep-mgf1' ? `oaep-${mk['padding-hash']}` : undefined;
    return { type: mk.type, key, providerId: mk['provider-id'] ?? 'aws-kms', encryptionAlgorithm: mk['encryption-algorithm'], padding };
  });
  return {
    id,
    plaintext: texts.get(s.plaintext)!,
    plaintextName: s.plaintext,
    suiteId: Number.parseInt(s.algorithm, 16),
    frameLength: s['frame-size'],
    encryptionContext: s['encryption-context'],
    masterKeys,
    rawOnly: masterKeys.every((m) => m.type === 'raw'),
    usesPkcs1: masterKeys.some((m) => m.padding === 'pkcs1'),
  };
}

/** Every scenario of the 0003 message-encryption manifest. */
export function loadEncryptScenarios(file = '0003-awses-message-encryption.v2.json'): EncryptScenario[] {
  const manifest = readJson(file);
  const keys = loadVectorKeys();
  const texts = plaintexts(manifest.plaintexts);
  return Object.entries<any>(manifest.tests).map(([id, s]) => scenario(id, s, keys, texts));
}

/** Every scenario of the 0006 decryption-generation manifest (positive and negative). */
export function loadDecryptGenerationScenarios(file = '0006-awses-message-decryption-generation.v2.json'): DecryptGenerationScenario[] {
  const manifest = readJson(file);
  const keys = loadVectorKeys();
  const texts = plaintexts(manifest.plaintexts);
  return Object.entries<any>(manifest.tests).map(([id, t]) => ({
    ...scenario(id, t['encryption-scenario'], keys, texts),
    tampering: t.tampering,
    decryptionMethod: t['decryption-method'],
    expectedError: t.result?.error?.['error-description'],
  }));
}
