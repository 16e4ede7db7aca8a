/**
 * Commits of the in-memory state to the data directory, with the rule "a write that is not durable
 * is not visible": operations change the live state and call `commit()`; the store finds what
 * changed since the last commit (by each record's JSON), appends exactly that to the log (fsynced)
 * and resolves. When the append fails, every change that is not durable is rolled back in memory
 * (records restored from their durable JSON, new ones removed), every commit queued behind it
 * fails too, and the caller gets a typed error: a full disk is `StorageFullException` (HTTP 507)
 * naming ENOSPC and what to do, any other I/O failure `StorageUnavailableException` (HTTP 503) —
 * never KMSInternalException — and the server logs why.
 */
import { KmsError } from './errors';
import type { DataDir, LogRecord } from './data-dir';
import { dictFrom } from './dict';
import { reviveKey, reviveState, type KmsState } from './model';

const COLLECTIONS = ['keys', 'aliases', 'customKeyStores'] as const;
type Collection = (typeof COLLECTIONS)[number];

const revive: Record<Collection, (value: unknown) => unknown> = {
  keys: reviveKey,
  aliases: (v) => ({ ...(v as object) }),
  customKeyStores: (v) => ({ ...(v as object) }),
};

export interface StateStore {
  readonly state: KmsState;
  /** Persist what changed; resolves once durable. @throws KmsError (storage) after rolling back. */
  commit(): Promise<void>;
}

/** Map a file-system failure to the answer the client gets (and the line the server logs). */
export function storageError(e: unknown, dir: string): KmsError {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new KmsError(
      'StorageFullException',
      `kms-local could not persist the change: the data directory ${dir} is full (${code}). Nothing was changed. Free space on that file system (or move --data-dir) and retry.`,
      507,
    );
  }
  return new KmsError(
    'StorageUnavailableException',
    `kms-local could not persist the change to ${dir} (${code ?? (e as Error)?.message ?? 'I/O error'}). Nothing was changed. Check the data directory (permissions, disk health) and retry.`,
    503,
  );
}

/** The JSON text of a whole state built from the durable per-record texts (the snapshot format). */
function snapshotJson(durable: Map<string, string>): string {
  const parts: Record<Collection, string[]> = { keys: [], aliases: [], customKeyStores: [] };
  for (const [k, json] of durable) {
    const sep = k.indexOf('\0');
    parts[k.slice(0, sep) as Collection].push(`${JSON.stringify(k.slice(sep + 1))}:${json}`);
  }
  return `{"formatVersion":1,${COLLECTIONS.map((c) => `${JSON.stringify(c)}:{${parts[c].join(',')}}`).join(',')}}`;
}

/**
 * Load the state from the directory and return it with its commit function.
 * @throws Error when the snapshot or log is not a state of a known format.
 */
export async function openStateStore(dir: DataDir, log: (line: string) => void): Promise<StateStore> {
  const loaded = await dir.load();
  const state = reviveState(loaded.snapshot ?? { formatVersion: 1 });
  for (const record of loaded.records) {
    for (const c of COLLECTIONS) {
      for (const [id, json] of Object.entries(record[c] ?? {})) {
        if (json === null) delete state[c][id];
        else (state[c] as Record<string, unknown>)[id] = revive[c](JSON.parse(json));
      }
    }
  }
  // `durable`: what is on disk; `committed`: what has been handed to the log (durable or queued).
  const durable = new Map<string, string>();
  for (const c of COLLECTIONS) for (const [id, rec] of Object.entries(state[c])) durable.set(`${c}\0${id}`, JSON.stringify(rec));
  let committed = new Map(durable);
  let epoch = 0;
  let failure: KmsError | undefined;
  let last: Promise<void> = Promise.resolve();

  /** Put every handed-over but not durable record back to its durable value (or remove it). */
  function rollback(): void {
    const touched = new Set([...committed.keys(), ...durable.keys()].filter((k) => committed.get(k) !== durable.get(k)));
    for (const k of touched) {
      const sep = k.indexOf('\0');
      const live = state[k.slice(0, sep) as Collection] as Record<string, unknown>;
      const id = k.slice(sep + 1);
      const prev = durable.get(k);
      if (prev === undefined) delete live[id];
      else live[id] = revive[k.slice(0, sep) as Collection](JSON.parse(prev));
    }
    committed = new Map(durable);
  }

  async function maybeCompact(): Promise<void> {
    if (!dir.compactionDue()) return;
    try {
      await dir.compact(snapshotJson(durable));
    } catch (e) {
      // Not fatal: the log still holds every change; compaction is retried after the next commit.
      log(`kms-local: compaction of ${dir.path} failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); the log keeps growing until it succeeds`);
    }
  }

  return {
    state,
    commit() {
      const changes: Record<string, Record<string, string | null>> = Object.create(null);
      const next: Array<[string, string | null]> = [];
      for (const c of COLLECTIONS) {
        const live = state[c] as Record<string, unknown>;
        for (const [id, rec] of Object.entries(live)) {
          const json = JSON.stringify(rec);
          if (committed.get(`${c}\0${id}`) !== json) next.push([`${c}\0${id}`, json]);
        }
      }
      for (const k of committed.keys()) {
        const sep = k.indexOf('\0');
        if (!Object.hasOwn(state[k.slice(0, sep) as Collection], k.slice(sep + 1))) next.push([k, null]);
      }
      if (next.length === 0) {
        // Nothing new: this caller's change (if any) rides on a queued append; wait for it.
        return last;
      }
      for (const [k, json] of next) {
        const sep = k.indexOf('\0');
        const c = k.slice(0, sep);
        (changes[c] ??= dictFrom({}))[k.slice(sep + 1)] = json;
        if (json === null) committed.delete(k);
        else committed.set(k, json);
      }
      const mine = epoch;
      const record: LogRecord = changes;
      const write = (async () => {
        await last.catch(() => {});
        if (mine !== epoch) throw failure!;
        try {
          await dir.append(record);
        } catch (e) {
          if (mine === epoch) {
            epoch++;
            failure = storageError(e, dir.path);
            rollback();
            log(`kms-local: ${failure.message} [${failure.type}] (${(e as Error).message})`);
          }
          throw failure!;
        }
        for (const [k, json] of next) {
          if (json === null) durable.delete(k);
          else durable.set(k, json);
        }
        await maybeCompact();
      })();
      last = write;
      return write;
    },
  };
}
