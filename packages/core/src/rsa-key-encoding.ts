/**
 * RSA key encodings for Web Crypto, which imports only SubjectPublicKeyInfo (RFC 5280 §4.1) and
 * PKCS#8 PrivateKeyInfo (RFC 5208 §5) DER: PEM (RFC 7468) is unwrapped, and PKCS#1 RSAPublicKey /
 * RSAPrivateKey (RFC 8017 Appendix A.1) are wrapped into those with the rsaEncryption algorithm
 * identifier (RFC 8017 Appendix A.2: OID 1.2.840.113549.1.1.1, NULL parameters). DER lengths per
 * ITU-T X.690 §8.1.3.
 */
import { concatBytes, fromBase64 } from './bytes';
import { StrongroomError } from './errors';

/** SEQUENCE { OID rsaEncryption, NULL }. */
const RSA_ALGORITHM = Uint8Array.of(0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00);

function derLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function der(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concatBytes(content);
  return concatBytes([Uint8Array.of(tag), derLength(body.length), body]);
}

/** The DER key of the kind Web Crypto imports ('spki' or 'pkcs8'). */
export interface RsaKeyDer {
  readonly format: 'spki' | 'pkcs8';
  readonly der: Uint8Array;
}

const LABELS: Record<string, (body: Uint8Array) => RsaKeyDer> = {
  'PUBLIC KEY': (body) => ({ format: 'spki', der: body }),
  'RSA PUBLIC KEY': (body) => ({ format: 'spki', der: der(0x30, RSA_ALGORITHM, der(0x03, Uint8Array.of(0), body)) }),
  'PRIVATE KEY': (body) => ({ format: 'pkcs8', der: body }),
  'RSA PRIVATE KEY': (body) => ({ format: 'pkcs8', der: der(0x30, Uint8Array.of(0x02, 0x01, 0x00), RSA_ALGORITHM, der(0x04, body)) }),
};

/**
 * A PEM string (SPKI, PKCS#8 or PKCS#1) or DER bytes (SPKI for a public key, PKCS#8 for a private
 * one) as Web Crypto import input. Throws INVALID_ARGUMENT for anything else (an encrypted PEM included).
 */
export function rsaKeyDer(input: string | Uint8Array, kind: 'public' | 'private'): RsaKeyDer {
  if (input instanceof Uint8Array) return { format: kind === 'public' ? 'spki' : 'pkcs8', der: input };
  const match = /^\s*-----BEGIN ([A-Z ]+)-----\r?\n([A-Za-z0-9+/=\r\n]+?)-----END \1-----\s*$/.exec(String(input));
  const wrap = match && LABELS[match[1]!];
  if (!match || !wrap || (kind === 'public') !== match[1]!.includes('PUBLIC')) {
    throw new StrongroomError('INVALID_ARGUMENT', `${kind}Key: expected a PEM ${kind === 'public' ? 'PUBLIC KEY or RSA PUBLIC KEY' : 'PRIVATE KEY or RSA PRIVATE KEY'} (unencrypted) or DER bytes`);
  }
  try {
    return wrap(fromBase64(match[2]!.replace(/[\r\n]/g, ''), `${kind}Key`));
  } catch (e) {
    throw new StrongroomError('INVALID_ARGUMENT', `${kind}Key: the PEM body is not valid base64`, { cause: e });
  }
}
