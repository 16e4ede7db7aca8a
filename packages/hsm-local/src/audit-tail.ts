/**
 * Start-up recovery of an audit log's tail (audit.ts), with no size limit on records: read the file
 * backwards in 64 KiB blocks, cut a torn final line (a crash mid-append), find the last record, and
 * — given the chain head sealed in the node's state — check that the record the head names is still
 * there with the same MAC. The log may be ahead of the sealed head (records made durable after the
 * last state write), never behind it: a log that ends before the head, or whose record at the head's
 * sequence has another MAC, was cut or replaced.
 */
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync } from 'node:fs';
import type { AuditHead } from './state';

export const GENESIS = '0'.repeat(64);
const BLOCK = 64 * 1024;

export interface TailState {
  seq: number;
  mac: string;
  /** Bytes of a torn final line that were cut off. */
  tornBytes: number;
  /** Trailing lines that did not parse as records and were skipped over. */
  unparsable: number;
  /** Set when a sealed head was given and the log does not contain it. */
  headMissing?: { headSeq: number; lastSeq: number } | undefined;
}

/** Complete lines of `fd` from the end towards the start; `visit` returns true to stop. */
function eachLineBackward(fd: number, end: number, visit: (line: string) => boolean): void {
  let pos = end;
  let carry: Buffer[] = [];
  while (pos > 0) {
    const n = Math.min(BLOCK, pos);
    pos -= n;
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, pos);
    let stop = buf.length;
    for (let i = buf.length - 1; i >= 0; i--) {
      if (buf[i] !== 0x0a) continue;
      const line = Buffer.concat([buf.subarray(i + 1, stop), ...carry]);
      carry = [];
      stop = i;
      if (line.length > 0 && visit(line.toString('utf8'))) return;
    }
    carry = [buf.subarray(0, stop), ...carry];
  }
  const first = Buffer.concat(carry);
  if (first.length > 0) visit(first.toString('utf8'));
}

/** Offset just past the last newline of the first `size` bytes (0 when there is none). */
function endOfLastLine(fd: number, size: number): number {
  for (let pos = size; pos > 0; ) {
    const n = Math.min(BLOCK, pos);
    pos -= n;
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, pos);
    const i = buf.lastIndexOf(0x0a);
    if (i >= 0) return pos + i + 1;
  }
  return 0;
}

function parse(line: string): { seq: number; mac: string } | undefined {
  try {
    const r = JSON.parse(line) as { seq?: unknown; mac?: unknown };
    return typeof r.seq === 'number' && typeof r.mac === 'string' ? { seq: r.seq, mac: r.mac } : undefined;
  } catch {
    return undefined;
  }
}

/** Recover the tail of the log at `path` (cutting a torn final line), checking `head` if given. */
export function recoverTail(path: string, head?: AuditHead | null): TailState {
  const out: TailState = { seq: 0, mac: GENESIS, tornBytes: 0, unparsable: 0 };
  if (!existsSync(path)) {
    if (head && head.seq > 0) out.headMissing = { headSeq: head.seq, lastSeq: 0 };
    return out;
  }
  const fd = openSync(path, 'r+');
  try {
    let size = fstatSync(fd).size;
    const keep = endOfLastLine(fd, size);
    if (keep < size) {
      // Everything after the last newline is a torn record (a crash mid-append).
      out.tornBytes = size - keep;
      ftruncateSync(fd, keep);
      size = keep;
    }
    let found = false;
    let headChecked = !head || head.seq === 0;
    eachLineBackward(fd, size, (line) => {
      const r = parse(line);
      if (!r) {
        if (!found) out.unparsable += 1;
        return false;
      }
      if (!found) {
        found = true;
        out.seq = r.seq;
        out.mac = r.mac;
      }
      if (headChecked) return true;
      if (r.seq <= head!.seq) {
        headChecked = true;
        if (r.seq !== head!.seq || r.mac !== head!.mac) out.headMissing = { headSeq: head!.seq, lastSeq: out.seq };
        return true;
      }
      return false;
    });
    if (!headChecked) out.headMissing = { headSeq: head!.seq, lastSeq: out.seq };
    return out;
  } finally {
    closeSync(fd);
  }
}
