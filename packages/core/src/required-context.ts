/**
 * Required encryption context: pairs of the encryption context that are authenticated but not
 * stored in the message (the "encryption context to only authenticate").
 *
 * spec: client-apis/encrypt.md and client-apis/decrypt.md (the header authentication AAD is the
 * header body ‖ the serialization of the encryption context to only authenticate);
 * framework/cmm-interface.md (decrypt materials: reproduced encryption context — a pair present in
 * both the reproduced and the stored context MUST have equal values; a reproduced pair absent from
 * the stored context is appended and becomes a required key);
 * framework/required-encryption-context-cmm.md (the required keys MUST be in the context on encrypt,
 * and in the reproduced context on decrypt).
 */
import { isEmpty, serializeEncryptionContext } from './encryption-context';
import { StrongroomError } from './errors';
import type { EncryptionContext } from './key-provider';

const NO_KEYS: readonly string[] = Object.freeze([]);
/** No pairs to only authenticate (frozen: shared by every decrypt that reproduces nothing), and its zero bytes. */
const NOTHING: EncryptionContext = Object.freeze(Object.create(null) as Record<string, string>);
const NO_BYTES = new Uint8Array(0);

/**
 * Validate a caller's list of required keys (a union of the lists given): strings, no duplicates
 * kept, sorted (so that equal sets give equal cache keys).
 */
export function checkRequiredKeys(lists: readonly unknown[], name = 'requiredEncryptionContextKeys'): readonly string[] {
  // The common case, nothing required anywhere: one shared empty list.
  if (lists.every((list) => list === undefined || (Array.isArray(list) && list.length === 0))) return NO_KEYS;
  const keys = new Set<string>();
  for (const list of lists) {
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new StrongroomError('INVALID_ARGUMENT', `${name}: expected an array of strings`);
    for (const key of list) {
      if (typeof key !== 'string' || key.length === 0) throw new StrongroomError('INVALID_ARGUMENT', `${name}: every entry must be a non-empty string`);
      keys.add(key);
    }
  }
  return [...keys].sort();
}

/**
 * On encrypt: split the caller's full context into what the header stores and what it only
 * authenticates. Every required key must be in the context.
 */
export function splitForEncrypt(
  context: EncryptionContext,
  requiredKeys: readonly string[],
): { stored: EncryptionContext; onlyAuthenticate: EncryptionContext } {
  // Nothing required: the context is stored whole (and keeps its identity, which header.ts memoizes on).
  if (requiredKeys.length === 0) return { stored: context, onlyAuthenticate: NOTHING };
  const onlyAuthenticate: Record<string, string> = Object.create(null);
  const stored: Record<string, string> = Object.create(null);
  const required = new Set(requiredKeys);
  for (const key of required) {
    if (!Object.hasOwn(context, key)) {
      throw new StrongroomError(
        'ENCRYPTION_CONTEXT',
        `requiredEncryptionContextKeys names "${key}", but encryptionContext has no "${key}": add the pair to encryptionContext or drop the key from the list`,
      );
    }
  }
  for (const [k, v] of Object.entries(context)) (required.has(k) ? onlyAuthenticate : stored)[k] = v;
  return { stored, onlyAuthenticate };
}

/**
 * On decrypt: merge the message's stored context with the caller's reproduced context.
 * `full` is what the data key was wrapped under and what the message authenticates; `onlyAuthenticate`
 * holds the reproduced pairs the message does not store (they go into the header AAD).
 */
export function mergeReproduced(
  stored: EncryptionContext,
  reproduced: EncryptionContext,
  requiredKeys: readonly string[],
): { full: EncryptionContext; onlyAuthenticate: EncryptionContext } {
  for (const key of requiredKeys) {
    if (!Object.hasOwn(reproduced, key)) {
      throw new StrongroomError(
        'ENCRYPTION_CONTEXT',
        `Required encryption context key "${key}" is missing: pass it, with the value used at encryption, in decrypt's encryptionContext`,
        { details: { missingKey: key } },
      );
    }
  }
  // Nothing reproduced (the common case): the stored pairs are the full context, nothing is added.
  if (requiredKeys.length === 0 && isEmpty(reproduced)) return { full: stored, onlyAuthenticate: NOTHING };
  const full: Record<string, string> = Object.assign(Object.create(null), stored);
  const onlyAuthenticate: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(reproduced)) {
    if (Object.hasOwn(stored, k)) {
      if (stored[k] !== v) {
        throw new StrongroomError(
          'ENCRYPTION_CONTEXT',
          `decrypt's encryptionContext gives "${k}" a value that differs from the one stored in the message: pass the stored value or leave "${k}" out`,
          { details: { key: k } },
        );
      }
    } else {
      full[k] = v;
      onlyAuthenticate[k] = v;
    }
  }
  return { full, onlyAuthenticate };
}

/** The bytes appended to the header body in the header authentication AAD (empty context → none). */
export function onlyAuthenticateAad(onlyAuthenticate: EncryptionContext): Uint8Array {
  return onlyAuthenticate === NOTHING ? NO_BYTES : serializeEncryptionContext(onlyAuthenticate);
}
