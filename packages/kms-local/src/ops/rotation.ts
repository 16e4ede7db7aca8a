/**
 * Key rotation (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html): automatic
 * rotation on a period of 90 to 2,560 days (default 365), on-demand rotation (at most 25 per key),
 * their status and history. Only symmetric encryption keys outside custom key stores rotate; a
 * rotation adds a backing key version, and older versions keep decrypting. Mutations persist
 * (ctx.commit) before they answer.
 */
import type { KmsContext } from '../context';
import { KmsError } from '../errors';
import { epochSeconds, optInt, reqString } from '../input';
import type { KeyRecord } from '../model';
import { addBackingKey, DAY, rotatable, symmetricOnly, type Op } from './key-state';

/** When a key's next automatic rotation is due (ms), or undefined when rotation is off. */
export function nextRotation(key: KeyRecord): number | undefined {
  if (!key.rotation?.enabled) return undefined;
  const lastAutomaticOrStart = Math.max(
    key.rotation.enabledAt,
    ...(key.backing ?? []).filter((b) => b.rotationType === 'AUTOMATIC').map((b) => b.created),
  );
  return lastAutomaticOrStart + key.rotation.periodDays * DAY;
}

/** Automatic rotation: add a backing key to every enabled key whose rotation is due, then persist. */
export async function rotateDueKeys(ctx: KmsContext): Promise<void> {
  const t = ctx.now();
  let changed = false;
  for (const key of Object.values(ctx.state.keys)) {
    const due = nextRotation(key);
    if (due !== undefined && due <= t && key.KeyState === 'Enabled') {
      await addBackingKey(ctx, key, 'AUTOMATIC');
      changed = true;
    }
  }
  // commit() also purges keys past their deletion date.
  if (changed || Object.values(ctx.state.keys).some((k) => k.DeletionDate !== undefined && k.DeletionDate <= t)) await ctx.commit();
}

export const rotationOps: Record<string, Op> = {
  async EnableKeyRotation(ctx, input) {
    const key = ctx.resolve(reqString(input, 'KeyId', 2048));
    rotatable(ctx, key);
    ctx.checkUsable(key);
    const periodDays = optInt(input, 'RotationPeriodInDays', 90, 2560) ?? 365;
    key.rotation = { enabled: true, periodDays, enabledAt: key.rotation?.enabled ? key.rotation.enabledAt : ctx.now() };
    await ctx.commit();
    return {};
  },

  async DisableKeyRotation(ctx, input) {
    const key = ctx.resolve(reqString(input, 'KeyId', 2048));
    rotatable(ctx, key);
    ctx.checkUsable(key);
    if (key.rotation) key.rotation.enabled = false;
    await ctx.commit();
    return {};
  },

  GetKeyRotationStatus(ctx, input) {
    const key = ctx.resolve(reqString(input, 'KeyId', 2048));
    symmetricOnly(ctx, key);
    const enabled = key.rotation?.enabled === true;
    return {
      KeyId: ctx.keyArn(key.KeyId),
      KeyRotationEnabled: enabled,
      ...(enabled && {
        RotationPeriodInDays: key.rotation!.periodDays,
        NextRotationDate: epochSeconds(nextRotation(key)!),
      }),
    };
  },

  async RotateKeyOnDemand(ctx, input) {
    const key = ctx.resolve(reqString(input, 'KeyId', 2048));
    rotatable(ctx, key);
    ctx.checkUsable(key);
    if ((key.backing?.filter((b) => b.rotationType === 'ON_DEMAND').length ?? 0) >= 25) {
      throw new KmsError('LimitExceededException', 'The on-demand rotation limit (25) for this key has been reached.');
    }
    await addBackingKey(ctx, key, 'ON_DEMAND');
    await ctx.commit();
    return { KeyId: ctx.keyArn(key.KeyId) };
  },

  ListKeyRotations(ctx, input) {
    const key = ctx.resolve(reqString(input, 'KeyId', 2048));
    symmetricOnly(ctx, key);
    return {
      Rotations: (key.backing ?? [])
        .filter((b) => b.rotationType !== undefined)
        .map((b) => ({ KeyId: ctx.keyArn(key.KeyId), RotationDate: epochSeconds(b.created), RotationType: b.rotationType })),
      Truncated: false,
    };
  },
};
