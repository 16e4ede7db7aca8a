/**
 * The kmsuser password oracle (issue 18 item 4). AWS KMS does not test the key store password at
 * CreateCustomKeyStore or UpdateCustomKeyStore: it is checked only when ConnectCustomKeyStore logs
 * in to the cluster as kmsuser, and a wrong one moves the store to FAILED with INVALID_CREDENTIALS
 * (AWS KMS Developer Guide, "Troubleshooting a custom key store"), counting toward the HSM user's
 * lockout. So no answer before the connect may depend on the password: here an attacker who knows a
 * store's name and cluster asks CreateCustomKeyStore with guesses, through the real client.
 */
import { CreateCustomKeyStoreCommand, UpdateCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import { createCertificateAuthority } from '@strongroom/hsm-local';
import { createSecretKey } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKmsServer, type KmsServer } from '../src/index';
import { createSealer } from '../src/seal';
import { clientFor, CREDENTIALS, tempDir } from './helpers';

const STORE = 'cks-0123456789abcdef0';
const CLUSTER = 'cluster-oracle000000';
const PASSWORD = 'right-password';
const anchor = createCertificateAuthority('oracle CA').certPem;

let server: KmsServer;
let dataDir: string;

beforeAll(async () => {
  // A data directory holding one disconnected store, as a previous CreateCustomKeyStore left it.
  dataDir = await tempDir();
  await (await startKmsServer({ dataDir, credentials: CREDENTIALS })).close();
  const sealer = createSealer(createSecretKey(await readFile(join(dataDir, 'master.key'))));
  const state = {
    formatVersion: 1,
    keys: {},
    aliases: {},
    customKeyStores: {
      [STORE]: {
        CustomKeyStoreId: STORE, CustomKeyStoreName: 'victim', CloudHsmClusterId: CLUSTER, TrustAnchorCertificate: anchor,
        sealedPassword: sealer.seal(Buffer.from(PASSWORD), `kms-local/cks-password/${STORE}`), CreationDate: 1,
      },
    },
  };
  await writeFile(join(dataDir, 'state.json'), JSON.stringify(state), { mode: 0o600 });
  const registration = { clusterId: CLUSTER, nodes: [], trustAnchorPem: anchor, clientCertPem: '', clientKeyPem: '' };
  server = await startKmsServer({ dataDir, credentials: CREDENTIALS, hsmClusters: [registration] });
});
afterAll(async () => {
  await server?.close();
});

async function answer(p: Promise<unknown>): Promise<string> {
  return p.then(
    (ok) => `200 ${JSON.stringify({ ...(ok as object), $metadata: undefined })}`,
    (e: { name: string; message: string; $metadata: { httpStatusCode: number } }) => `${e.$metadata.httpStatusCode} ${e.name}: ${e.message}`,
  );
}

describe('CreateCustomKeyStore does not test the password', () => {
  it('the right and a wrong password get the same answer (no oracle)', async () => {
    const kms = clientFor(server);
    try {
      const guess = (KeyStorePassword: string) =>
        answer(kms.send(new CreateCustomKeyStoreCommand({ CustomKeyStoreName: 'victim', CloudHsmClusterId: CLUSTER, TrustAnchorCertificate: anchor, KeyStorePassword })));
      const right = await guess(PASSWORD);
      for (const w of ['wrong-password', 'right-passwor', 'Right-password', 'password1']) expect(await guess(w)).toBe(right);
      // An identical retry answers the store's id whatever the password; a different cluster is refused.
      expect(right).toBe(`200 ${JSON.stringify({ CustomKeyStoreId: STORE })}`);
      const other = await answer(kms.send(new CreateCustomKeyStoreCommand({ CustomKeyStoreName: 'victim', CloudHsmClusterId: 'cluster-other0', TrustAnchorCertificate: anchor, KeyStorePassword: PASSWORD })));
      expect(other).toMatch(/^400 CustomKeyStoreNameInUseException/);
    } finally {
      kms.destroy();
    }
  });

  it('UpdateCustomKeyStore accepts a new password without testing it against the cluster', async () => {
    const kms = clientFor(server);
    try {
      const set = (KeyStorePassword: string) => answer(kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: STORE, KeyStorePassword })));
      expect(await set('another-password')).toMatch(/^200 /);
      expect(await set(PASSWORD)).toMatch(/^200 /);
    } finally {
      kms.destroy();
    }
  });
});
