/**
 * The data every runtime's check gets (fixtures.json): fresh random AES keys (and a second, wrong
 * set), one RSA-3072 pair as PEM (SPKI / PKCS#8, RFC 5280 / RFC 5208), and a sample of the public
 * ESDK decrypt vectors written by ESDK-NET 4.0.1 (aws-crypto-tools test-vector framework, awses-decrypt
 * manifest v4): per suite and CMM, the raw-key vectors that must decrypt — ciphertext, expected
 * plaintext and keys, all as JSON so a runtime without a file system (workerd, a browser page) gets
 * them too.
 */
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { loadRequiredEcDecryptVectors, type RequiredEcDecryptVector, type RequiredEcMasterKey } from '@strongroom/testing';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

export interface VectorFixture {
  id: string;
  cmm: 'Default' | 'RequiredEncryptionContext';
  ciphertext: string;
  plaintext: string;
  encryptionContext: Record<string, string>;
  masterKeys: { algorithm: 'aes' | 'rsa'; providerId: string; keyId: string; key?: string; padding?: string; publicKey?: string; privateKey?: string }[];
}

export interface Fixtures {
  aes: Record<128 | 192 | 256, string>;
  aesWrong: Record<128 | 192 | 256, string>;
  rsa: { publicKey: string; privateKey: string };
  vectors: VectorFixture[];
}

function masterKey(mk: RequiredEcMasterKey): VectorFixture['masterKeys'][number] {
  if (mk.encryptionAlgorithm === 'aes') return { algorithm: 'aes', providerId: mk.providerId, keyId: mk.key.keyId, key: b64(mk.key.material as Uint8Array) };
  const pem = mk.key.material as string;
  return {
    algorithm: 'rsa',
    providerId: mk.providerId,
    keyId: mk.key.keyId,
    padding: mk.padding!,
    // Both halves as PEM (the vectors name one of them); a runtime imports SPKI and PKCS#8 alike.
    publicKey: createPublicKey(pem).export({ type: 'spki', format: 'pem' }) as string,
    privateKey: mk.key.type === 'private' ? pem : undefined,
  };
}

/** Per suite × CMM × key kind (AES / RSA / both), the first `perGroup` decryptable raw-key vectors. */
export function vectorSample(perGroup = 1): VectorFixture[] {
  const groups = new Map<string, RequiredEcDecryptVector[]>();
  for (const v of loadRequiredEcDecryptVectors()) {
    if (v.set !== 'v4-Net-4.0.1' || !v.rawOnly || v.expect !== 'success' || !v.ciphertext) continue;
    const kinds = [...new Set(v.masterKeys.map((m) => m.encryptionAlgorithm))].sort().join('+');
    const key = `${v.suiteId}/${v.cmm}/${kinds}`;
    groups.set(key, [...(groups.get(key) ?? []), v]);
  }
  return [...groups.values()].flatMap((vs) =>
    vs.slice(0, perGroup).map((v) => ({
      id: `${v.suiteId.toString(16).padStart(4, '0')} ${v.id}`,
      cmm: v.cmm,
      ciphertext: b64(v.ciphertext!),
      plaintext: b64(v.plaintext),
      encryptionContext: { ...v.encryptionContext },
      masterKeys: v.masterKeys.map(masterKey),
    })),
  );
}

export function makeFixtures(): Fixtures {
  const keys = () => ({ 128: b64(randomBytes(16)), 192: b64(randomBytes(24)), 256: b64(randomBytes(32)) });
  const pair = generateKeyPairSync('rsa', { modulusLength: 3072, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  return { aes: keys(), aesWrong: keys(), rsa: pair, vectors: vectorSample() };
}
