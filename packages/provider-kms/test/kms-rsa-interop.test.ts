/**
 * Interop of KmsRsaKeyProvider with the AWS KMS RSA keyring layout, written here from the public
 * spec (aws-encryption-sdk-specification framework/aws-kms/aws-kms-rsa-keyring.md, and
 * framework/structures.md#serialization for the encryption context) with node:crypto only — not
 * with any Strongroom code. @aws-crypto/client-node has no KMS RSA keyring, so the spec's keyring
 * is plugged into it as a custom keyring: the AWS Encryption SDK writes and reads the message, the
 * spec keyring wraps and unwraps the data key (via kms-local and the real @aws-sdk/client-kms).
 *
 * Public test vectors: the Material Providers Library test vectors name one KMS RSA key,
 * `us-west-2-rsa-mrk` (TestVectorsAwsCryptographicMaterialProviders .../test/keys.json), with its
 * 2048-bit public key; its private key lives in AWS KMS, so only the encrypt side can run here.
 */
import { DecryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  EncryptedDataKey as EsdkEdk,
  KeyringNode,
  KeyringTraceFlag,
  type NodeDecryptionMaterial,
  type NodeEncryptionMaterial,
  unwrapDataKey,
} from '@aws-crypto/client-node';
import { createClient, getSuite } from '@strongroom/core';
import { constants, createHash, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsRsaKeyProvider, type KmsRsaEncryptionAlgorithm } from '../src/index';
import { createRsaKey, startKms } from './helpers';

/** structures.md#serialization: empty → no bytes; else u16 count, then (u16 len, key, u16 len, value) sorted by key bytes. */
function specSerialize(context: Record<string, string>): Buffer {
  const pairs = Object.entries(context).map(([k, v]) => [Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8')] as const);
  if (pairs.length === 0) return Buffer.alloc(0);
  pairs.sort((a, b) => Buffer.compare(a[0], b[0]));
  const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
  return Buffer.concat([u16(pairs.length), ...pairs.flatMap(([k, v]) => [u16(k.length), k, u16(v.length), v])]);
}
const specDigest = (context: Record<string, string>) => createHash('sha384').update(specSerialize(context)).digest();
const oaepHash = (a: KmsRsaEncryptionAlgorithm) => (a === 'RSAES_OAEP_SHA_1' ? 'sha1' : 'sha256');

/** The KMS RSA keyring of the spec, as an AWS Encryption SDK keyring. */
class SpecKmsRsaKeyring extends KeyringNode {
  constructor(
    private readonly keyArn: string,
    private readonly publicKeyDer: Uint8Array,
    private readonly algorithm: KmsRsaEncryptionAlgorithm,
    private readonly kms: KMSClient,
  ) {
    super();
  }

  async _onEncrypt(material: NodeEncryptionMaterial): Promise<NodeEncryptionMaterial> {
    if (!material.hasUnencryptedDataKey) {
      material.setUnencryptedDataKey(new Uint8Array(randomBytes(material.suite.keyLengthBytes)), {
        keyNamespace: 'aws-kms-rsa',
        keyName: this.keyArn,
        flags: KeyringTraceFlag.WRAPPING_KEY_GENERATED_DATA_KEY,
      });
    }
    const dataKey = unwrapDataKey(material.getUnencryptedDataKey());
    const key = createPublicKey({ key: Buffer.from(this.publicKeyDer), format: 'der', type: 'spki' });
    const wrapped = publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash(this.algorithm) }, Buffer.concat([specDigest(material.encryptionContext), dataKey]));
    return material.addEncryptedDataKey(new EsdkEdk({ providerId: 'aws-kms-rsa', providerInfo: this.keyArn, encryptedDataKey: new Uint8Array(wrapped) }), KeyringTraceFlag.WRAPPING_KEY_ENCRYPTED_DATA_KEY);
  }

  async _onDecrypt(material: NodeDecryptionMaterial, edks: EsdkEdk[]): Promise<NodeDecryptionMaterial> {
    for (const edk of edks.filter((e) => e.providerId === 'aws-kms-rsa' && e.providerInfo === this.keyArn)) {
      const out = await this.kms.send(new DecryptCommand({ KeyId: this.keyArn, CiphertextBlob: edk.encryptedDataKey, EncryptionAlgorithm: this.algorithm }));
      const plaintext = Buffer.from(out.Plaintext!);
      if (out.KeyId !== this.keyArn || !plaintext.subarray(0, 48).equals(specDigest(material.encryptionContext))) throw new Error('encryption context digest mismatch');
      return material.setUnencryptedDataKey(new Uint8Array(plaintext.subarray(48)), {
        keyNamespace: 'aws-kms-rsa',
        keyName: this.keyArn,
        flags: KeyringTraceFlag.WRAPPING_KEY_DECRYPTED_DATA_KEY,
      });
    }
    return material;
  }
}

// Contexts whose canonical order differs between UTF-16 code units and UTF-8 bytes (U+FF5E vs
// U+1F600), names like Object.prototype members, and the empty context.
const contexts: Record<string, string>[] = [
  { tenant: 'acme', purpose: 'interop' },
  { '\u{ff5e}': 'fullwidth tilde', '\u{1f600}': 'grinning face', a: '' },
  JSON.parse('{"__proto__":"p","constructor":"c","toString":"t"}') as Record<string, string>,
  {},
];
const esdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT);
let kms: KMSClient;
let close: () => Promise<void>;
let rsa: { arn: string; publicKey: Uint8Array };

beforeAll(async () => {
  ({ client: kms, close } = await startKms());
  rsa = await createRsaKey(kms, 'RSA_3072');
});
afterAll(async () => close?.());

describe('KmsRsaKeyProvider ⇄ the spec KMS RSA keyring inside the AWS Encryption SDK (kms-local)', () => {
  for (const algorithm of ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] as const) {
    it(`${algorithm}: the ESDK writes with the spec keyring, Strongroom reads (every context)`, async () => {
      const reader = createClient({ keyProvider: KmsRsaKeyProvider({ keyId: rsa.arn, encryptionAlgorithm: algorithm, clientProvider: () => kms }) });
      for (const encryptionContext of contexts) {
        const { result } = await esdk.encrypt(new SpecKmsRsaKeyring(rsa.arn, rsa.publicKey, algorithm, kms), 'from the ESDK', {
          encryptionContext,
          suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
        });
        const { plaintext, header } = await reader.decrypt(result, { expectedEncryptionContext: encryptionContext });
        expect(new TextDecoder().decode(plaintext)).toBe('from the ESDK');
        expect(header.encryptedDataKeys.map((e) => e.providerId)).toEqual(['aws-kms-rsa']);
      }
    });

    it(`${algorithm}: Strongroom writes, the ESDK reads with the spec keyring (every context)`, async () => {
      const writer = createClient({ keyProvider: KmsRsaKeyProvider({ keyId: rsa.arn, encryptionAlgorithm: algorithm, publicKey: rsa.publicKey }) });
      for (const encryptionContext of contexts) {
        const { ciphertext } = await writer.encrypt('from Strongroom', { encryptionContext });
        const { plaintext, messageHeader } = await esdk.decrypt(new SpecKmsRsaKeyring(rsa.arn, rsa.publicKey, algorithm, kms), ciphertext);
        expect(Buffer.from(plaintext).toString()).toBe('from Strongroom');
        expect(messageHeader.encryptedDataKeys[0]!.providerInfo).toBe(rsa.arn);
      }
    });
  }

  it('the wrapped plaintext is exactly SHA-384(serialized context) ‖ data key (KMS Decrypt called directly)', async () => {
    const provider = KmsRsaKeyProvider({ keyId: rsa.arn, encryptionAlgorithm: 'RSAES_OAEP_SHA_256', publicKey: rsa.publicKey });
    for (const suiteId of [0x0478, 0x0114, 0x0014]) {
      const suite = getSuite(suiteId);
      for (const encryptionContext of contexts) {
        const { plaintextKey, encryptedDataKey } = await provider.generateDataKey({ suite, encryptionContext });
        expect(encryptedDataKey.providerId).toBe('aws-kms-rsa');
        expect(new TextDecoder().decode(encryptedDataKey.providerInfo)).toBe(rsa.arn);
        const out = await kms.send(new DecryptCommand({ KeyId: rsa.arn, CiphertextBlob: encryptedDataKey.ciphertext, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }));
        expect(Buffer.from(out.Plaintext!).toString('hex')).toBe(Buffer.concat([specDigest(encryptionContext), plaintextKey]).toString('hex'));
      }
    }
  });
});

describe('the Material Providers Library test-vector key us-west-2-rsa-mrk (public half only)', () => {
  const arn = 'arn:aws:kms:us-west-2:370957321024:key/mrk-63d386cb70614ea59b32ad65c9315297';
  const pem = [
    '-----BEGIN PUBLIC KEY-----',
    'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA27Uc/fBaMVhxCE/SpCMQ',
    'oSBRSzQJw+o2hBaA+FiPGtiJ/aPy7sn18aCkelaSj4kwoC79b/arNHlkjc7OJFsN',
    '/GoFKgNvaiY4lOeJqEiWQGSSgHtsJLdbO2u4OOSxh8qIRAMKbMgQDVX4FR/PLKeK',
    'fc2aCDvcNSpAM++8NlNmv7+xQBJydr5ce91eISbHkFRkK3/bAM+1iddupoRw4Wo2',
    'r3avzrg5xBHmzR7u1FTab22Op3Hgb2dBLZH43wNKAceVwKqKA8UNAxashFON7xK9',
    'yy4kfOL0Z/nhxRKe4jRZ/5v508qIzgzCksYy7Y3QbMejAtiYnr7s5/d5KWw0swou',
    'twIDAQAB',
    '-----END PUBLIC KEY-----',
  ].join('\n');

  it('is accepted for both algorithms and wraps into one 256-byte EDK naming the key ARN, with no client at all', async () => {
    for (const encryptionAlgorithm of ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] as const) {
      const provider = KmsRsaKeyProvider({ keyId: arn, encryptionAlgorithm, publicKey: pem, clientProvider: () => undefined });
      const { ciphertext, header } = await createClient({ keyProvider: provider }).encrypt('vector', { encryptionContext: { vector: 'us-west-2-rsa-mrk' } });
      expect(ciphertext.length).toBeGreaterThan(256);
      expect(header.encryptedDataKeys).toHaveLength(1);
      expect(new TextDecoder().decode(header.encryptedDataKeys[0]!.providerInfo)).toBe(arn);
      expect(header.encryptedDataKeys[0]!.ciphertext).toHaveLength(256);
    }
  });

  it("a decryptor for the us-east-1 replica matches it (MRK), one for another account's key does not", async () => {
    const { encryptedDataKey } = await KmsRsaKeyProvider({ keyId: arn, encryptionAlgorithm: 'RSAES_OAEP_SHA_256', publicKey: pem }).generateDataKey({
      suite: getSuite(0x0478),
      encryptionContext: {},
    });
    const asked: unknown[] = [];
    const recording = { send: async (command: unknown) => (asked.push((command as { input: unknown }).input), Promise.reject(Object.assign(new Error('no AWS here'), { name: 'AccessDeniedException' }))) };
    const replica = KmsRsaKeyProvider({ keyId: arn.replace('us-west-2', 'us-east-1'), encryptionAlgorithm: 'RSAES_OAEP_SHA_256', clientProvider: () => recording });
    await expect(replica.decryptDataKey({ suite: getSuite(0x0478), encryptionContext: {}, encryptedDataKey })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    expect(asked).toEqual([{ KeyId: arn.replace('us-west-2', 'us-east-1'), CiphertextBlob: encryptedDataKey.ciphertext, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }]);
    const foreign = KmsRsaKeyProvider({ keyId: arn.replace('370957321024', '111122223333'), encryptionAlgorithm: 'RSAES_OAEP_SHA_256', clientProvider: () => recording });
    expect(await foreign.decryptDataKey({ suite: getSuite(0x0478), encryptionContext: {}, encryptedDataKey })).toBeUndefined();
    expect(asked).toHaveLength(1);
  });
});
