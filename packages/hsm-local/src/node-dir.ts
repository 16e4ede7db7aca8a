/**
 * A node's data directory as init and restore write it (docs/hsm-cluster.md): TLS material issued
 * by the cluster CA (RFC 5280 certificates), `node.json` (identity, and where the unseal key comes
 * from), and the sealed state under the node's unseal key (unseal.ts, sealed-file.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteSync } from './sealed-file';
import { IDENTITY_FILE, sealState, STATE_FILE, type NodeIdentity, type NodeStateData } from './state';
import { deriveUnsealKey, UNSEAL_KEY_FILE } from './unseal';
import type { CertificateAuthority } from './x509';

/** Write a node's directory: TLS material, identity and sealed state (under `unsealSecret` if given). */
export function writeNodeDir(ca: CertificateAuthority, dataDir: string, identity: NodeIdentity, state: NodeStateData, unsealSecret?: string): void {
  mkdirSync(join(dataDir, 'tls'), { recursive: true, mode: 0o700 });
  const cert = ca.issue(`node:${identity.nodeId}`, 'server+client', { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
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
