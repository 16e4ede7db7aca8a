/**
 * Signing and MAC operations (https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html and siblings): Sign, Verify, GetPublicKey, GenerateMac, VerifyMac.
 * RSA-PSS uses a salt as long as the digest (as KMS does); ECDSA signatures are DER.
 * MessageType DIGEST (the caller hashed): PKCS#1 v1.5 = DigestInfo + the RSA private-key
 * operation; PSS = EMSA-PSS encoding (pss.ts) + RSA_NO_PADDING; ECDSA = @noble/curves with
 * `prehash: false`, because Node signs only whole messages.
 */
import { p256, p384 } from '@noble/curves/nist.js';
import { constants, createHmac, createPrivateKey, createPublicKey, privateEncrypt, publicDecrypt, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import type { KmsContext } from '../context';
import { invalidKeyUsage, KmsError, unsupported, validation } from '../errors';
import { optEnum, reqBlob, reqString, type Input } from '../input';
import { MAC_ALGORITHM, SIGNING_ALGORITHMS, encryptionAlgorithms, isRsa, type KeyRecord } from '../model';
import { emsaPssEncode, emsaPssVerify } from '../pss';
import type { Op } from './key-state';

const HASH_BYTES: Record<string, number> = { sha256: 32, sha384: 48, sha512: 64 };
/** DER prefixes of DigestInfo for PKCS#1 v1.5 (RFC 8017 §9.2 note 1). */
const DIGEST_INFO: Record<string, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};
const ALL_SIGNING = [...new Set(Object.values(SIGNING_ALGORITHMS).flat())] as string[];

function hashOf(algorithm: string): string {
  return `sha${algorithm.slice(-3)}`;
}

function privateKeyOf(ctx: KmsContext, key: KeyRecord): KeyObject {
  const der = ctx.sealer.unseal(key.privateKey!, `kms-local/private/${key.KeyId}`);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

function publicKeyOf(key: KeyRecord): KeyObject {
  return createPublicKey({ key: Buffer.from(key.publicKey!, 'base64'), format: 'der', type: 'spki' });
}

function signingRequest(ctx: KmsContext, input: Input) {
  const key = ctx.usable(reqString(input, 'KeyId', 2048), 'SIGN_VERIFY');
  const algorithm = optEnum(input, 'SigningAlgorithm', ALL_SIGNING);
  if (!algorithm) throw validation('SigningAlgorithm: required');
  if (!SIGNING_ALGORITHMS[key.KeySpec]!.includes(algorithm)) {
    throw invalidKeyUsage(`${ctx.keyArn(key.KeyId)} does not support signing algorithm ${algorithm}.`);
  }
  const message = reqBlob(input, 'Message', 1, 4096);
  const type = optEnum(input, 'MessageType', ['RAW', 'DIGEST'] as const) ?? 'RAW';
  const hash = hashOf(algorithm);
  if (type === 'DIGEST') {
    if (message.length !== HASH_BYTES[hash]) throw validation(`Digest length must be ${HASH_BYTES[hash]} bytes for ${algorithm}.`);
  }
  const options = algorithm.startsWith('RSASSA_PSS')
    ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_BYTES[hash]! }
    : algorithm.startsWith('RSASSA_PKCS1')
      ? { padding: constants.RSA_PKCS1_PADDING }
      : { dsaEncoding: 'der' as const };
  return { key, algorithm, message, type, hash, options };
}

function macRequest(ctx: KmsContext, input: Input) {
  const key = ctx.usable(reqString(input, 'KeyId', 2048), 'GENERATE_VERIFY_MAC');
  const algorithm = optEnum(input, 'MacAlgorithm', ['HMAC_SHA_224', 'HMAC_SHA_256', 'HMAC_SHA_384', 'HMAC_SHA_512'] as const);
  if (!algorithm) throw validation('MacAlgorithm: required');
  if (MAC_ALGORITHM[key.KeySpec] !== algorithm) throw invalidKeyUsage(`${ctx.keyArn(key.KeyId)} does not support ${algorithm}.`);
  const message = reqBlob(input, 'Message', 1, 4096);
  const raw = ctx.sealer.unseal(key.hmacKey!, `kms-local/hmac/${key.KeyId}`);
  try {
    return { key, algorithm, mac: createHmac(`sha${algorithm.slice(-3)}`, raw).update(message).digest() };
  } finally {
    raw.fill(0);
  }
}

type SigningRequest = ReturnType<typeof signingRequest>;
const curveOf = (key: KeyRecord) => (key.KeySpec === 'ECC_NIST_P256' ? p256 : p384);

function signDigest(r: SigningRequest, pk: KeyObject): Uint8Array {
  if (r.algorithm.startsWith('RSASSA_PKCS1')) {
    return privateEncrypt({ key: pk, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([Buffer.from(DIGEST_INFO[r.hash]!, 'hex'), r.message]));
  }
  if (r.algorithm.startsWith('RSASSA_PSS')) {
    const modBits = pk.asymmetricKeyDetails!.modulusLength!;
    return privateEncrypt({ key: pk, padding: constants.RSA_NO_PADDING }, emsaPssEncode(r.hash, r.message, modBits));
  }
  const d = Buffer.from(pk.export({ format: 'jwk' }).d!, 'base64url');
  try {
    return curveOf(r.key).sign(r.message, d, { prehash: false, format: 'der' });
  } finally {
    d.fill(0);
  }
}

function verifyDigest(r: SigningRequest, pub: KeyObject, signature: Uint8Array): boolean {
  if (isRsa(r.key.KeySpec)) {
    const modBits = pub.asymmetricKeyDetails!.modulusLength!;
    if (r.algorithm.startsWith('RSASSA_PSS')) {
      return emsaPssVerify(r.hash, r.message, publicDecrypt({ key: pub, padding: constants.RSA_NO_PADDING }, signature), modBits);
    }
    const expected = Buffer.concat([Buffer.from(DIGEST_INFO[r.hash]!, 'hex'), r.message]);
    const recovered = publicDecrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, signature);
    return recovered.length === expected.length && timingSafeEqual(recovered, expected);
  }
  const jwk = pub.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  return curveOf(r.key).verify(signature, r.message, point, { prehash: false, format: 'der', lowS: false });
}

export const asymmetricOps: Record<string, Op> = {
  Sign(ctx, input) {
    const r = signingRequest(ctx, input);
    const pk = privateKeyOf(ctx, r.key);
    const signature = r.type === 'DIGEST' ? signDigest(r, pk) : sign(r.hash, r.message, { key: pk, ...r.options });
    return { KeyId: ctx.keyArn(r.key.KeyId), Signature: Buffer.from(signature).toString('base64'), SigningAlgorithm: r.algorithm };
  },

  Verify(ctx, input) {
    const r = signingRequest(ctx, input);
    const signature = reqBlob(input, 'Signature', 1, 6144);
    const pub = publicKeyOf(r.key);
    let valid = false;
    try {
      valid = r.type === 'DIGEST' ? verifyDigest(r, pub, signature) : verify(r.hash, r.message, { key: pub, ...r.options }, signature);
    } catch {
      valid = false;
    }
    if (!valid) throw new KmsError('KMSInvalidSignatureException', 'The signature is not valid.');
    return { KeyId: ctx.keyArn(r.key.KeyId), SignatureValid: true, SigningAlgorithm: r.algorithm };
  },

  GetPublicKey(ctx, input) {
    const key = ctx.resolve(reqString(input, 'KeyId', 2048));
    ctx.checkUsable(key);
    if (!key.publicKey) throw unsupported(`${ctx.keyArn(key.KeyId)} is not an asymmetric key.`);
    return {
      KeyId: ctx.keyArn(key.KeyId),
      PublicKey: key.publicKey,
      CustomerMasterKeySpec: key.KeySpec,
      KeySpec: key.KeySpec,
      KeyUsage: key.KeyUsage,
      ...(key.KeyUsage === 'ENCRYPT_DECRYPT' && { EncryptionAlgorithms: encryptionAlgorithms(key) }),
      ...(key.KeyUsage === 'SIGN_VERIFY' && { SigningAlgorithms: SIGNING_ALGORITHMS[key.KeySpec] }),
    };
  },

  GenerateMac(ctx, input) {
    const r = macRequest(ctx, input);
    return { Mac: r.mac.toString('base64'), MacAlgorithm: r.algorithm, KeyId: ctx.keyArn(r.key.KeyId) };
  },

  VerifyMac(ctx, input) {
    const r = macRequest(ctx, input);
    const mac = reqBlob(input, 'Mac', 1, 6144);
    if (mac.length !== r.mac.length || !timingSafeEqual(mac, r.mac)) {
      throw new KmsError('KMSInvalidMacException', 'The MAC is not valid.');
    }
    return { KeyId: ctx.keyArn(r.key.KeyId), MacValid: true, MacAlgorithm: r.algorithm };
  },
};
