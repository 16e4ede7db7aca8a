/**
 * Encryption operations (https://docs.aws.amazon.com/kms/latest/APIReference/API_Operations.html): Encrypt, Decrypt (KeyId optional for symmetric
 * ciphertexts), ReEncrypt, GenerateDataKey[WithoutPlaintext], GenerateDataKeyPair[WithoutPlaintext],
 * GenerateRandom. The encryption context is bound as AAD (serialized order-independently) and
 * rejected for asymmetric keys; RSA keys encrypt with RSAES_OAEP_SHA_1/256.
 */
import { constants, createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { encodeCiphertext, encodeHeader, MAX_CIPHERTEXT_BLOB, parseCiphertext } from '../ciphertext';
import type { KmsContext } from '../context';
import { serializeEncryptionContext } from '../encryption-context';
import { unreachable } from '../custom-key-store/material';
import { customKeyStoreInvalidState, incorrectKey, invalidCiphertext, invalidKeyUsage, KmsError, validation } from '../errors';
import { findStore } from './custom-key-stores';
import { optEnum, optInt, optString, optStringMap, reqBlob, reqString, type Input } from '../input';
import type { KeyRecord } from '../model';
import { generateDerKeyPair } from './lifecycle';
import type { Op } from './key-state';

const ENCRYPTION_ALGORITHMS = ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] as const;
type EncryptionAlgorithm = (typeof ENCRYPTION_ALGORITHMS)[number];
const KEY_PAIR_SPECS = ['RSA_2048', 'RSA_3072', 'RSA_4096', 'ECC_NIST_P256', 'ECC_NIST_P384'] as const;

function checkAlgorithm(ctx: KmsContext, key: KeyRecord, algorithm: EncryptionAlgorithm | undefined): EncryptionAlgorithm {
  if (key.KeySpec === 'SYMMETRIC_DEFAULT') {
    if (algorithm !== undefined && algorithm !== 'SYMMETRIC_DEFAULT') {
      throw invalidKeyUsage(`${ctx.keyArn(key.KeyId)} does not support ${algorithm}.`);
    }
    return 'SYMMETRIC_DEFAULT';
  }
  if (algorithm === undefined || algorithm === 'SYMMETRIC_DEFAULT') {
    throw invalidKeyUsage(`${ctx.keyArn(key.KeyId)} requires an EncryptionAlgorithm of RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256.`);
  }
  return algorithm;
}

function rsaOptions(ctx: KmsContext, key: KeyRecord, algorithm: EncryptionAlgorithm) {
  return { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: algorithm === 'RSAES_OAEP_SHA_1' ? 'sha1' : 'sha256' };
}

/** Encrypt under a symmetric key's newest backing key. */
export async function encryptSymmetric(ctx: KmsContext, key: KeyRecord, plaintext: Uint8Array, context: Record<string, string> | undefined): Promise<Buffer> {
  const current = key.backing![key.backing!.length - 1]!;
  const header = encodeHeader(key.KeyId, current.version);
  const aad = Buffer.concat([header, serializeEncryptionContext(context)]);
  const parts = await ctx.materialStore.encrypt(current.handle, plaintext, aad);
  return encodeCiphertext(header, parts.iv, parts.ciphertext, parts.tag);
}

async function encryptWith(ctx: KmsContext, key: KeyRecord, plaintext: Uint8Array, context: Record<string, string> | undefined, algorithm: EncryptionAlgorithm) {
  if (algorithm === 'SYMMETRIC_DEFAULT') return encryptSymmetric(ctx, key, plaintext, context);
  if (context !== undefined && Object.keys(context).length > 0) throw validation('EncryptionContext is not supported with asymmetric keys.');
  try {
    return publicEncrypt({ key: createPublicKey({ key: Buffer.from(key.publicKey!, 'base64'), format: 'der', type: 'spki' }), ...rsaOptions(ctx, key, algorithm) }, plaintext);
  } catch {
    throw validation(`Plaintext is too long for ${key.KeySpec} with ${algorithm}.`);
  }
}

/** Decrypt a ciphertext blob; `keyIdHint` (KeyId/SourceKeyId) is optional for symmetric blobs. */
async function decryptBlob(
  ctx: KmsContext,
  blob: Buffer,
  context: Record<string, string> | undefined,
  keyIdHint: string | undefined,
  algorithm: EncryptionAlgorithm | undefined,
): Promise<{ key: KeyRecord; plaintext: Buffer; algorithm: EncryptionAlgorithm }> {
  const hinted = keyIdHint === undefined ? undefined : ctx.resolve(keyIdHint);
  if (hinted && hinted.KeySpec !== 'SYMMETRIC_DEFAULT') {
    ctx.checkUsable(hinted);
    if (hinted.KeyUsage !== 'ENCRYPT_DECRYPT') throw invalidKeyUsage(`${ctx.keyArn(hinted.KeyId)} key usage is ${hinted.KeyUsage}.`);
    const alg = checkAlgorithm(ctx, hinted, algorithm);
    if (context !== undefined && Object.keys(context).length > 0) throw validation('EncryptionContext is not supported with asymmetric keys.');
    const der = ctx.sealer.unseal(hinted.privateKey!, `kms-local/private/${hinted.KeyId}`);
    try {
      const plaintext = privateDecrypt({ key: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }), ...rsaOptions(ctx, hinted, alg) }, blob);
      return { key: hinted, plaintext, algorithm: alg };
    } catch {
      throw invalidCiphertext('The ciphertext is invalid.');
    } finally {
      der.fill(0);
    }
  }
  if (algorithm !== undefined && algorithm !== 'SYMMETRIC_DEFAULT') throw invalidKeyUsage(`${algorithm} requires an asymmetric KeyId.`);
  const parsed = parseCiphertext(blob);
  if (hinted && hinted.KeyId !== parsed.keyId) {
    throw incorrectKey('The key ID in the request does not identify a KMS key that can perform this operation.');
  }
  const key = ctx.state.keys[parsed.keyId];
  if (!key || key.KeySpec !== 'SYMMETRIC_DEFAULT') throw invalidCiphertext('The ciphertext is invalid.');
  ctx.checkUsable(key);
  const backing = key.backing!.find((b) => b.version === parsed.version);
  if (!backing) throw invalidCiphertext('The ciphertext is invalid.');
  const aad = Buffer.concat([parsed.header, serializeEncryptionContext(context)]);
  let plaintext: Uint8Array;
  try {
    plaintext = await ctx.materialStore.decrypt(backing.handle, parsed, aad);
  } catch (e) {
    if (e instanceof KmsError) throw e;
    throw invalidCiphertext('The ciphertext is invalid: it does not authenticate under this key and encryption context.');
  }
  return { key, plaintext: Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength), algorithm: 'SYMMETRIC_DEFAULT' };
}

function dataKeyLength(input: Input): number {
  const bytes = optInt(input, 'NumberOfBytes', 1, 1024);
  const spec = optEnum(input, 'KeySpec', ['AES_128', 'AES_256'] as const);
  if ((bytes === undefined) === (spec === undefined)) throw validation('Please specify either number of bytes or key spec.');
  return bytes ?? (spec === 'AES_128' ? 16 : 32);
}

async function generateDataKey(ctx: KmsContext, input: Input) {
  const key = ctx.usable(reqString(input, 'KeyId', 2048), 'ENCRYPT_DECRYPT');
  if (key.KeySpec !== 'SYMMETRIC_DEFAULT') throw invalidKeyUsage(`${ctx.keyArn(key.KeyId)} is not a symmetric encryption key.`);
  const plaintext = randomBytes(dataKeyLength(input));
  const blob = await encryptSymmetric(ctx, key, plaintext, optStringMap(input, 'EncryptionContext'));
  return { key, plaintext, blob };
}

async function generateDataKeyPair(ctx: KmsContext, input: Input) {
  const key = ctx.usable(reqString(input, 'KeyId', 2048), 'ENCRYPT_DECRYPT');
  if (key.KeySpec !== 'SYMMETRIC_DEFAULT') throw invalidKeyUsage(`${ctx.keyArn(key.KeyId)} is not a symmetric encryption key.`);
  const spec = optEnum(input, 'KeyPairSpec', KEY_PAIR_SPECS);
  if (!spec) throw validation('KeyPairSpec: required');
  const pair = await generateDerKeyPair(spec);
  const blob = await encryptSymmetric(ctx, key, pair.privateKey, optStringMap(input, 'EncryptionContext'));
  return { key, spec, pair, blob };
}

export const symmetricOps: Record<string, Op> = {
  async Encrypt(ctx, input) {
    // Input validation first, as KMS does, then key lookup and state.
    const keyId = reqString(input, 'KeyId', 2048);
    const plaintext = reqBlob(input, 'Plaintext', 1, 4096);
    const requested = optEnum(input, 'EncryptionAlgorithm', ENCRYPTION_ALGORITHMS);
    const context = optStringMap(input, 'EncryptionContext');
    const key = ctx.usable(keyId, 'ENCRYPT_DECRYPT');
    const algorithm = checkAlgorithm(ctx, key, requested);
    const blob = await encryptWith(ctx, key, plaintext, context, algorithm);
    return { CiphertextBlob: blob.toString('base64'), KeyId: ctx.keyArn(key.KeyId), EncryptionAlgorithm: algorithm };
  },

  async Decrypt(ctx, input) {
    const blob = reqBlob(input, 'CiphertextBlob', 1, MAX_CIPHERTEXT_BLOB);
    const r = await decryptBlob(
      ctx,
      blob,
      optStringMap(input, 'EncryptionContext'),
      optString(input, 'KeyId', 2048),
      optEnum(input, 'EncryptionAlgorithm', ENCRYPTION_ALGORITHMS),
    );
    const out = { KeyId: ctx.keyArn(r.key.KeyId), Plaintext: r.plaintext.toString('base64'), EncryptionAlgorithm: r.algorithm };
    r.plaintext.fill(0);
    return out;
  },

  async ReEncrypt(ctx, input) {
    const blob = reqBlob(input, 'CiphertextBlob', 1, MAX_CIPHERTEXT_BLOB);
    const source = await decryptBlob(
      ctx,
      blob,
      optStringMap(input, 'SourceEncryptionContext'),
      optString(input, 'SourceKeyId', 2048),
      optEnum(input, 'SourceEncryptionAlgorithm', ENCRYPTION_ALGORITHMS),
    );
    try {
      const dest = ctx.usable(reqString(input, 'DestinationKeyId', 2048), 'ENCRYPT_DECRYPT');
      const algorithm = checkAlgorithm(ctx, dest, optEnum(input, 'DestinationEncryptionAlgorithm', ENCRYPTION_ALGORITHMS));
      const out = await encryptWith(ctx, dest, source.plaintext, optStringMap(input, 'DestinationEncryptionContext'), algorithm);
      return {
        CiphertextBlob: out.toString('base64'),
        SourceKeyId: ctx.keyArn(source.key.KeyId),
        KeyId: ctx.keyArn(dest.KeyId),
        SourceEncryptionAlgorithm: source.algorithm,
        DestinationEncryptionAlgorithm: algorithm,
      };
    } finally {
      source.plaintext.fill(0);
    }
  },

  async GenerateDataKey(ctx, input) {
    const { key, plaintext, blob } = await generateDataKey(ctx, input);
    const out = { CiphertextBlob: blob.toString('base64'), Plaintext: plaintext.toString('base64'), KeyId: ctx.keyArn(key.KeyId) };
    plaintext.fill(0);
    return out;
  },

  async GenerateDataKeyWithoutPlaintext(ctx, input) {
    const { key, plaintext, blob } = await generateDataKey(ctx, input);
    plaintext.fill(0);
    return { CiphertextBlob: blob.toString('base64'), KeyId: ctx.keyArn(key.KeyId) };
  },

  async GenerateDataKeyPair(ctx, input) {
    const { key, spec, pair, blob } = await generateDataKeyPair(ctx, input);
    const out = {
      PrivateKeyCiphertextBlob: blob.toString('base64'),
      PrivateKeyPlaintext: pair.privateKey.toString('base64'),
      PublicKey: pair.publicKey.toString('base64'),
      KeyId: ctx.keyArn(key.KeyId),
      KeyPairSpec: spec,
    };
    pair.privateKey.fill(0);
    return out;
  },

  async GenerateDataKeyPairWithoutPlaintext(ctx, input) {
    const { key, spec, pair, blob } = await generateDataKeyPair(ctx, input);
    pair.privateKey.fill(0);
    return { PrivateKeyCiphertextBlob: blob.toString('base64'), PublicKey: pair.publicKey.toString('base64'), KeyId: ctx.keyArn(key.KeyId), KeyPairSpec: spec };
  },

  async GenerateRandom(ctx, input) {
    const n = optInt(input, 'NumberOfBytes', 1, 1024);
    if (n === undefined) throw validation('NumberOfBytes: required');
    const storeId = optString(input, 'CustomKeyStoreId', 64);
    if (storeId === undefined) return { Plaintext: randomBytes(n).toString('base64') };
    // Random bytes from the store's HSM cluster (GenerateRandom's CustomKeyStoreId).
    findStore(ctx, storeId);
    const client = ctx.customKeyStores.client(storeId);
    if (!client) throw customKeyStoreInvalidState(`Custom key store ${storeId} is ${ctx.customKeyStores.get(storeId).state}; GenerateRandom requires it to be CONNECTED.`);
    try {
      return { Plaintext: Buffer.from(await client.generateRandom(n)).toString('base64') };
    } catch (e) {
      throw unreachable(storeId, e);
    }
  },
};

