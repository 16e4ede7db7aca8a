/**
 * The per-node audit log, modelled on CloudHSM's audit logs (gap-free sequence numbers and a reboot
 * counter: https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm-audit-log-reference.html),
 * as JSON lines chained with HMAC-SHA-256 (RFC 2104) under an audit key sealed in the node's state:
 *
 *   {"seq":n,"time":"…","reboot":r,"node":"…","op":"…","user":"…","session":"…","response":"SUCCESS",
 *    "detail":{…},"prev":"<mac of record n-1>","mac":"<HMAC(auditKey, record without mac)>"}
 *
 * Without the audit key nobody can write a record that verifies, so an edit, a deletion or a
 * reordering shows. Dropping the *last* records is caught by the chain head (sequence + MAC) sealed in
 * the node's state (audit-tail.ts at start-up, audit-verify.ts offline).
 *
 * Group commit: records are buffered and written every `flushMs`; state-changing operations await a
 * durable flush (write + fdatasync) before they are acknowledged, and concurrent ones share it.
 * After each fdatasync the log reports its durable head (`onDurable`); the node copies it into the
 * state it seals next, so the sealed head only ever names a record already on disk: after a kill -9
 * at any instant the log is at or ahead of the sealed head, never behind it.
 *
 * Bounded records: every logged string is cut to 256 bytes with a visible marker, lists to 64 items,
 * so what any request (logged in or not) can add to the log is a few KiB per request.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { recoverTail } from './audit-tail';
import type { AuditHead } from './state';

export { GENESIS } from './audit-tail';

export const MAX_FIELD_BYTES = 256;
export const MAX_LIST_ITEMS = 64;
const MAX_DETAIL_KEYS = 32;
const MAX_DEPTH = 3;

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
  /** Write everything buffered and fdatasync it (reports the durable head). */
  sync(): Promise<void>;
  close(): Promise<void>;
  readonly lastSeq: number;
}

export interface AuditLogMeta {
  node: string;
  reboot: number;
  /** The audit MAC key from the sealed state (default: a random key nobody can verify with later). */
  key?: Buffer | undefined;
  /** The chain head sealed in the node's state, checked against the log at start-up. */
  head?: AuditHead | null | undefined;
  /** Called after every fdatasync with the last durable record. */
  onDurable?: ((head: AuditHead) => void) | undefined;
}

export function macRecord(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('hex');
}

/** Cut a string to `MAX_FIELD_BYTES` UTF-8 bytes, saying how long it was. */
export function boundString(s: string): string {
  if (s.length <= MAX_FIELD_BYTES / 4) return s;
  const bytes = Buffer.byteLength(s, 'utf8');
  if (bytes <= MAX_FIELD_BYTES) return s;
  const head = Buffer.from(s, 'utf8').subarray(0, MAX_FIELD_BYTES).toString('utf8').replace(/\uFFFD$/, '');
  return `${head}…[truncated, ${bytes} bytes]`;
}

function boundValue(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return boundString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (v === null || v === undefined) return null;
  if (typeof v !== 'object') return boundString(String(v));
  if (depth >= MAX_DEPTH) return '[nested]';
  if (Array.isArray(v)) {
    const items = v.slice(0, MAX_LIST_ITEMS).map((x) => boundValue(x, depth + 1));
    if (v.length > MAX_LIST_ITEMS) items.push(`…[${v.length - MAX_LIST_ITEMS} more]`);
    return items;
  }
  const out: Record<string, unknown> = {};
  const keys = Object.keys(v);
  for (const k of keys.slice(0, MAX_DETAIL_KEYS)) out[boundString(k)] = boundValue((v as Record<string, unknown>)[k], depth + 1);
  if (keys.length > MAX_DETAIL_KEYS) out['…'] = `${keys.length - MAX_DETAIL_KEYS} more fields`;
  return out;
}

/** Split a list of object ids into record details of at most `MAX_LIST_ITEMS` ids each. */
export function idChunks(ids: string[], extra: Record<string, unknown> = {}): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < ids.length; i += MAX_LIST_ITEMS) out.push({ ...extra, ids: ids.slice(i, i + MAX_LIST_ITEMS) });
  return out;
}

/** The id a `sync.import` request names (audited even when the import fails). */
export function importedId(args: Record<string, unknown>): string | undefined {
  const m = args.masked as { id?: unknown } | null | undefined;
  return m && typeof m === 'object' && typeof m.id === 'string' ? m.id : undefined;
}

export function openAuditLog(path: string, meta: AuditLogMeta, flushMs = 50): AuditLog {
  const key = meta.key ?? randomBytes(32);
  const tail = recoverTail(path, meta.head);
  // Continue after the sealed head when the log was cut before it, so the cut stays visible as a gap.
  const resumeFromHead = meta.head && tail.headMissing && meta.head.seq > tail.seq;
  let seq = resumeFromHead ? meta.head!.seq : tail.seq;
  let prev = resumeFromHead ? meta.head!.mac : tail.mac;
  let pending: string[] = [];
  let durableWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  let flushing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let handle: Promise<fsp.FileHandle> | null = null;
  let closed = false;
  let forceSync = false;

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
      op: boundString(entry.op),
      user: entry.user === undefined ? null : boundString(entry.user),
      session: entry.session === undefined ? null : boundString(entry.session),
      response: boundString(entry.response),
      detail: entry.detail === undefined ? null : boundValue(entry.detail, 0),
      prev,
    });
    const mac = macRecord(key, body);
    prev = mac;
    pending.push(`${body.slice(0, -1)},"mac":"${mac}"}\n`);
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
    const sync = forceSync || waiters.length > 0;
    const head = { seq, mac: prev };
    pending = [];
    durableWaiters = [];
    forceSync = false;
    if (lines.length === 0 && !sync) {
      for (const w of waiters) w.resolve();
      return;
    }
    flushing = (async () => {
      try {
        handle ??= fsp.open(path, 'a', 0o600);
        const fh = await handle;
        if (lines.length > 0) await fh.write(lines.join(''));
        if (sync) {
          await fh.datasync();
          meta.onDurable?.(head);
        }
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

  if (tail.tornBytes > 0 || tail.unparsable > 0) {
    record({ op: 'audit.recover', response: 'SUCCESS', detail: { truncatedBytes: tail.tornBytes, unparsableLines: tail.unparsable } });
  }
  if (tail.headMissing) {
    record({ op: 'audit.truncated', response: 'ERROR:AUDIT_TRUNCATED', detail: { sealedHeadSeq: tail.headMissing.headSeq, lastSeqOnDisk: tail.headMissing.lastSeq } });
  }

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
    async sync() {
      forceSync = true;
      await this.flush();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await this.sync();
      if (handle) await (await handle).close();
    },
  };
}
