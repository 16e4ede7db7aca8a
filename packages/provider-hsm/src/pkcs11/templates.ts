/**
 * What the PKCS#11 backend (./client) asks a module for, and how it reads the answers: attribute
 * templates for new keys, the signing and AES-GCM mechanisms, and the decoders of attribute values
 * (CK_ULONG, EC points). PKCS#11 v2.40: http://docs.oasis-open.org/pkcs11/pkcs11-base/v2.40/pkcs11-base-v2.40.html
 * and pkcs11-curr-v2.40 (mechanisms).
 */
import { createHash, createPublicKey, type JsonWebKey } from 'node:crypto';
import { StrongroomError } from '@strongroom/core';
import type { HsmBackend, HsmCapabilities, HsmHash, HsmKeyTemplate, HsmSignMechanism } from '../backend';
import type { Pkcs11Module } from './load';

/** What generateKeyPair is asked for. */
type HsmKeyPairTemplate = Parameters<HsmBackend['generateKeyPair']>[0];

/** One attribute of a template. */
export type Attribute = { type: number; value: string | number | boolean | Buffer };

/** The curves the backend supports: DER of the named curve's OID (CKA_EC_PARAMS) and the size. */
export const CURVES = {
  'P-256': { oid: Buffer.from('06082a8648ce3d030107', 'hex'), bits: 256 },
  'P-384': { oid: Buffer.from('06052b81040022', 'hex'), bits: 384 },
} as const;

export const HASH_BYTES: Record<HsmHash, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

/** A CK_ULONG attribute value, in the module's word size. */
export function readUlong(value: Buffer): number {
  if (value.length === 8) return Number(value.readBigUInt64LE(0));
  if (value.length === 4) return value.readUInt32LE(0);
  if (value.length === 1) return value[0]!;
  throw new StrongroomError('PROVIDER_ERROR', `PKCS#11 returned a CK_ULONG of ${value.length} bytes`);
}

/** The attributes every new key object has: on the token (unless asked otherwise), its label and CKA_ID. */
function common(P: Pkcs11Module, template: HsmKeyTemplate, id: Buffer): Attribute[] {
  return [
    { type: P.CKA_TOKEN, value: template.token ?? true },
    { type: P.CKA_LABEL, value: template.label },
    { type: P.CKA_ID, value: id },
  ];
}

/** A sensitive, non-extractable (unless asked) secret key of `bytes` bytes; `defaults` say what it may do unless the template says. */
export function secretKeyTemplate(
  P: Pkcs11Module,
  template: HsmKeyTemplate,
  keyType: number,
  bytes: number,
  id: Buffer,
  defaults: { crypt: boolean; mac: boolean },
): Attribute[] {
  return [
    { type: P.CKA_CLASS, value: P.CKO_SECRET_KEY },
    { type: P.CKA_KEY_TYPE, value: keyType },
    { type: P.CKA_VALUE_LEN, value: bytes },
    ...common(P, template, id),
    { type: P.CKA_PRIVATE, value: true },
    { type: P.CKA_SENSITIVE, value: true },
    { type: P.CKA_EXTRACTABLE, value: template.extractable ?? false },
    { type: P.CKA_ENCRYPT, value: template.encrypt ?? defaults.crypt },
    { type: P.CKA_DECRYPT, value: template.decrypt ?? defaults.crypt },
    { type: P.CKA_WRAP, value: template.wrap ?? false },
    { type: P.CKA_UNWRAP, value: template.unwrap ?? false },
    { type: P.CKA_SIGN, value: template.sign ?? defaults.mac },
    { type: P.CKA_VERIFY, value: template.verify ?? defaults.mac },
  ];
}

/**
 * The key-pair generation mechanism and the type-specific public attributes (RSA: modulus bits and
 * exponent 65537; EC: the curve), checked before any session is used.
 * @throws StrongroomError INVALID_ARGUMENT for a type, size or curve the backend does not generate.
 */
export function keyPairKind(P: Pkcs11Module, template: HsmKeyPairTemplate): { mechanism: number; publicExtra: Attribute[] } {
  if (template.type === 'rsa') {
    if (![2048, 3072, 4096].includes(template.bits)) throw new StrongroomError('INVALID_ARGUMENT', 'bits: must be 2048, 3072 or 4096');
    return {
      mechanism: P.CKM_RSA_PKCS_KEY_PAIR_GEN,
      publicExtra: [
        { type: P.CKA_KEY_TYPE, value: P.CKK_RSA },
        { type: P.CKA_MODULUS_BITS, value: template.bits },
        { type: P.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
      ],
    };
  }
  if (template.type === 'ec') {
    const curve = CURVES[template.curve];
    if (!curve) throw new StrongroomError('INVALID_ARGUMENT', 'curve: must be P-256 or P-384');
    return {
      mechanism: P.CKM_EC_KEY_PAIR_GEN,
      publicExtra: [
        { type: P.CKA_KEY_TYPE, value: P.CKK_EC },
        { type: P.CKA_EC_PARAMS, value: curve.oid },
      ],
    };
  }
  throw new StrongroomError('INVALID_ARGUMENT', 'type: must be rsa or ec');
}

/** The two templates of a key pair sharing label and CKA_ID: a public half that verifies, a sensitive private half that signs (unless the template says otherwise). */
export function keyPairTemplates(P: Pkcs11Module, template: HsmKeyPairTemplate, publicExtra: Attribute[], id: Buffer): { pub: Attribute[]; priv: Attribute[] } {
  return {
    pub: [
      { type: P.CKA_CLASS, value: P.CKO_PUBLIC_KEY },
      ...publicExtra,
      ...common(P, template, id),
      { type: P.CKA_VERIFY, value: template.verify ?? true },
      { type: P.CKA_ENCRYPT, value: template.encrypt ?? false },
      { type: P.CKA_WRAP, value: template.wrap ?? false },
    ],
    priv: [
      { type: P.CKA_CLASS, value: P.CKO_PRIVATE_KEY },
      ...common(P, template, id),
      { type: P.CKA_PRIVATE, value: true },
      { type: P.CKA_SENSITIVE, value: true },
      { type: P.CKA_EXTRACTABLE, value: template.extractable ?? false },
      { type: P.CKA_SIGN, value: template.sign ?? true },
      { type: P.CKA_DECRYPT, value: template.decrypt ?? false },
      { type: P.CKA_UNWRAP, value: template.unwrap ?? false },
    ],
  };
}

/**
 * The mechanism of a signature: ECDSA (with the hash inside when the module does it), RSA PKCS#1
 * v1.5 or RSA-PSS (salt = hash length, MGF1 with the same hash).
 * @throws StrongroomError INVALID_ARGUMENT for SHA-1 or an unknown hash or type.
 */
export function signMechanism(P: Pkcs11Module, capabilities: HsmCapabilities, mechanism: HsmSignMechanism): { mechanism: number; parameter?: object } {
  const hash = mechanism.hash;
  if (!(hash in HASH_BYTES) || (hash as HsmHash) === 'sha1') throw new StrongroomError('INVALID_ARGUMENT', `mechanism.hash: unsupported ${String(hash)}`);
  const H = hash.toUpperCase() as 'SHA256' | 'SHA384' | 'SHA512';
  switch (mechanism.type) {
    case 'ecdsa':
      return { mechanism: capabilities.ecdsaHashesInside ? P[`CKM_ECDSA_${H}`] : P.CKM_ECDSA };
    case 'rsa-pkcs1':
      return { mechanism: P[`CKM_${H}_RSA_PKCS`] };
    case 'rsa-pss':
      return {
        mechanism: P[`CKM_${H}_RSA_PKCS_PSS`],
        parameter: { type: P.CK_PARAMS_RSA_PSS, hashAlg: P[`CKM_${H}`], mgf: P[`CKG_MGF1_${H}`], saltLen: HASH_BYTES[hash] },
      };
    default:
      throw new StrongroomError('INVALID_ARGUMENT', `mechanism.type: unsupported ${JSON.stringify((mechanism as { type: unknown }).type)}`);
  }
}

/** What is signed: the data, or its digest for ECDSA without in-module hashing (CKM_ECDSA signs a digest). */
export function signInput(capabilities: HsmCapabilities, mechanism: HsmSignMechanism, data: Buffer): Buffer {
  if (mechanism.type === 'ecdsa' && !capabilities.ecdsaHashesInside) return createHash(mechanism.hash).update(data).digest();
  return data;
}

/** CK_GCM_PARAMS: a 96-bit IV, the AAD and a 128-bit tag. */
export function gcmParams(P: Pkcs11Module, iv: Buffer, aad: Buffer) {
  return { type: P.CK_PARAMS_AES_GCM, iv, aad, ivBits: 96, tagBits: 128 };
}

/** DER SubjectPublicKeyInfo of a public key given as a JWK. */
export function spkiFromJwk(jwk: JsonWebKey): Uint8Array {
  return new Uint8Array(createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' }));
}

/** CKA_EC_POINT is DER OCTET STRING { 04 ‖ x ‖ y } (PKCS#11 v2.40 §2.3.3); some modules omit the wrapper. */
export function ecJwk(value: Buffer, bits: number): JsonWebKey {
  const size = Math.ceil(bits / 8);
  let point = value;
  if (point.length !== 1 + 2 * size) {
    const len = point[1]!;
    const header = len < 0x80 ? 2 : 2 + (len & 0x7f);
    point = point.subarray(header);
  }
  if (point[0] !== 0x04 || point.length !== 1 + 2 * size) {
    throw new StrongroomError('PROVIDER_ERROR', 'PKCS#11 returned an EC point that is not uncompressed');
  }
  return {
    kty: 'EC',
    crv: bits === 256 ? 'P-256' : 'P-384',
    x: point.subarray(1, 1 + size).toString('base64url'),
    y: point.subarray(1 + size).toString('base64url'),
  };
}
