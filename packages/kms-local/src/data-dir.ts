/**
 * The data directory: crash-safe persistence of the server state.
 *
 * `state.json` is replaced atomically: write a temp file, fsync it, rename over the old file,
 * fsync the directory — a crash at any instant leaves the previous or the next state, never a torn
 * one. `master.key` (32 random bytes, 0600) seals key material at rest (see seal.ts); whoever can
 * read the data directory can read the keys, as with any software KMS — protect the directory.
 */
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

async function fsyncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Atomically replace `path` with `data` (temp file + fsync + rename + directory fsync). */
export async function writeFileAtomic(path: string, data: Uint8Array | string, mode = 0o600): Promise<void> {
  const dir = join(path, '..');
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const h = await open(tmp, 'wx', mode);
  try {
    await h.writeFile(data);
    await h.sync();
  } catch (e) {
    await h.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await h.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fsyncDir(dir);
}

export interface DataDir {
  readonly masterKey: KeyObject;
  load<T>(): Promise<T | undefined>;
  /** Saves are serialized; each resolves once its state is durable. */
  save(state: unknown): Promise<void>;
}

export async function openDataDir(dir: string): Promise<DataDir> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyPath = join(dir, 'master.key');
  let raw: Buffer;
  try {
    raw = await readFile(keyPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    raw = randomBytes(32);
    await writeFileAtomic(keyPath, raw, 0o600);
  }
  if (raw.length !== 32) throw new Error(`${keyPath}: expected 32 bytes of key material`);
  const masterKey = createSecretKey(raw);
  raw.fill(0);
  const statePath = join(dir, 'state.json');
  // Temp files left by a crash between write and rename are garbage: the rename never happened.
  for (const name of await readdir(dir)) {
    if (/^(state\.json|master\.key)\.\d+\.[0-9a-f]{12}\.tmp$/.test(name)) await unlink(join(dir, name)).catch(() => {});
  }
  let tail: Promise<void> = Promise.resolve();
  return {
    masterKey,
    async load<T>() {
      try {
        return JSON.parse(await readFile(statePath, 'utf8')) as T;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    },
    save(state) {
      // Serialize the snapshot now, so later mutations don't leak into this write.
      const text = JSON.stringify(state);
      const next = tail.then(() => writeFileAtomic(statePath, text));
      tail = next.catch(() => {});
      return next;
    },
  };
}
