/**
 * Quorum (M of N) approvals, after CloudHSM's token-sign flow
 * (https://docs.aws.amazon.com/cloudhsm/latest/userguide/quorum-auth-chsm-cli.html):
 * 1. the requester asks any node for a token for one operation and its arguments;
 * 2. approvers sign the token bytes off-HSM with their registered ECDSA P-256 key;
 * 3. the requester runs that operation, with those arguments, the token and the signatures.
 * A token is `payload JSON ‖ "." ‖ HMAC-SHA256(k_q, payload)` where k_q is derived from the cluster
 * masking key, so every node of the cluster accepts it and nobody outside can mint one. The payload
 * names the operation and carries a keyed digest of its arguments (HMAC under k_q, so a token shown
 * to approvers reveals nothing guessable such as a password). Tokens expire (default 10 minutes, as
 * CloudHSM) and are single-use across the cluster: the node that accepts one records its nonce as a
 * replicated, persisted object (context.ts).
 */
import { createHmac, createPublicKey, hkdfSync, randomBytes, sign, timingSafeEqual, verify } from 'node:crypto';
import { StrongroomError } from '@strongroom/core';
import type { QuorumOp, QuorumService, WireValue } from '@strongroom/hsm-protocol';

export type { QuorumService } from '@strongroom/hsm-protocol';
export const QUORUM_SERVICES: readonly QuorumService[] = ['user', 'quorum'];

export interface QuorumTokenPayload {
  v: 2;
  cluster: string;
  service: QuorumService;
  op: QuorumOp;
  /** HMAC-SHA256(k_q, canonical(op, args)), hex. */
  args: string;
  requester: string;
  nonce: string;
  exp: number;
}

/** Arguments that carry the approval itself, not part of what is approved. */
const APPROVAL_FIELDS = new Set(['quorumToken', 'approvals']);

/** One deterministic text for a wire value: keys sorted, bytes as hex, undefined fields dropped. */
function canonical(v: WireValue | undefined, top = false): string {
  if (v === null || v === undefined) return 'null';
  if (v instanceof Uint8Array) return `b:${Buffer.from(v).toString('hex')}`;
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x)).join(',')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined && !(top && APPROVAL_FIELDS.has(k))).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The keyed digest a token binds: the operation name and its arguments minus the approval fields. */
export function quorumArgsDigest(maskingKey: Buffer, op: QuorumOp, args: { [k: string]: WireValue | undefined }): string {
  return createHmac('sha256', tokenKey(maskingKey)).update(`${op}\u0000${canonical(args as WireValue, true)}`).digest('hex');
}

function tokenKey(maskingKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', maskingKey, Buffer.alloc(0), 'strongroom-hsm quorum token v1', 32));
}

export function mintQuorumToken(maskingKey: Buffer, payload: Omit<QuorumTokenPayload, 'v' | 'nonce'>): Buffer {
  const body = Buffer.from(JSON.stringify({ v: 2, ...payload, nonce: randomBytes(16).toString('hex') }), 'utf8');
  const mac = createHmac('sha256', tokenKey(maskingKey)).update(body).digest('hex');
  return Buffer.concat([body, Buffer.from(`.${mac}`, 'ascii')]);
}

function denied(message: string, reason = 'QUORUM'): StrongroomError {
  return new StrongroomError('ACCESS_DENIED', message, { details: { reason } });
}

/** @throws StrongroomError ACCESS_DENIED when the token is forged, expired or for another service. */
export function openQuorumToken(maskingKey: Buffer, token: Uint8Array, clusterId: string, now = Date.now()): QuorumTokenPayload {
  const text = Buffer.from(token).toString('utf8');
  const dot = text.lastIndexOf('.');
  if (dot < 0 || token.length > 4096) throw denied('malformed quorum token');
  const body = Buffer.from(text.slice(0, dot), 'utf8');
  const mac = Buffer.from(text.slice(dot + 1), 'hex');
  const want = createHmac('sha256', tokenKey(maskingKey)).update(body).digest();
  if (mac.length !== want.length || !timingSafeEqual(mac, want)) throw denied('quorum token was not issued by this cluster');
  const p = JSON.parse(body.toString('utf8')) as QuorumTokenPayload;
  if (p.v !== 2 || typeof p.nonce !== 'string' || typeof p.op !== 'string' || typeof p.args !== 'string') throw denied('quorum token has an old format; generate a new one');
  if (p.cluster !== clusterId) throw denied('quorum token is for another cluster');
  if (p.exp < now) throw denied('quorum token expired');
  return p;
}

/** Approver side (off-HSM): sign a token with the approver's registered private key. */
export function signQuorumToken(token: Uint8Array, privateKeyPem: string): Buffer {
  return sign('sha256', token, { key: privateKeyPem, dsaEncoding: 'der' });
}

/** Count distinct admins whose registered key verifies a signature over the token. */
export function countApprovals(
  token: Uint8Array,
  approvals: Array<{ user: string; signature: Uint8Array }>,
  publicKeys: (user: string) => string | undefined,
): number {
  const approved = new Set<string>();
  for (const a of approvals) {
    const pem = publicKeys(a.user);
    if (!pem || approved.has(a.user)) continue;
    try {
      if (verify('sha256', token, { key: createPublicKey(pem), dsaEncoding: 'der' }, a.signature)) approved.add(a.user);
    } catch {
      /* a bad signature is simply not an approval */
    }
  }
  return approved.size;
}
