/**
 * Masked objects (https://docs.aws.amazon.com/cloudhsm/latest/userguide/manage-key-sync.html): a replicated object encrypted under the cluster masking key
 * before it leaves a node, so only a node of the same cluster can unmask it. AES-256-GCM with
 * AAD = object id ‖ version ‖ kind, so a blob cannot be relabelled or rolled back silently.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { StrongroomError } from '@strongroom/core';
import { fromJsonBytes, toJsonBytes } from './sealed-file';
import type { ReplicatedObject } from './state';

export interface MaskedObject {
  id: string;
  version: number;
  kind: string;
  iv: Buffer;
  ct: Buffer;
  tag: Buffer;
}

function aad(id: string, version: number, kind: string): Buffer {
  return Buffer.from(`${id}\u0000${version}\u0000${kind}`, 'utf8');
}

export function maskObject(maskingKey: Buffer, obj: ReplicatedObject): MaskedObject {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', maskingKey, iv);
  c.setAAD(aad(obj.id, obj.version, obj.kind));
  const pt = toJsonBytes(obj);
  const ct = Buffer.concat([c.update(pt), c.final()]);
  pt.fill(0);
  return { id: obj.id, version: obj.version, kind: obj.kind, iv, ct, tag: c.getAuthTag() };
}

/** @throws StrongroomError AUTHENTICATION_FAILED if the blob was not masked by this cluster or was altered. */
export function unmaskObject(maskingKey: Buffer, m: MaskedObject): ReplicatedObject {
  try {
    const d = createDecipheriv('aes-256-gcm', maskingKey, m.iv);
    d.setAAD(aad(m.id, m.version, m.kind));
    d.setAuthTag(m.tag);
    const pt = Buffer.concat([d.update(m.ct), d.final()]);
    const obj = fromJsonBytes<ReplicatedObject>(pt);
    pt.fill(0);
    if (obj.id !== m.id || obj.version !== m.version || obj.kind !== m.kind) throw new Error('header mismatch');
    return obj;
  } catch (cause) {
    throw new StrongroomError('AUTHENTICATION_FAILED', 'masked object failed authentication (not from this cluster, or altered)', { cause });
  }
}

/** Strict shape check for a masked object received from the wire. */
export function asMaskedObject(v: unknown): MaskedObject {
  const o = v as Record<string, unknown>;
  if (!o || typeof o !== 'object' || typeof o.id !== 'string' || typeof o.version !== 'number' || typeof o.kind !== 'string' ||
    !(o.iv instanceof Uint8Array) || o.iv.length !== 12 || !(o.ct instanceof Uint8Array) || !(o.tag instanceof Uint8Array) || o.tag.length !== 16) {
    throw new StrongroomError('MALFORMED', 'not a masked object');
  }
  return { id: o.id, version: o.version, kind: o.kind, iv: Buffer.from(o.iv), ct: Buffer.from(o.ct), tag: Buffer.from(o.tag) };
}
