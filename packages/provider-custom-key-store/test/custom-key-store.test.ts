/**
 * Custom key stores end to end, through the real @aws-sdk/client-kms against kms-local backed by a
 * 3-process hsm-local cluster (AWS KMS CloudHSM key stores:
 * https://docs.aws.amazon.com/kms/latest/developerguide/keystore-cloudhsm.html): create → connect → create key → envelope
 * encryption with CustomKeyStoreKeyProvider → the key in the cluster (non-extractable, ARN label,
 * replicated) → disconnect (KMSInvalidStateException, Unavailable) → reconnect → old ciphertexts
 * decrypt; wrong kmsuser password (INVALID_CREDENTIALS); a node killed under load (no failed call);
 * one active HSM (the documented error); ESDK interop; restart of kms-local.
 */
import {
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateRandomCommand,
  KMS,
  KMSClient,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import { buildClient, CommitmentPolicy, KmsKeyringNode } from '@aws-crypto/client-node';
import { createClient, StrongroomError } from '@strongroom/core';
import { createCertificateAuthority } from '@strongroom/hsm-local';
import { connectHsmNode } from '@strongroom/hsm-protocol';
import { startKmsServer, type HsmClusterRegistration, type KmsServer } from '@strongroom/kms-local';
import { connectHsmCluster } from '@strongroom/provider-hsm';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomKeyStoreAdmin, CustomKeyStoreKeyProvider, type CustomKeyStoreAdmin } from '../src/index';
import { ADMIN_PASSWORD, KMSUSER_PASSWORD, startTestCluster, type TestCluster } from './cluster';

const CREDENTIALS = { accessKeyId: 'AKIDCKSTEST', secretAccessKey: 'cks-test-secret' };
const context = { tenant: 'acme', purpose: 'custom-key-store' };
const text = (b: Uint8Array) => new TextDecoder().decode(b);

let cluster: TestCluster;
let kms: KmsServer;
let client: KMSClient;
let admin: CustomKeyStoreAdmin;
let dataDir: string;
let registration: HsmClusterRegistration;
let storeId: string;
let keyArn: string;
let oldCiphertext: Uint8Array;
let directBlob: Uint8Array;

async function startKms(): Promise<void> {
  kms = await startKmsServer({ dataDir, credentials: CREDENTIALS, hsmClusters: [registration] });
  client = new KMSClient({ endpoint: kms.endpoint, region: kms.region, credentials: CREDENTIALS, maxAttempts: 1 });
  admin = createCustomKeyStoreAdmin({ client });
}

async function awsError(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  const e = (await p.then(() => undefined, (x: unknown) => x)) as { name: string; message: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!e) throw new Error('expected the call to fail');
  return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
}

beforeAll(async () => {
  cluster = await startTestCluster();
  dataDir = mkdtempSync(join(tmpdir(), 'cks-kms-'));
  registration = {
    clusterId: cluster.info.clusterId,
    nodes: cluster.urls.map((url, i) => ({ url, az: cluster.info.nodes[i]!.az })),
    trustAnchorPem: cluster.info.trustAnchor,
    clientCertPem: cluster.info.clientCert.certPem,
    clientKeyPem: cluster.info.clientCert.keyPem,
  };
  await startKms();
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await kms?.close();
  await cluster?.stopAll();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('custom key stores on kms-local + hsm-local', () => {
  it('refuses an unknown cluster and a wrong trust anchor with the exceptions the SDK models', async () => {
    const unknown = await awsError(
      client.send(new CreateCustomKeyStoreCommand({ CustomKeyStoreName: 'x', CloudHsmClusterId: 'cluster-000000000000', TrustAnchorCertificate: cluster.info.trustAnchor, KeyStorePassword: KMSUSER_PASSWORD })),
    );
    expect(unknown).toMatchObject({ name: 'CloudHsmClusterNotFoundException', status: 400 });
    const otherCa = createCertificateAuthority('some other CA').certPem;
    const anchor = await awsError(
      client.send(new CreateCustomKeyStoreCommand({ CustomKeyStoreName: 'x', CloudHsmClusterId: cluster.info.clusterId, TrustAnchorCertificate: otherCa, KeyStorePassword: KMSUSER_PASSWORD })),
    );
    expect(anchor).toMatchObject({ name: 'IncorrectTrustAnchorException', status: 400 });
    // Translated by the admin API into what to do.
    const err = await admin.createCustomKeyStore({ name: 'x', clusterId: cluster.info.clusterId, trustAnchorPem: otherCa, kmsuserPassword: KMSUSER_PASSWORD }).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(/trust anchor/);
  });

  it('create → connect → create key → envelope encrypt/decrypt; the key is in the cluster, non-extractable, labelled with its ARN', async () => {
    storeId = await admin.createCustomKeyStore({ name: 'dev-store', clusterId: cluster.info.clusterId, trustAnchorPem: cluster.info.trustAnchor, kmsuserPassword: KMSUSER_PASSWORD });
    expect(storeId).toMatch(/^cks-[0-9a-f]{17}$/);
    // An identical retry answers the existing store id, as AWS KMS does (https://docs.aws.amazon.com/kms/latest/developerguide/create-keystore.html).
    expect(await admin.createCustomKeyStore({ name: 'dev-store', clusterId: cluster.info.clusterId, trustAnchorPem: cluster.info.trustAnchor, kmsuserPassword: KMSUSER_PASSWORD })).toBe(storeId);
    expect((await admin.describe(storeId))[0]).toMatchObject({ connectionState: 'DISCONNECTED', clusterId: cluster.info.clusterId, name: 'dev-store' });
    const early = await awsError(client.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId })));
    expect(early.name).toBe('CustomKeyStoreInvalidStateException');

    const connected = await admin.connect(storeId);
    expect(connected.connectionState).toBe('CONNECTED');
    keyArn = await admin.createKey(storeId, { description: 'cks test key' });
    const meta = (await client.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata!;
    expect(meta).toMatchObject({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId, CloudHsmClusterId: cluster.info.clusterId, KeyState: 'Enabled', KeySpec: 'SYMMETRIC_DEFAULT' });

    const provider = CustomKeyStoreKeyProvider({ client, generatorKeyId: keyArn });
    const sdk = createClient({ keyProvider: provider });
    const { ciphertext } = await sdk.encrypt(new TextEncoder().encode('in the customer HSM'), { encryptionContext: context });
    oldCiphertext = ciphertext;
    expect(text((await sdk.decrypt(ciphertext, { expectedEncryptionContext: context })).plaintext)).toBe('in the customer HSM');

    // KMS's own operations on the key, performed by the cluster.
    const enc = await client.send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('direct'), EncryptionContext: context }));
    directBlob = enc.CiphertextBlob!;
    const dec = await client.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: context }));
    expect(Buffer.from(dec.Plaintext!).toString()).toBe('direct');
    const gdk = await client.send(new GenerateDataKeyCommand({ KeyId: keyArn, KeySpec: 'AES_256' }));
    const re = await client.send(new ReEncryptCommand({ CiphertextBlob: gdk.CiphertextBlob, DestinationKeyId: keyArn, DestinationEncryptionContext: context }));
    expect(Buffer.from((await client.send(new DecryptCommand({ CiphertextBlob: re.CiphertextBlob, EncryptionContext: context }))).Plaintext!)).toEqual(Buffer.from(gdk.Plaintext!));
    expect((await client.send(new GenerateRandomCommand({ NumberOfBytes: 32, CustomKeyStoreId: storeId }))).Plaintext).toHaveLength(32);

    // Look at the key from the HSM side, as kmsuser.
    const hsm = await connectHsmCluster({ nodes: registration.nodes, trustAnchor: cluster.info.trustAnchor, clientCert: cluster.info.clientCert, user: 'kmsuser', password: KMSUSER_PASSWORD });
    try {
      const ref = await hsm.findKey({ label: keyArn });
      expect(ref).toMatchObject({ label: keyArn, type: 'aes', bits: 256, class: 'secret' });
      expect(await hsm.keyReplicaCount(ref!)).toBe(3);
      const node = await connectHsmNode({ url: cluster.urls[1]!, trustAnchor: cluster.info.trustAnchor, clientCert: cluster.info.clientCert });
      try {
        await node.call('login', { user: 'kmsuser', password: KMSUSER_PASSWORD });
        const attrs = await node.call('key.getAttributes', { handle: ref!.handle });
        expect(attrs.attrs).toMatchObject({ extractable: false, token: true });
        const exported = await node.call('key.export', { handle: ref!.handle }).then(() => 'exported', (e: unknown) => (e as Error).message);
        expect(exported).not.toBe('exported');
      } finally {
        node.close();
      }
    } finally {
      await hsm.close();
    }
  });

  it('a ciphertext from the custom-key-store provider decrypts with the AWS Encryption SDK KMS keyring pointed at kms-local', async () => {
    const esdkKms = new KMS({ endpoint: kms.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
    try {
      const esdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
      const { plaintext, messageHeader } = await esdk.decrypt(new KmsKeyringNode({ keyIds: [keyArn], clientProvider: () => esdkKms }), oldCiphertext);
      expect(Buffer.from(plaintext).toString()).toBe('in the customer HSM');
      expect(messageHeader.encryptionContext).toMatchObject(context);
    } finally {
      esdkKms.destroy();
    }
  });

  it('disconnected: keys are Unavailable and calls fail with KMSInvalidStateException; the provider explains, or connects on demand', async () => {
    await admin.disconnect(storeId);
    expect((await admin.describe(storeId))[0]!.connectionState).toBe('DISCONNECTED');
    expect((await client.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata!.KeyState).toBe('Unavailable');
    for (const call of [
      client.send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('x') })),
      client.send(new GenerateDataKeyCommand({ KeyId: keyArn, KeySpec: 'AES_256' })),
      client.send(new DecryptCommand({ CiphertextBlob: directBlob, EncryptionContext: context })),
      client.send(new ReEncryptCommand({ CiphertextBlob: directBlob, SourceEncryptionContext: context, DestinationKeyId: keyArn })),
    ]) {
      expect(await awsError(call)).toMatchObject({ name: 'KMSInvalidStateException', status: 400 });
    }

    const strict = createClient({ keyProvider: CustomKeyStoreKeyProvider({ client, keyIds: [keyArn] }) });
    const err = await strict.decrypt(oldCiphertext).catch((e: unknown) => e);
    // core reports NO_DECRYPTION_KEY with the provider's error as the cause.
    const cause = (err as StrongroomError).cause as StrongroomError;
    expect(StrongroomError.isInstance(cause, 'KEY_UNAVAILABLE')).toBe(true);
    expect(cause.message).toMatch(new RegExp(`custom key store ${storeId}.*DISCONNECTED: connect it`));
    expect(cause.details).toMatchObject({ customKeyStoreId: storeId, connectionState: 'DISCONNECTED' });
    // Encrypting says the same, directly.
    const encErr = await createClient({ keyProvider: CustomKeyStoreKeyProvider({ client, generatorKeyId: keyArn }) }).encrypt(new Uint8Array(1)).catch((e: unknown) => e);
    expect((encErr as Error).message).toMatch(/DISCONNECTED: connect it/);

    // The up-front check says the same; with connectOnDemand it connects.
    await expect(CustomKeyStoreKeyProvider({ client, keyIds: [keyArn] }).checkStores()).rejects.toThrow(/DISCONNECTED: connect it/);
    expect((await CustomKeyStoreKeyProvider({ client, keyIds: [keyArn], connectOnDemand: true }).checkStores()).map((st) => st.connectionState)).toEqual(['CONNECTED']);
    await admin.disconnect(storeId);

    // Reconnect on demand: old ciphertexts decrypt again.
    const onDemand = createClient({ keyProvider: CustomKeyStoreKeyProvider({ client, keyIds: [keyArn], connectOnDemand: true }) });
    expect(text((await onDemand.decrypt(oldCiphertext)).plaintext)).toBe('in the customer HSM');
    expect((await admin.describe(storeId))[0]!.connectionState).toBe('CONNECTED');
  });

  it('a wrong kmsuser password fails the connection with INVALID_CREDENTIALS, and the admin API says what to fix', async () => {
    await admin.disconnect(storeId);
    await admin.update(storeId, { kmsuserPassword: 'not-the-password' });
    const err = await admin.connect(storeId).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err, 'KEY_UNAVAILABLE')).toBe(true);
    expect((err as StrongroomError).details).toMatchObject({ connectionState: 'FAILED', connectionErrorCode: 'INVALID_CREDENTIALS' });
    expect((err as Error).message).toMatch(/INVALID_CREDENTIALS.*kmsuser password/);
    const wire = await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: storeId }));
    expect(wire.CustomKeyStores![0]).toMatchObject({ ConnectionState: 'FAILED', ConnectionErrorCode: 'INVALID_CREDENTIALS', CustomKeyStoreType: 'AWS_CLOUDHSM' });
    // A FAILED store must be disconnected before it is reconnected.
    expect((await awsError(admin.connect(storeId))).message).toMatch(/FAILED/);
    await admin.disconnect(storeId);
    await admin.update(storeId, { kmsuserPassword: KMSUSER_PASSWORD });
    expect((await admin.connect(storeId)).connectionState).toBe('CONNECTED');
  });

  it('repeated wrong passwords lock kmsuser out (USER_LOCKED_OUT) until an HSM admin unlocks it', async () => {
    await admin.disconnect(storeId);
    await admin.update(storeId, { kmsuserPassword: 'still-not-the-password' });
    const codes: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      const e = (await admin.connect(storeId).catch((x: unknown) => x)) as StrongroomError;
      codes.push(e.details?.connectionErrorCode);
      await admin.disconnect(storeId);
    }
    expect(codes).toEqual(['INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'USER_LOCKED_OUT']);
    await admin.update(storeId, { kmsuserPassword: KMSUSER_PASSWORD });
    const locked = (await admin.connect(storeId).catch((x: unknown) => x)) as StrongroomError;
    expect(locked.details?.connectionErrorCode).toBe('USER_LOCKED_OUT');
    expect(locked.message).toMatch(/locked.*HSM admin unlock it/);
    await admin.disconnect(storeId);
    // The HSM admin unlocks kmsuser on every node.
    for (const url of cluster.urls) {
      const node = await connectHsmNode({ url, trustAnchor: cluster.info.trustAnchor, clientCert: cluster.info.clientCert });
      try {
        await node.call('login', { user: 'admin', password: ADMIN_PASSWORD });
        await node.call('user.unlock', { user: 'kmsuser' });
      } finally {
        node.close();
      }
    }
    expect((await admin.connect(storeId)).connectionState).toBe('CONNECTED');
  });

  it('killing one of three HSM nodes under load fails no KMS call', async () => {
    const provider = CustomKeyStoreKeyProvider({ client, generatorKeyId: keyArn });
    const sdk = createClient({ keyProvider: provider });
    let stop = false;
    let ok = 0;
    const failures: unknown[] = [];
    const worker = async (w: number) => {
      while (!stop) {
        try {
          const msg = `load ${w} ${ok}`;
          const { ciphertext } = await sdk.encrypt(new TextEncoder().encode(msg), { encryptionContext: context });
          if (text((await sdk.decrypt(ciphertext)).plaintext) !== msg) throw new Error('wrong plaintext');
          ok++;
        } catch (e) {
          failures.push(e);
        }
      }
    };
    const workers = Array.from({ length: 6 }, (_, w) => worker(w));
    await new Promise((r) => setTimeout(r, 500));
    await cluster.kill(0);
    await new Promise((r) => setTimeout(r, 1000));
    stop = true;
    await Promise.all(workers);
    console.log(`node kill under load: ${ok} encrypt+decrypt round trips through kms-local, ${failures.length} failed`);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(0);
  });

  it('with one active HSM, creating a key fails with the documented error; existing keys keep working', async () => {
    await cluster.kill(1);
    const err = await admin.createKey(storeId).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err, 'KEY_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/has 1 active HSM; a custom key store needs at least 2 active HSMs in different Availability Zones/);
    expect(((err as StrongroomError).cause as Error).name).toBe('CloudHsmClusterInvalidConfigurationException');
    const sdk = createClient({ keyProvider: CustomKeyStoreKeyProvider({ client, keyIds: [keyArn] }) });
    expect(text((await sdk.decrypt(oldCiphertext)).plaintext)).toBe('in the customer HSM');
  });

  it('cannot delete a connected store or one with keys; after a kms-local restart the store is DISCONNECTED and reconnects', async () => {
    expect((await awsError(client.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: storeId })))).name).toBe('CustomKeyStoreInvalidStateException');
    await admin.disconnect(storeId);
    expect((await awsError(client.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: storeId })))).name).toBe('CustomKeyStoreHasCMKsException');

    client.destroy();
    await kms.close();
    await startKms();
    expect((await admin.describe(storeId))[0]).toMatchObject({ connectionState: 'DISCONNECTED', name: 'dev-store' });
    expect((await client.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata!.KeyState).toBe('Unavailable');
    await admin.connect(storeId); // one HSM is enough to connect
    const sdk = createClient({ keyProvider: CustomKeyStoreKeyProvider({ client, keyIds: [keyArn] }) });
    expect(text((await sdk.decrypt(oldCiphertext)).plaintext)).toBe('in the customer HSM');
  });

  it('no reachable HSM fails the connection with NETWORK_ERRORS; an unregistered cluster with CLUSTER_NOT_FOUND', async () => {
    await admin.disconnect(storeId);
    await cluster.kill(2);
    const down = (await admin.connect(storeId).catch((x: unknown) => x)) as StrongroomError;
    expect(down.details?.connectionErrorCode).toBe('NETWORK_ERRORS');
    expect(down.message).toMatch(/no HSM of the cluster could be reached/);
    await admin.disconnect(storeId);
    // kms-local restarted without the cluster registration.
    client.destroy();
    await kms.close();
    kms = await startKmsServer({ dataDir, credentials: CREDENTIALS });
    client = new KMSClient({ endpoint: kms.endpoint, region: kms.region, credentials: CREDENTIALS, maxAttempts: 1 });
    admin = createCustomKeyStoreAdmin({ client });
    const gone = (await admin.connect(storeId).catch((x: unknown) => x)) as StrongroomError;
    expect(gone.details?.connectionErrorCode).toBe('CLUSTER_NOT_FOUND');
  });
});
