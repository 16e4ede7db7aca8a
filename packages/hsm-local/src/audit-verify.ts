/**
 * Offline verification of a node's audit log (audit.ts) against the audit key and chain head sealed
 * in the node's state: every record's HMAC-SHA-256 (RFC 2104), the chain links, gap-free ascending
 * sequence numbers, and that the log reaches the sealed head with the same MAC (records dropped from
 * the end show as `truncated`). The log may run ahead of the sealed head (durable records written
 * after the last state write); it must never end before it.
 *
 * Without the node's state only the structure (sequence and links) can be checked, and the result
 * says `authenticated: false` and `ok: false`: anyone can forge a structurally sound log.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { StrongroomError } from '@strongroom/core';
import { GENESIS, macRecord } from './audit';
import { loadStateFile, readIdentity, type AuditSealed } from './state';
import { resolveUnsealKey } from './unseal';

/** What `audit verify` found wrong with a record. */
export type AuditProblem = 'edited' | 'gap' | 'reordered' | 'broken-chain' | 'unparsable' | 'truncated';

/**
 * The outcome of verifying a node's audit log: whether it is intact, records checked and authenticated, problems found.
 */
export interface AuditVerifyResult {
  ok: boolean;
  records: number;
  /** True when every MAC was checked with the node's audit key. */
  authenticated: boolean;
  problems: Array<{ line: number; seq?: number; problem: AuditProblem }>;
}

/**
 * Verify an audit log. Edits show as `edited`, deletions as `gap` (+ `broken-chain`), reordering as
 * `reordered`, dropped final records as `truncated` (needs `sealed`).
 */
export async function verifyAuditLog(path: string, sealed?: AuditSealed): Promise<AuditVerifyResult> {
  const problems: AuditVerifyResult['problems'] = [];
  let expectedSeq = 1;
  let prevMac = GENESIS;
  let line = 0;
  let headSeen = !sealed?.head || sealed.head.seq === 0;
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const text of lines) {
    line += 1;
    if (text.length === 0) continue;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(text) as Record<string, unknown>;
    } catch {
      problems.push({ line, problem: 'unparsable' });
      continue;
    }
    const seq = typeof rec.seq === 'number' ? rec.seq : -1;
    const mac = String(rec.mac);
    if (sealed) {
      const cut = text.lastIndexOf(',"mac":"');
      if (cut < 0 || macRecord(sealed.key, `${text.slice(0, cut)}}`) !== mac) problems.push({ line, seq, problem: 'edited' });
      if (sealed.head && seq === sealed.head.seq) headSeen = mac === sealed.head.mac;
    }
    if (seq < expectedSeq) problems.push({ line, seq, problem: 'reordered' });
    else if (seq > expectedSeq) problems.push({ line, seq, problem: 'gap' });
    if (rec.prev !== prevMac) problems.push({ line, seq, problem: 'broken-chain' });
    expectedSeq = seq + 1;
    prevMac = mac;
  }
  if (!headSeen) problems.push({ line: line + 1, seq: sealed!.head!.seq, problem: 'truncated' });
  return { ok: problems.length === 0 && !!sealed, records: line, authenticated: !!sealed, problems };
}

/**
 * Verify a node's audit log with the key and head from its sealed state.
 * @param options.file another copy of the log (default `<dataDir>/audit.log`)
 * @param options.unsealSecret the node's external unseal secret (default: environment, else key file)
 * @throws StrongroomError when the state cannot be unsealed or holds no audit key.
 */
export async function verifyNodeAuditLog(dataDir: string, options: { file?: string; unsealSecret?: string } = {}): Promise<AuditVerifyResult> {
  const identity = readIdentity(dataDir);
  const unsealKey = resolveUnsealKey(dataDir, identity, options.unsealSecret);
  try {
    const state = loadStateFile(dataDir, unsealKey, identity);
    if (!state.audit) throw new StrongroomError('INVALID_ARGUMENT', `node ${identity.nodeId} has no audit key in its state yet; start it once`);
    return await verifyAuditLog(options.file ?? join(dataDir, 'audit.log'), state.audit);
  } finally {
    unsealKey.fill(0);
  }
}
