/**
 * Cryptographic operations with keys inside the HSM: AES-GCM (NIST SP 800-38D, IV chosen by the
 * HSM as CloudHSM does), RSA-OAEP (RFC 8017), ECDSA / RSA-PSS / RSA PKCS#1 v1.5 signatures, HMAC
 * (RFC 2104), digests, random bytes, and data keys: random bytes returned with their AES-GCM
 * encryption, in one request, as KMS GenerateDataKey returns them
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKey.html). Each checks the
 * key's usage attribute (CKA_ENCRYPT, CKA_SIGN, …). CloudHSM mechanisms:
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/pkcs11-mechanisms.html
 */
import type { Args } from '../args';
import * as a from '../args';
import { mustUse } from '../context';
import { invalid } from '../errors';
import { privateKey, publicKey, secret } from '../key-records';
import * as mech from '../mechanisms';
import { pooledRandomBytes } from '../random-pool';
import type { KeyObjectRecord } from '../state';
import type { OpTable } from './table';

const SIGN_MECHS = ['ecdsa', 'rsa-pss', 'rsa-pkcs1'] as const;
const SHA2 = ['sha256', 'sha384', 'sha512'] as const;
const OAEP = ['sha1', 'sha256', 'sha384', 'sha512'] as const;
/** Largest data key `aes.gcmGenerateDataKey` makes (an AES-256 key is 32 bytes; KMS allows up to 1024). */
const MAX_DATA_KEY_BYTES = 1024;

function signMech(k: KeyObjectRecord, args: Args): mech.SignMechanism {
  const type = a.oneOf(args, 'mechanism', SIGN_MECHS);
  const hash = a.oneOf(args, 'hash', SHA2);
  if ((type === 'ecdsa') !== (k.type === 'ec')) throw invalid(`mechanism ${type} does not fit a ${k.type} key`);
  return { type, hash };
}

export const cryptoOps = {
  'aes.gcmEncrypt': {
    access: 'crypto',
    cls: 'symmetric',
    fn: (ctx, args) => {
      const k = mustUse(ctx, a.str(args, 'handle', 64), 'encrypt');
      return mech.aesGcmEncrypt(secret(k, 'aes'), a.bytes(args, 'plaintext'), a.optBytes(args, 'aad') ?? Buffer.alloc(0));
    },
  },
  'aes.gcmDecrypt': {
    access: 'crypto',
    cls: 'symmetric',
    fn: (ctx, args) => {
      const k = mustUse(ctx, a.str(args, 'handle', 64), 'decrypt');
      return { plaintext: mech.aesGcmDecrypt(secret(k, 'aes'), a.bytes(args, 'iv', 64), a.bytes(args, 'ciphertext'), a.bytes(args, 'tag', 64), a.optBytes(args, 'aad') ?? Buffer.alloc(0)) };
    },
  },
  'aes.gcmGenerateDataKey': {
    // random + aes.gcmEncrypt in one request (KMS GenerateDataKey's shape): the same access rule as
    // aes.gcmEncrypt, and the data key crosses the wire once instead of twice.
    access: 'crypto',
    cls: 'symmetric',
    fn: (ctx, args) => {
      const k = mustUse(ctx, a.str(args, 'handle', 64), 'encrypt');
      const key = secret(k, 'aes');
      const plaintext = pooledRandomBytes(a.int(args, 'length', 1, MAX_DATA_KEY_BYTES));
      return { plaintext, ...mech.aesGcmEncrypt(key, plaintext, a.optBytes(args, 'aad') ?? Buffer.alloc(0)) };
    },
  },
  'rsa.encrypt': {
    access: 'crypto',
    cls: 'asymmetric',
    fn: (ctx, args) => {
      const k = mustUse(ctx, a.str(args, 'handle', 64), 'encrypt');
      if (k.type !== 'rsa') throw invalid('RSA-OAEP needs an RSA key');
      return { ciphertext: mech.rsaOaepEncrypt(publicKey(ctx.node, k), a.oneOf(args, 'hash', OAEP), a.bytes(args, 'plaintext', 1024)) };
    },
  },
  'rsa.decrypt': {
    access: 'crypto',
    cls: 'asymmetric',
    fn: (ctx, args) => {
      const k = mustUse(ctx, a.str(args, 'handle', 64), 'decrypt');
      if (k.type !== 'rsa') throw invalid('RSA-OAEP needs an RSA key');
      return { plaintext: mech.rsaOaepDecrypt(privateKey(ctx.node, k), a.oneOf(args, 'hash', OAEP), a.bytes(args, 'ciphertext', 1024)) };
    },
  },
  sign: {
    access: 'crypto',
    cls: 'asymmetric',
    fn: (ctx, args) => {
      const k = mustUse(ctx, a.str(args, 'handle', 64), 'sign');
      const m = signMech(k, args);
      return { signature: mech.signData(privateKey(ctx.node, k), m, a.bytes(args, 'data')) };
    },
  },
  verify: {
    access: 'crypto',
    cls: 'asymmetric',
    fn: (ctx, args) => {
      const k = mustUse(ctx, a.str(args, 'handle', 64), 'verify');
      const m = signMech(k, args);
      return { valid: mech.verifyData(publicKey(ctx.node, k), m, a.bytes(args, 'data'), a.bytes(args, 'signature', 1024)) };
    },
  },
  hmac: {
    access: 'crypto',
    cls: 'symmetric',
    fn: (ctx, args) => {
      const k = mustUse(ctx, a.str(args, 'handle', 64), 'sign');
      return { mac: mech.hmac(secret(k, 'any'), a.oneOf(args, 'hash', SHA2), a.bytes(args, 'data')) };
    },
  },
  'hmac.verify': {
    access: 'crypto',
    cls: 'symmetric',
    fn: (ctx, args) => {
      const k = mustUse(ctx, a.str(args, 'handle', 64), 'verify');
      return { valid: mech.hmacVerify(secret(k, 'any'), a.oneOf(args, 'hash', SHA2), a.bytes(args, 'data'), a.bytes(args, 'mac', 128)) };
    },
  },
  digest: {
    access: 'login',
    cls: 'symmetric',
    fn: (_ctx, args) => ({ digest: mech.digest(a.oneOf(args, 'hash', SHA2), a.bytes(args, 'data')) }),
  },
  random: {
    access: 'login',
    cls: 'symmetric',
    fn: (_ctx, args) => ({ bytes: pooledRandomBytes(a.int(args, 'length', 1, 65536)) }),
  },
} satisfies OpTable<'aes.gcmEncrypt' | 'aes.gcmDecrypt' | 'aes.gcmGenerateDataKey' | 'rsa.encrypt' | 'rsa.decrypt' | 'sign' | 'verify' | 'hmac' | 'hmac.verify' | 'digest' | 'random'>;
