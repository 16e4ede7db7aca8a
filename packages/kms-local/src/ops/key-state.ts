/**
 * What several kms-local operations check or do to a key: it may change (not pending deletion), it
 * is a symmetric encryption key, KMS can rotate it, a new version of its backing key; and the shape
 * of every operation handler.
 */
import type { KmsContext } from '../context';
import { invalidState, unsupported } from '../errors';
import type { Input } from '../input';
import type { KeyRecord } from '../model';

/** One day in milliseconds (deletion windows and rotation periods are in days). */
export const DAY = 86_400_000;

/** An operation handler: the request's JSON body in, the response's JSON body (or a promise of it) out. */
export type Op = (ctx: KmsContext, input: Input) => unknown;

/** Refuse a change to a key pending deletion (KMSInvalidStateException). */
export function mutable(ctx: KmsContext, key: KeyRecord): void {
  if (key.KeyState === 'PendingDeletion') throw invalidState(`${ctx.keyArn(key.KeyId)} is pending deletion.`);
}

/** Refuse rotation of anything but a symmetric encryption key. */
export function symmetricOnly(ctx: KmsContext, key: KeyRecord): void {
  if (key.KeySpec !== 'SYMMETRIC_DEFAULT') {
    throw unsupported(`${ctx.keyArn(key.KeyId)} does not support key rotation: only symmetric encryption keys do.`);
  }
}

/** Rotation is not available for keys in custom key stores (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html). */
export function rotatable(ctx: KmsContext, key: KeyRecord): void {
  symmetricOnly(ctx, key);
  if (key.CustomKeyStoreId !== undefined) throw unsupported(`${ctx.keyArn(key.KeyId)} is in a custom key store; KMS cannot rotate its key material.`);
}

/** A new version of a symmetric key's backing key (its first at CreateKey, the next at each rotation). */
export async function addBackingKey(ctx: KmsContext, key: KeyRecord, rotationType?: 'AUTOMATIC' | 'ON_DEMAND'): Promise<void> {
  const backing = (key.backing ??= []);
  const version = (backing[backing.length - 1]?.version ?? 0) + 1;
  const handle = await ctx.materialStore.createSymmetricKey(key.KeyId, version);
  backing.push({ version, handle, created: ctx.now(), ...(rotationType && { rotationType }) });
}
