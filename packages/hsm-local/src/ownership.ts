/**
 * Who owns a key and who it is shared with, by immutable user id. A user's id is drawn at random
 * when the user is created and never reused, so deleting a user and creating another one with the
 * same name gives the new user none of the old one's keys or shares (CloudHSM key ownership and
 * sharing: https://docs.aws.amazon.com/cloudhsm/latest/userguide/share-keys.html).
 *
 * State written before user ids existed has none: such a user's id is its object id (`u:<name>`)
 * and such a key's owner id is derived from the owner name the same way, so owners keep their
 * keys; name-based share entries of that state match no id and are dropped (fail closed).
 */
import { randomBytes } from 'node:crypto';
import type { KeyObjectRecord, UserObject } from './state';

/** A fresh user id (128 random bits). */
export function newUserId(): string {
  return `uid:${randomBytes(16).toString('hex')}`;
}

export function userIdOf(u: Pick<UserObject, 'uid' | 'name'>): string {
  return u.uid ?? `u:${u.name}`;
}

export function ownerIdOf(k: Pick<KeyObjectRecord, 'ownerId' | 'owner'>): string {
  return k.ownerId ?? `u:${k.owner}`;
}

/** The caller, as sessions carry it. */
export interface Principal {
  readonly uid: string;
}

export function ownedBy(k: KeyObjectRecord, p: Principal): boolean {
  return ownerIdOf(k) === p.uid;
}

export function sharedWith(k: KeyObjectRecord, p: Principal): boolean {
  return k.sharedWith.includes(p.uid);
}

/** The owner or a user the key is shared with. */
export function mayUse(k: KeyObjectRecord, p: Principal): boolean {
  return ownedBy(k, p) || sharedWith(k, p);
}
