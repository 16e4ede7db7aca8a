/**
 * Quorum (M of N) approvals, after CloudHSM's token-sign flow
 * (https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_cli-qm-token-gen.html):
 * 1. the requester asks any node for a token for a service (`user`, `quorum`);
 * 2. approvers sign the token bytes off-HSM with their registered ECDSA P-256 key;
 * 3. the requester runs the operation with the token and the signatures.
 * A token is `payload JSON ‖ "." ‖ HMAC-SHA256(k_q, payload)` where k_q is derived from the cluster
 * masking key, so every node of the cluster accepts it and nobody outside can mint one. Tokens
 * expire (default 10 minutes, as CloudHSM) and each is accepted once per node.
 */
import { createHmac, createPublicKey, hkdfSync, randomBytes, sign, timingSafeEqual, verify } from 'node:crypto';
import { StrongroomError } from '@strongroom/core';
import type { QuorumService } from '@strongroom/hsm-protocol';

export type { QuorumService } from '@strongroom/hsm-protocol';
export const QUORUM_SERVICES: readonly QuorumService[] = ['user', 'quorum'];

export interface QuorumTokenPayload {
  v: 1;
  cluster: string;
  service: QuorumService;
  requester: string;
  nonce: string;
  exp: number;
}

function tokenKey(maskingKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', maskingKey, Buffer.alloc(0), 'strongroom-hsm quorum token v1', 32));
}

export function mintQuorumToken(maskingKey: Buffer, payload: Omit<QuorumTokenPayload, 'v' | 'nonce'>): Buffer {
  const body = Buffer.from(JSON.stringify({ v: 1, ...payload, nonce: randomBytes(16).toString('hex') }), 'utf8');
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
