/**
 * The data directory: the master key and the crash-safe files that hold the server state.
 *
 *  - `master.key` — 32 random bytes (0600) that seal key material at rest (seal.ts); whoever can
 *    read the directory can read the keys, as with any software KMS: protect the directory.
 *  - `state.json` — a snapshot of the whole state, replaced atomically: a temp file with an
 *    unpredictable name created O_CREAT|O_EXCL|O_NOFOLLOW 0600, fsync, rename, fsync the directory
 *    (POSIX rename(2) is atomic), so a crash leaves the previous or the next snapshot.
 *  - `state.log` — the changes since that snapshot, appended one line per commit and fsynced
 *    before the commit is acknowledged: `<checksum> <json>\n` (checksum = first 16 hex digits of
 *    SHA-256 of the JSON). A crash mid-append leaves a torn last line, which loading drops (that
 *    commit was never acknowledged); a failed append is truncated away at once.
 *
 * A write costs the size of the change, not of the state. When the log outgrows the snapshot (and
 * 1 MiB), the state is compacted: a new snapshot, then the log is emptied. Log records are whole
 * records per id, so replaying a log over a snapshot that already holds it gives the same state:
 * a crash between the two steps is harmless.
 */
import { createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

const CREATE_EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
const DEFAULT_COMPACT_BYTES = 1 << 20;

async function fsyncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Atomically replace `path` with `data` (exclusive 0600 temp file + fsync + rename + directory fsync). */
export async function writeFileAtomic(path: string, data: Uint8Array | string, mode = 0o600): Promise<void> {
  const dir = join(path, '..');
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const h = await open(tmp, CREATE_EXCLUSIVE, mode);
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

/** One collection's entries changed by a commit: id → the record's JSON, or null when deleted. */
export type LogRecord = Readonly<Record<string, Readonly<Record<string, string | null>>>>;

export interface LoadedState {
  /** The snapshot (parsed JSON), or undefined when there is none. */
  readonly snapshot: unknown;
  /** The log records after it, in order (ids → record JSON text or null). */
  readonly records: readonly LogRecord[];
}

export interface DataDir {
  readonly path: string;
  readonly masterKey: KeyObject;
  /** Read the snapshot and the log; drops (and truncates) a torn last log line. @throws on real corruption. */
  load(): Promise<LoadedState>;
  /** Append one record and fsync; on failure nothing of it remains in the log. Serialized. */
  append(record: LogRecord): Promise<void>;
  /** Whether the log has outgrown the snapshot and a compaction is due. */
  compactionDue(): boolean;
  /** Write `snapshotJson` as the new snapshot, then empty the log. Serialized with appends. */
  compact(snapshotJson: string): Promise<void>;
  close(): Promise<void>;
}

function checksum(json: string): string {
  return createHash('sha256').update(json).digest('hex').slice(0, 16);
}

function encodeRecord(record: LogRecord): string {
  const parts: string[] = [];
  for (const [collection, entries] of Object.entries(record)) {
    const inner = Object.entries(entries).map(([id, json]) => `${JSON.stringify(id)}:${json ?? 'null'}`);
    parts.push(`${JSON.stringify(collection)}:{${inner.join(',')}}`);
  }
  const json = `{${parts.join(',')}}`;
  return `${checksum(json)} ${json}\n`;
}

/** Parse the log text: complete, checksummed lines; the length of the valid prefix. */
function parseLog(text: string, path: string): { records: LogRecord[]; validBytes: number } {
  const records: LogRecord[] = [];
  let offset = 0;
  while (offset < text.length) {
    const end = text.indexOf('\n', offset);
    const line = end < 0 ? text.slice(offset) : text.slice(offset, end);
    const sp = line.indexOf(' ');
    const json = sp < 0 ? '' : line.slice(sp + 1);
    let record: LogRecord | undefined;
    if (end >= 0 && sp === 16 && checksum(json) === line.slice(0, 16)) {
      try {
        record = parseRecord(json);
      } catch {
        record = undefined;
      }
    }
    if (!record) {
      // Only the last line may be torn (a crash mid-append); anything after it means corruption.
      if (end >= 0 && end + 1 < text.length) throw new Error(`${path}: corrupt record at byte ${offset}; restore the data directory from a backup`);
      break;
    }
    records.push(record);
    offset = end + 1;
  }
  return { records, validBytes: Buffer.byteLength(text.slice(0, offset)) };
}

/** A record's JSON into id → record JSON text (re-serialized), keeping `__proto__` an ordinary id. */
function parseRecord(json: string): LogRecord {
  const doc = JSON.parse(json) as unknown;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not an object');
  const out = Object.create(null) as Record<string, Record<string, string | null>>;
  for (const [collection, entries] of Object.entries(doc)) {
    if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) throw new Error('not an object');
    const inner = Object.create(null) as Record<string, string | null>;
    for (const [id, value] of Object.entries(entries)) inner[id] = value === null ? null : JSON.stringify(value);
    out[collection] = inner;
  }
  return out;
}

export async function openDataDir(dir: string, options: { compactAfterBytes?: number } = {}): Promise<DataDir> {
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
  const snapshotPath = join(dir, 'state.json');
  const logPath = join(dir, 'state.log');
  // Temp files left by a crash between write and rename are garbage: the rename never happened.
  for (const name of await readdir(dir)) {
    if (/^(state\.json|master\.key)\.\d+\.[0-9a-f]{12}\.tmp$/.test(name)) await unlink(join(dir, name)).catch(() => {});
  }
  const compactAfter = options.compactAfterBytes ?? DEFAULT_COMPACT_BYTES;
  let log: FileHandle | undefined;
  let logBytes = 0;
  let snapshotBytes = 0;
  let tail: Promise<void> = Promise.resolve();
  /** Set when a failed append could not be cut away: no more appends until a restart repairs the tail. */
  let broken: Error | undefined;
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = tail.then(fn);
    tail = next.then(
      () => {},
      () => {},
    );
    return next;
  };
  const openLog = async (): Promise<FileHandle> => {
    if (!log) {
      log = await open(logPath, APPEND, 0o600);
      logBytes = (await log.stat()).size;
      await fsyncDir(dir);
    }
    return log;
  };

  return {
    path: dir,
    masterKey,
    async load() {
      let snapshot: unknown;
      try {
        const text = await readFile(snapshotPath, 'utf8');
        snapshotBytes = Buffer.byteLength(text);
        snapshot = JSON.parse(text);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      let text = '';
      try {
        text = await readFile(logPath, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      const { records, validBytes } = parseLog(text, logPath);
      if (validBytes < Buffer.byteLength(text)) {
        // A torn last line: that commit was never acknowledged. Cut it so appends follow valid data.
        const h = await openLog();
        await h.truncate(validBytes);
        await h.sync();
      }
      logBytes = validBytes;
      return { snapshot, records };
    },
    append(record) {
      const line = Buffer.from(encodeRecord(record), 'utf8');
      return serialized(async () => {
        if (broken) throw broken;
        const h = await openLog();
        const before = logBytes;
        try {
          // write(2) may write part of the buffer (a disk filling up does exactly that): loop.
          for (let off = 0; off < line.length; ) {
            const { bytesWritten } = await h.write(line, off, line.length - off);
            if (bytesWritten === 0) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
            off += bytesWritten;
          }
          await h.sync();
          logBytes = before + line.length;
        } catch (e) {
          // Leave nothing of a failed append behind (a partial line would be dropped at load anyway).
          await h.truncate(before).catch((t: Error) => {
            broken = t;
          });
          throw e;
        }
      });
    },
    compactionDue: () => logBytes > Math.max(compactAfter, snapshotBytes),
    compact(snapshotJson) {
      return serialized(async () => {
        await writeFileAtomic(snapshotPath, snapshotJson);
        snapshotBytes = Buffer.byteLength(snapshotJson);
        const h = await openLog();
        await h.truncate(0);
        await h.sync();
        logBytes = 0;
      });
    },
    async close() {
      await tail;
      await log?.close();
      log = undefined;
    },
  };
}
