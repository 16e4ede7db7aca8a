/**
 * Finding and describing a token's key objects for the PKCS#11 backend (./client): by label (and
 * class), each found handle described as an {@link HsmKeyRef} from its CKA_CLASS and CKA_KEY_TYPE, and
 * a key's public half exported as SubjectPublicKeyInfo. Every function runs on an open session.
 */
import { StrongroomError } from '@strongroom/core';
import type { HsmKeyRef, HsmKeyType } from '../backend';
import type { LoadedLibrary } from './library';
import { CURVES, ecJwk, readUlong, spkiFromJwk } from './templates';

type Handle = Buffer;
/** The loaded module: its functions and its constants. */
type Module = Pick<LoadedLibrary, 'p11' | 'mod'>;

/** Handles of the objects labelled `label` (of class `cls`, if given); at most 16. */
export function findHandles({ p11, mod: P }: Module, s: Handle, label: string, cls?: number): Handle[] {
  const template: { type: number; value: string | number }[] = [{ type: P.CKA_LABEL, value: label }];
  if (cls !== undefined) template.push({ type: P.CKA_CLASS, value: cls });
  p11.C_FindObjectsInit(s, template);
  try {
    return p11.C_FindObjects(s, 16);
  } finally {
    p11.C_FindObjectsFinal(s);
  }
}

/**
 * A key object as an {@link HsmKeyRef}: class, type and size read from the token.
 * @throws StrongroomError KEY_UNAVAILABLE (not a key), UNSUPPORTED (a key type or curve the backend does not use).
 */
export function describeKey({ p11, mod: P }: Module, s: Handle, handle: Handle, label: string): HsmKeyRef {
  const [cls, keyType] = p11.C_GetAttributeValue(s, handle, [{ type: P.CKA_CLASS }, { type: P.CKA_KEY_TYPE }]).map((a) => readUlong(a.value));
  let klass: HsmKeyRef['class'];
  if (cls === P.CKO_SECRET_KEY) klass = 'secret';
  else if (cls === P.CKO_PRIVATE_KEY) klass = 'private';
  else if (cls === P.CKO_PUBLIC_KEY) klass = 'public';
  else throw new StrongroomError('KEY_UNAVAILABLE', `PKCS#11 object ${JSON.stringify(label)} is not a key`);
  let type: HsmKeyType;
  let bits: number;
  if (keyType === P.CKK_AES || keyType === P.CKK_GENERIC_SECRET) {
    type = keyType === P.CKK_AES ? 'aes' : 'generic-secret';
    bits = readUlong(p11.C_GetAttributeValue(s, handle, [{ type: P.CKA_VALUE_LEN }])[0]!.value) * 8;
  } else if (keyType === P.CKK_RSA) {
    type = 'rsa';
    bits = p11.C_GetAttributeValue(s, handle, [{ type: P.CKA_MODULUS }])[0]!.value.length * 8;
  } else if (keyType === P.CKK_EC) {
    type = 'ec';
    const params = p11.C_GetAttributeValue(s, handle, [{ type: P.CKA_EC_PARAMS }])[0]!.value;
    const curve = Object.values(CURVES).find((c) => c.oid.equals(params));
    if (!curve) throw new StrongroomError('UNSUPPORTED', `PKCS#11 key ${JSON.stringify(label)} is on an unsupported curve`);
    bits = curve.bits;
  } else {
    throw new StrongroomError('UNSUPPORTED', `PKCS#11 key ${JSON.stringify(label)} has an unsupported key type 0x${keyType!.toString(16)}`);
  }
  return Object.freeze({ handle: handle.toString('hex'), label, type, bits, class: klass });
}

/**
 * The DER SubjectPublicKeyInfo of an RSA or EC key. The public object carries the key's values; a
 * private key is mapped to its public half by CKA_ID and label.
 * @throws StrongroomError KEY_UNAVAILABLE when the private key has no unique public half on the token.
 */
export function publicKeySpki({ p11, mod: P }: Module, s: Handle, key: HsmKeyRef, handle: Handle): Uint8Array {
  let pub = handle;
  if (key.class === 'private') {
    const [idAttr] = p11.C_GetAttributeValue(s, handle, [{ type: P.CKA_ID }]);
    p11.C_FindObjectsInit(s, [
      { type: P.CKA_CLASS, value: P.CKO_PUBLIC_KEY },
      { type: P.CKA_ID, value: idAttr!.value },
      { type: P.CKA_LABEL, value: key.label },
    ]);
    let found: Handle[];
    try {
      found = p11.C_FindObjects(s, 2);
    } finally {
      p11.C_FindObjectsFinal(s);
    }
    if (found.length !== 1) throw new StrongroomError('KEY_UNAVAILABLE', `PKCS#11: no unique public key for ${JSON.stringify(key.label)}`);
    pub = found[0]!;
  }
  if (key.type === 'rsa') {
    const [n, e] = p11.C_GetAttributeValue(s, pub, [{ type: P.CKA_MODULUS }, { type: P.CKA_PUBLIC_EXPONENT }]);
    return spkiFromJwk({ kty: 'RSA', n: n!.value.toString('base64url'), e: e!.value.toString('base64url') });
  }
  const [point] = p11.C_GetAttributeValue(s, pub, [{ type: P.CKA_EC_POINT }]);
  return spkiFromJwk(ecJwk(point!.value, key.bits));
}
