/**
 * Framed objects: the object body is an AWS Encryption SDK message (version 2, suite 0x0478
 * ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY, framed); the object metadata only marks the format.
 * spec: AWS Encryption SDK specification, data-format/message.md and client-apis/encrypt.md /
 * decrypt.md ("encryption context to only authenticate"); S3 user-defined metadata:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html
 *
 * The bucket/key binding: the object's bucket and key are required encryption context — wrapped into
 * the data key and authenticated by the header tag, never stored. The header stores (authenticated)
 * `strongroom:binding = bucket,key`, so a reader knows to reproduce them from its own request, and
 * an attacker cannot strip the binding without failing the header tag.
 */
import { FINAL_FRAME_OVERHEAD, REGULAR_FRAME_OVERHEAD, StrongroomError, type EncryptionContext } from '@strongroom/core';
import type { ResolvedConfig } from './options';

/** Object metadata (without `x-amz-meta-`) marking a framed object; its value is {@link FRAMED_FORMAT_VALUE}. */
export const FRAMED_FORMAT_METADATA = 'x-strongroom-format';
/** The value of {@link FRAMED_FORMAT_METADATA}: the body is an AWS Encryption SDK message (v2, 0x0478, framed). */
export const FRAMED_FORMAT_VALUE = 'esdk-framed';
/** Encryption-context keys this format reserves (a caller's context may not use the prefix). */
export const RESERVED_CONTEXT_PREFIX = 'strongroom:';
/** Stored (authenticated) pair saying which required pairs the object is bound to. */
export const BINDING_CONTEXT_KEY = 'strongroom:binding';
export const BINDING_VALUE = 'bucket,key';
/** Required pair (authenticated, not stored) holding the object's bucket; the reader supplies it from its own request. */
export const BUCKET_CONTEXT_KEY = 'strongroom:bucket';
/** Required pair (authenticated, not stored) holding the object's key; the reader supplies it from its own request. */
export const KEY_CONTEXT_KEY = 'strongroom:key';
const BOUND_KEYS = [BUCKET_CONTEXT_KEY, KEY_CONTEXT_KEY] as const;

/** Whether object metadata marks a framed object (an unknown value of the marker is MALFORMED). */
export function isFramedObject(metadata: Record<string, string> | undefined): boolean {
  const v = metadata?.[FRAMED_FORMAT_METADATA];
  if (v === undefined) return false;
  if (v !== FRAMED_FORMAT_VALUE) throw new StrongroomError('MALFORMED', `${FRAMED_FORMAT_METADATA}: unknown format "${v.slice(0, 32)}"`);
  return true;
}

function location(bucket: string | undefined, key: string | undefined): { bucket: string; key: string } {
  if (typeof bucket !== 'string' || bucket === '' || typeof key !== 'string' || key === '') {
    throw new StrongroomError('INVALID_ARGUMENT', 'Bucket and Key are required for a framed object (they are bound into its encryption)');
  }
  return { bucket, key };
}

function checkCallerContext(context: EncryptionContext): void {
  for (const k of Object.keys(context)) {
    if (k.startsWith(RESERVED_CONTEXT_PREFIX)) {
      throw new StrongroomError('ENCRYPTION_CONTEXT', `encryptionContext: keys starting with "${RESERVED_CONTEXT_PREFIX}" are reserved for framed objects ("${k}")`);
    }
  }
}

/** encryptionContext / requiredEncryptionContextKeys for writing a framed object at bucket/key. */
export function writeContext(
  cfg: ResolvedConfig,
  bucket: string | undefined,
  key: string | undefined,
  caller: EncryptionContext,
): { encryptionContext: EncryptionContext; requiredEncryptionContextKeys: readonly string[] } {
  checkCallerContext(caller);
  const loc = location(bucket, key);
  const encryptionContext: Record<string, string> = Object.assign(Object.create(null), caller);
  if (!cfg.bindLocation) return { encryptionContext, requiredEncryptionContextKeys: [] };
  encryptionContext[BINDING_CONTEXT_KEY] = BINDING_VALUE;
  encryptionContext[BUCKET_CONTEXT_KEY] = loc.bucket;
  encryptionContext[KEY_CONTEXT_KEY] = loc.key;
  return { encryptionContext, requiredEncryptionContextKeys: BOUND_KEYS };
}

/**
 * The reproduced context for reading a framed object whose header stores `stored`, requested at
 * bucket/key: the binding pairs from the request when the header says the object is bound. An
 * unbound object is refused unless the client opted out (bindLocation: false).
 */
export function readContext(
  cfg: ResolvedConfig,
  stored: EncryptionContext,
  bucket: string | undefined,
  key: string | undefined,
  caller: EncryptionContext,
): { encryptionContext: EncryptionContext; requiredEncryptionContextKeys: readonly string[] } {
  checkCallerContext(caller);
  const binding = Object.hasOwn(stored, BINDING_CONTEXT_KEY) ? stored[BINDING_CONTEXT_KEY] : undefined;
  const encryptionContext: Record<string, string> = Object.assign(Object.create(null), caller);
  if (binding === undefined) {
    if (cfg.bindLocation) {
      throw new StrongroomError(
        'ENCRYPTION_CONTEXT',
        'This framed object is not bound to its bucket and key (written with bindLocation: false), so it may have been copied here from elsewhere; ' +
          'set bindLocation: false to read relocatable objects, or re-encrypt it in place with copyObject()',
      );
    }
    return { encryptionContext, requiredEncryptionContextKeys: [] };
  }
  if (binding !== BINDING_VALUE) throw new StrongroomError('MALFORMED', `${BINDING_CONTEXT_KEY}: unknown binding "${binding.slice(0, 32)}"`);
  const loc = location(bucket, key);
  encryptionContext[BUCKET_CONTEXT_KEY] = loc.bucket;
  encryptionContext[KEY_CONTEXT_KEY] = loc.key;
  return { encryptionContext, requiredEncryptionContextKeys: BOUND_KEYS };
}

/**
 * After the header authenticated: the caller's context must equal the object's (stored pairs minus
 * the reserved ones), as for V3 objects.
 */
export function checkReadContext(full: EncryptionContext, caller: EncryptionContext): void {
  const objectKeys = Object.keys(full).filter((k) => !k.startsWith(RESERVED_CONTEXT_PREFIX));
  const same = objectKeys.length === Object.keys(caller).length && objectKeys.every((k) => Object.hasOwn(caller, k) && caller[k] === full[k]);
  if (!same) {
    throw new StrongroomError('ENCRYPTION_CONTEXT', 'encryptionContext does not match the one the object was written with: pass exactly the pairs used on upload', {
      details: { objectKeys: objectKeys.sort() },
    });
  }
}

/** A wrong bucket/key cannot be told apart from tampering; say so when a bound object fails to open. */
export function explainBindingFailure(error: unknown, bucket: string | undefined, key: string | undefined, bound: boolean): unknown {
  if (!bound || !StrongroomError.isInstance(error)) return error;
  if (error.code !== 'AUTHENTICATION_FAILED' && error.code !== 'NO_DECRYPTION_KEY') return error;
  return new StrongroomError(
    error.code,
    `The framed object at ${bucket}/${key} does not open under its own bucket and key: it was copied or moved here from another location, ` +
      'or altered, or its key is not one of this client\'s providers. Objects are bound to where they were written: re-encrypt with copyObject() to move one.',
    { cause: error },
  );
}

/** requireBinding refuses a V2/V3 object: that format does not bind an object to its bucket and key. */
export function unboundRefusal(): StrongroomError {
  return new StrongroomError(
    'ENCRYPTION_CONTEXT',
    'requireBinding: this object is in the V2/V3 format, which does not bind it to its bucket and key (it may have been copied here); re-encrypt it with copyObject() to a framed object',
  );
}

/** The object metadata of a framed object (the caller's plus the format marker). */
export function framedMetadata(user: Record<string, string> | undefined): Record<string, string> {
  return { ...(user ?? {}), [FRAMED_FORMAT_METADATA]: FRAMED_FORMAT_VALUE };
}

/** Frames of a message of `plaintextLength` bytes: at least one (the final frame may be empty). */
export function frameCount(plaintextLength: number, frameLength: number): number {
  return Math.max(1, Math.ceil(plaintextLength / frameLength));
}

/** The total length of a framed message. */
export function framedLength(headerLength: number, frameLength: number, plaintextLength: number): number {
  const frames = frameCount(plaintextLength, frameLength);
  return headerLength + (frames - 1) * REGULAR_FRAME_OVERHEAD + FINAL_FRAME_OVERHEAD + plaintextLength;
}
