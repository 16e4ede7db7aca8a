/**
 * A node's data directory as init and restore write it (docs/hsm-cluster.md): TLS material issued
 * by the cluster CA (RFC 5280 certificates), `node.json` (identity, and where the unseal key comes
 * from), and the sealed state under the node's unseal key (unseal.ts, sealed-file.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { StrongroomError } from '@strongroom/core';
import { atomicWriteSync } from './sealed-file';
import { IDENTITY_FILE, sealState, STATE_FILE, type NodeIdentity, type NodeStateData } from './state';
import { deriveUnsealKey, UNSEAL_KEY_FILE } from './unseal';
import type { CertificateAuthority } from './x509';

/** The names a node certificate carries when none are given: a node on one machine (the default bind, 127.0.0.1). */
export const DEFAULT_NODE_HOSTS: readonly string[] = ['localhost', '127.0.0.1'];

/**
 * The subjectAltName entries for a node's host names and addresses (RFC 5280 §4.2.1.6): IP
 * literals (IPv4, IPv6, with or without brackets) become iPAddress entries, the rest dNSName entries.
 * Clients verify the name or address they dial against these (RFC 6125), so a node certificate
 * names exactly the hosts the node is reached at.
 * @throws StrongroomError INVALID_ARGUMENT for an empty list or a name that is neither.
 */
export function nodeCertNames(hosts: readonly string[]): { dnsNames: string[]; ipAddresses: string[] } {
  if (!hosts.length) throw new StrongroomError('INVALID_ARGUMENT', 'a node needs at least one host name or address for its certificate');
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const raw of hosts) {
    const h = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
    if (isIP(h)) ipAddresses.push(h);
    else if (HOST_NAME.test(h) && !/^[0-9.]+$/.test(h)) dnsNames.push(h.toLowerCase());
    else throw new StrongroomError('INVALID_ARGUMENT', `node host ${JSON.stringify(raw.slice(0, 100))} is neither a DNS name nor an IP address; pass names like hsm-a.internal, 198.18.1.2 or [2001:db8::2]`);
  }
  return { dnsNames, ipAddresses };
}
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Write a node's directory: TLS material (a node certificate naming `hosts`, default
 * DEFAULT_NODE_HOSTS), identity and sealed state (under `unsealSecret` if given).
 */
export function writeNodeDir(ca: CertificateAuthority, dataDir: string, identity: NodeIdentity, state: NodeStateData, unsealSecret?: string, hosts: readonly string[] = DEFAULT_NODE_HOSTS): void {
  const names = nodeCertNames(hosts);
  mkdirSync(join(dataDir, 'tls'), { recursive: true, mode: 0o700 });
  const cert = ca.issue(`node:${identity.nodeId}`, 'server+client', names);
  atomicWriteSync(join(dataDir, 'tls', 'ca.crt'), ca.certPem, 0o644);
  atomicWriteSync(join(dataDir, 'tls', 'node.crt'), cert.certPem, 0o644);
  atomicWriteSync(join(dataDir, 'tls', 'node.key'), cert.keyPem, 0o600);
  const id: NodeIdentity = { ...identity, unseal: unsealSecret ? 'external' : 'file' };
  let unsealKey: Buffer;
  if (unsealSecret) {
    unsealKey = deriveUnsealKey(unsealSecret, id);
    rmSync(join(dataDir, UNSEAL_KEY_FILE), { force: true });
  } else {
    unsealKey = randomBytes(32);
    atomicWriteSync(join(dataDir, UNSEAL_KEY_FILE), unsealKey, 0o600);
  }
  atomicWriteSync(join(dataDir, IDENTITY_FILE), JSON.stringify(id, null, 2), 0o644);
  atomicWriteSync(join(dataDir, STATE_FILE), sealState(unsealKey, { ...state, nodeId: identity.nodeId }), 0o600);
  unsealKey.fill(0);
}
