/**
 * Sealed, atomically replaced files (docs/hsm-cluster.md#10-durability-and-tamper-response).
 *
 * Seal: `SRHS` | u8 version | u8 purpose-length | purpose | 12-byte IV | AES-256-GCM ciphertext | 16-byte tag,
 * AAD = everything before the IV plus a caller binding (node id, cluster id), so a file cannot be moved
 * between nodes or purposes. A file that fails authentication is reported as TAMPERED, never parsed.
 *
 * Atomic replace: create a temp file with an unpredictable name exclusively (O_CREAT|O_EXCL, so a planted
 * file or symlink is never followed), fsync it, rename over the target, fsync the
 * directory (POSIX rename is atomic; the directory fsync makes the rename itself durable). A crash at
 * any instant leaves either the old file or the new one.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { promises as fsp, openSync, fsyncSync, closeSync, writeSync, renameSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { StrongroomError } from '@strongroom/core';

const MAGIC = Buffer.from('SRHS', 'ascii');
const VERSION = 1;

export class TamperError extends StrongroomError {
  constructor(message: string) {
    super('AUTHENTICATION_FAILED', message, { details: { reason: 'TAMPERED' } });
  }
}

/** Encrypt `plaintext` under `key` (32 bytes) for `purpose`, bound to `binding`. */
export function seal(key: Uint8Array, purpose: string, binding: string, plaintext: Uint8Array): Buffer {
  const p = Buffer.from(purpose, 'utf8');
  const header = Buffer.concat([MAGIC, Buffer.from([VERSION, p.length]), p]);
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.concat([header, Buffer.from(binding, 'utf8')]));
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([header, iv, ct, c.getAuthTag()]);
}

/**
 * Decrypt a sealed blob.
 * @throws TamperError when the header is wrong or authentication fails.
 */
export function unseal(key: Uint8Array, purpose: string, binding: string, blob: Uint8Array): Buffer {
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const p = Buffer.from(purpose, 'utf8');
  const headerLen = 6 + p.length;
  if (b.length < headerLen + 12 + 16 || !b.subarray(0, 4).equals(MAGIC) || b[4] !== VERSION || b[5] !== p.length || !b.subarray(6, headerLen).equals(p)) {
    throw new TamperError(`sealed ${purpose}: bad header`);
  }
  const iv = b.subarray(headerLen, headerLen + 12);
  const tag = b.subarray(b.length - 16);
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAAD(Buffer.concat([b.subarray(0, headerLen), Buffer.from(binding, 'utf8')]));
  d.setAuthTag(tag);
  try {
    return Buffer.concat([d.update(b.subarray(headerLen + 12, b.length - 16)), d.final()]);
  } catch {
    throw new TamperError(`sealed ${purpose}: authentication failed`);
  }
}

/** Atomically replace `path` with `data` (temp + fsync + rename + dir fsync). */
export async function atomicWrite(path: string, data: Uint8Array, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await fsp.open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, path);
  const dh = await fsp.open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** Synchronous variant for init-time writes. */
export function atomicWriteSync(path: string, data: Uint8Array | string, mode = 0o600): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/** JSON with binary fields: Buffers/Uint8Arrays round-trip as `{ "$b": base64 }`. */
export function toJsonBytes(value: unknown): Buffer {
  return Buffer.from(
    JSON.stringify(value, (_k, v: unknown) => {
      if (v instanceof Uint8Array) return { $b: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
      if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
        return { $b: Buffer.from((v as { data: number[] }).data).toString('base64') };
      }
      return v;
    }),
    'utf8',
  );
}

export function fromJsonBytes<T>(bytes: Uint8Array): T {
  return JSON.parse(Buffer.from(bytes).toString('utf8'), (_k, v: unknown) => {
    if (v && typeof v === 'object' && typeof (v as { $b?: unknown }).$b === 'string' && Object.keys(v).length === 1) {
      return Buffer.from((v as { $b: string }).$b, 'base64');
    }
    return v;
  }) as T;
}
