/**
 * The per-node audit log (reference A.9: CloudHSM's gap-free 64-bit sequence numbers and reboot
 * counter), as JSON lines with a SHA-256 hash chain:
 *
 *   {"seq":n,"time":"…","reboot":r,"node":"…","op":"…","user":"…","session":"…","response":"SUCCESS",
 *    "detail":{…},"prev":"<hash of record n-1>","hash":"<sha256(prev ‖ record without hash)>"}
 *
 * Group commit: records are buffered and written every `flushMs`; state-changing operations await a
 * durable flush (write + fdatasync) before they are acknowledged, and concurrent ones share it. Crypto
 * operations do not wait, so a crash can lose up to `flushMs` of *crypto* records but never a record
 * of an acknowledged state change; sequence numbers stay gap-free because they resume from the last
 * record on disk. A torn final line (crash mid-write) is cut off at start-up and the cut is logged.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync, promises as fsp } from 'node:fs';

export const GENESIS = '0'.repeat(64);

export interface AuditEntry {
  op: string;
  user?: string | undefined;
  session?: string | undefined;
  response: string;
  detail?: Record<string, unknown> | undefined;
}

export interface AuditLog {
  append(entry: AuditEntry): void;
  /** Append and resolve when the record is durable (group commit). */
  appendDurable(entry: AuditEntry): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
  readonly lastSeq: number;
}

function hashRecord(prev: string, body: string): string {
  return createHash('sha256').update(prev).update(body).digest('hex');
}

/** Read the tail of an existing log: last seq and hash; truncate a torn final line. */
function recoverTail(path: string): { seq: number; hash: string; truncated: number } {
  if (!existsSync(path)) return { seq: 0, hash: GENESIS, truncated: 0 };
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return { seq: 0, hash: GENESIS, truncated: 0 };
    const window = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(window);
    readSync(fd, buf, 0, window, size - window);
    let text = buf.toString('utf8');
    let truncated = 0;
    if (!text.endsWith('\n')) {
      const cut = text.lastIndexOf('\n');
      truncated = text.length - (cut + 1);
      ftruncateSync(fd, size - Buffer.byteLength(text.slice(cut + 1)));
      text = text.slice(0, cut + 1);
    }
    const lines = text.split('\n').filter((l) => l.length > 0);
    const last = lines[lines.length - 1];
    if (!last) return { seq: 0, hash: GENESIS, truncated };
    const rec = JSON.parse(last) as { seq: number; hash: string };
    return { seq: rec.seq, hash: rec.hash, truncated };
  } finally {
    closeSync(fd);
  }
}

export function openAuditLog(path: string, meta: { node: string; reboot: number }, flushMs = 50): AuditLog {
  const tail = recoverTail(path);
  let seq = tail.seq;
  let prev = tail.hash;
  let pending: string[] = [];
  let durableWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  let flushing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let handle: Promise<fsp.FileHandle> | null = null;
  let closed = false;

  let lastMs = 0;
  let lastIso = '';
  function isoNow(): string {
    const ms = Date.now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = new Date(ms).toISOString();
    }
    return lastIso;
  }

  function record(entry: AuditEntry): void {
    seq += 1;
    const body = JSON.stringify({
      seq,
      time: isoNow(),
      reboot: meta.reboot,
      node: meta.node,
      op: entry.op,
      user: entry.user ?? null,
      session: entry.session ?? null,
      response: entry.response,
      detail: entry.detail ?? null,
      prev,
    });
    const hash = hashRecord(prev, body);
    prev = hash;
    pending.push(`${body.slice(0, -1)},"hash":"${hash}"}\n`);
    if (!timer && !closed) {
      timer = setTimeout(() => {
        timer = null;
        void doFlush().catch(() => undefined);
      }, flushMs);
      timer.unref();
    }
  }

  async function doFlush(): Promise<void> {
    while (flushing) await flushing.catch(() => undefined);
    const lines = pending;
    const waiters = durableWaiters;
    pending = [];
    durableWaiters = [];
    if (lines.length === 0) {
      for (const w of waiters) w.resolve();
      return;
    }
    flushing = (async () => {
      try {
        handle ??= fsp.open(path, 'a', 0o600);
        const fh = await handle;
        await fh.write(lines.join(''));
        if (waiters.length > 0) await fh.datasync();
        for (const w of waiters) w.resolve();
      } catch (e) {
        for (const w of waiters) w.reject(e);
        throw e;
      } finally {
        flushing = null;
      }
    })();
    return flushing;
  }

  if (tail.truncated > 0) record({ op: 'audit.recover', response: 'SUCCESS', detail: { truncatedBytes: tail.truncated } });

  return {
    get lastSeq() {
      return seq;
    },
    append(entry) {
      record(entry);
    },
    appendDurable(entry) {
      record(entry);
      const p = new Promise<void>((resolve, reject) => durableWaiters.push({ resolve, reject }));
      void doFlush().catch(() => undefined);
      return p;
    },
    async flush() {
      await doFlush();
      if (flushing) await flushing;
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await this.flush();
      if (handle) await (await handle).close();
    },
  };
}

export interface AuditVerifyResult {
  ok: boolean;
  records: number;
  problems: Array<{ line: number; seq?: number; problem: 'edited' | 'gap' | 'reordered' | 'broken-chain' | 'unparsable' }>;
}

/**
 * Verify an audit log: every record's hash, the chain links, and gap-free ascending sequence numbers.
 * Edits show as `edited`, deletions as `gap` (+ `broken-chain`), reordering as `reordered`.
 */
export async function verifyAuditLog(path: string): Promise<AuditVerifyResult> {
  const text = await fsp.readFile(path, 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const problems: AuditVerifyResult['problems'] = [];
  let expectedSeq = 1;
  let prevHash = GENESIS;
  lines.forEach((line, i) => {
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      problems.push({ line: i + 1, problem: 'unparsable' });
      return;
    }
    const { hash, ...rest } = rec;
    const seq = typeof rec.seq === 'number' ? rec.seq : -1;
    if (hashRecord(String(rec.prev), JSON.stringify(rest)) !== hash) problems.push({ line: i + 1, seq, problem: 'edited' });
    if (seq < expectedSeq) problems.push({ line: i + 1, seq, problem: 'reordered' });
    else if (seq > expectedSeq) problems.push({ line: i + 1, seq, problem: 'gap' });
    if (rec.prev !== prevHash) problems.push({ line: i + 1, seq, problem: 'broken-chain' });
    expectedSeq = seq + 1;
    prevHash = String(hash);
  });
  return { ok: problems.length === 0, records: lines.length, problems };
}
