/**
 * Encrypted node backups (modelled on CloudHSM's EBK/PBK scheme,
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/backups.html; docs/hsm-cluster.md#9-backups-and-restore):
 * each backup is encrypted with a fresh ephemeral backup key (EBK, AES-256-GCM); the EBK is wrapped
 * with AES key wrap (RFC 3394, SP 800-38F) under the cluster's persistent backup key (PBK), which the
 * operator keeps in the cluster directory and every node holds inside its sealed state.
 *
 * File: "SRHB" | u8 version | u32 header length | header JSON | 40-byte wrapped EBK | 12 IV | ct | 16 tag,
 * AAD = everything before the IV. Contents: the node's replicated objects and cluster secrets.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { StrongroomError } from '@strongroom/core';
import { MAX_BYTES, readBoundedFileSync } from '@strongroom/node-files';
import { aesKeyUnwrap, aesKeyWrap } from './mechanisms';
import { atomicWrite, fromJsonBytes, toJsonBytes } from './sealed-file';
import type { ClusterSecrets, ReplicatedObject } from './state';

const MAGIC = Buffer.from('SRHB', 'ascii');

/** The authenticated, unencrypted header of a backup file: format, cluster, source node, time, object count. */
export interface BackupHeader {
  format: 1;
  clusterId: string;
  sourceNodeId: string;
  createdAt: number;
  objects: number;
}

export interface BackupContents {
  cluster: ClusterSecrets;
  objects: Record<string, ReplicatedObject>;
}

/** Encrypt a backup under a fresh ephemeral key wrapped by the cluster's backup key `pbk`. */
export function encodeBackup(pbk: Buffer, header: BackupHeader, contents: BackupContents): Buffer {
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const ebk = randomBytes(32);
  const wrapped = aesKeyWrap(pbk, ebk, false);
  const prefix = Buffer.concat([MAGIC, Buffer.from([1]), Buffer.alloc(4), h, wrapped]);
  prefix.writeUInt32BE(h.length, 5);
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', ebk, iv);
  c.setAAD(prefix);
  const pt = toJsonBytes(contents);
  const ct = Buffer.concat([c.update(pt), c.final()]);
  pt.fill(0);
  ebk.fill(0);
  return Buffer.concat([prefix, iv, ct, c.getAuthTag()]);
}

/** @throws StrongroomError MALFORMED / AUTHENTICATION_FAILED for a bad file or the wrong backup key. */
export function decodeBackup(pbk: Buffer, blob: Buffer): { header: BackupHeader; contents: BackupContents } {
  if (blob.length < 9 || !blob.subarray(0, 4).equals(MAGIC) || blob[4] !== 1) throw new StrongroomError('MALFORMED', 'not a strongroom-hsm backup');
  const hl = blob.readUInt32BE(5);
  if (hl > 65536 || 9 + hl + 40 + 12 + 16 > blob.length) throw new StrongroomError('MALFORMED', 'backup header length out of range');
  const header = JSON.parse(blob.subarray(9, 9 + hl).toString('utf8')) as BackupHeader;
  const prefixEnd = 9 + hl + 40;
  const ebk = aesKeyUnwrap(pbk, blob.subarray(9 + hl, prefixEnd), false);
  const d = createDecipheriv('aes-256-gcm', ebk, blob.subarray(prefixEnd, prefixEnd + 12));
  d.setAAD(blob.subarray(0, prefixEnd));
  d.setAuthTag(blob.subarray(blob.length - 16));
  try {
    const pt = Buffer.concat([d.update(blob.subarray(prefixEnd + 12, blob.length - 16)), d.final()]);
    return { header, contents: fromJsonBytes<BackupContents>(pt) };
  } catch {
    throw new StrongroomError('AUTHENTICATION_FAILED', 'backup failed authentication (altered, or another cluster\'s backup key)');
  } finally {
    ebk.fill(0);
  }
}

/** How many backups to keep and for how long; the newest is never removed. */
export interface RetentionPolicy {
  /** Keep at most this many backups (default 10). */
  keepLast?: number;
  /** Delete backups older than this (default 90 days, CloudHSM's default retention). */
  maxAgeDays?: number;
}

/** Apply retention to a backup directory. The newest backup is never deleted (as CloudHSM). Returns deleted file names. */
export function applyRetention(dir: string, policy: RetentionPolicy = {}, now = Date.now()): string[] {
  const keep = Math.max(1, policy.keepLast ?? 10);
  const maxAge = (policy.maxAgeDays ?? 90) * 86_400_000;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.hsmbackup'))
    .map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs }))
    .sort((x, y) => y.t - x.t);
  const deleted: string[] = [];
  files.forEach(({ f, t }, i) => {
    if (i === 0) return;
    if (i >= keep || now - t > maxAge) {
      unlinkSync(join(dir, f));
      deleted.push(f);
    }
  });
  return deleted;
}

/** Write an encrypted backup file into `dir` (exclusively created, then renamed) and apply the retention policy. */
export async function writeBackupFile(dir: string, pbk: Buffer, header: BackupHeader, contents: BackupContents, retention?: RetentionPolicy): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const name = `${header.clusterId}-${header.sourceNodeId}-${new Date(header.createdAt).toISOString().replace(/[:.]/g, '')}-${randomBytes(3).toString('hex')}.hsmbackup`;
  const path = join(dir, name);
  await atomicWrite(path, encodeBackup(pbk, header, contents));
  applyRetention(dir, retention);
  return path;
}

/**
 * Read and decrypt a backup file with the cluster's backup key.
 *
 * @throws StrongroomError `MALFORMED` or `AUTHENTICATION_FAILED` for a damaged, altered or foreign backup.
 */
export function readBackupFile(path: string, pbk: Buffer) {
  return decodeBackup(pbk, readBoundedFileSync(path, { what: 'backup file', maxBytes: MAX_BYTES.backup }));
}
