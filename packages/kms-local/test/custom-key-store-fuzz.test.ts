/**
 * Fuzzed request bodies for the custom key store operations (and the CreateKey/GenerateRandom
 * fields they add): whatever JSON arrives, the answer is a result or a typed KMS client error
 * (HTTP 400 `__type`), never an internal error, and invalid requests change no state.
 * Runs STRONGROOM_FUZZ_RUNS cases (default 10 000) against the operation handlers in-process,
 * plus unit checks of the ConnectionErrorCode mapping.
 */
import { createSecretKey, randomBytes } from 'node:crypto';
import { StrongroomError } from '@strongroom/core';
import { createCertificateAuthority } from '@strongroom/hsm-local';
import fc from 'fast-check';
import { CreateCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientFor, startTestServer, tempDir } from './helpers';
import { createContext } from '../src/context';
import { connectionErrorCode, createCustomKeyStoreConnections } from '../src/custom-key-store/connections';
import { routeMaterialStore } from '../src/custom-key-store/material';
import { parseHsmClusterRegistrations } from '../src/custom-key-store/registrations';
import { KmsError } from '../src/errors';
import { createLocalKeyMaterialStore } from '../src/key-material';
import { emptyState } from '../src/model';
import { customKeyStoreOps } from '../src/ops/custom-key-stores';
import { lifecycleOps } from '../src/ops/lifecycle';
import { symmetricOps } from '../src/ops/symmetric';
import { createSealer } from '../src/seal';

const RUNS = Number(process.env.STRONGROOM_FUZZ_RUNS ?? 10_000);
const CLUSTER = 'cluster-fuzz00000000';
const ca = createCertificateAuthority('fuzz CA').certPem;

const ALLOWED = new Set([
  'ValidationException', 'CustomKeyStoreNotFoundException', 'CustomKeyStoreNameInUseException', 'CustomKeyStoreInvalidStateException',
  'CustomKeyStoreHasCMKsException', 'CloudHsmClusterNotFoundException', 'CloudHsmClusterInUseException', 'CloudHsmClusterNotActiveException',
  'CloudHsmClusterInvalidConfigurationException', 'CloudHsmClusterNotRelatedException', 'IncorrectTrustAnchorException',
  'UnsupportedOperationException', 'InvalidMarkerException', 'TagException',
]);

function setup() {
  const state = emptyState();
  const sealer = createSealer(createSecretKey(randomBytes(32)));
  // A registered cluster with no HSMs: probes and connects answer at once, without a network.
  const connections = createCustomKeyStoreConnections([{ clusterId: CLUSTER, nodes: [], trustAnchorPem: ca, clientCertPem: '', clientKeyPem: '' }]);
  let saves = 0;
  const ctx = createContext({
    region: 'us-east-1', accountId: '111122223333', state, sealer, customKeyStores: connections,
    materialStore: routeMaterialStore(createLocalKeyMaterialStore(sealer), connections),
    now: Date.now,
    save: async () => {
      saves++;
    },
  });
  state.customKeyStores!['cks-0123456789abcdef0'] = {
    CustomKeyStoreId: 'cks-0123456789abcdef0', CustomKeyStoreName: 'existing', CloudHsmClusterId: CLUSTER, TrustAnchorCertificate: ca,
    sealedPassword: sealer.seal(Buffer.from('password1'), 'kms-local/cks-password/cks-0123456789abcdef0'), CreationDate: 1,
  };
  return { ctx, state, saves: () => saves };
}

const value = fc.oneof(
  fc.constantFrom('cks-0123456789abcdef0', 'cks-ffffffffffffffff0', CLUSTER, 'cluster-other', 'existing', ca, 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE', 'AWS_KMS', 'password1', '0', '5'),
  fc.string({ maxLength: 40 }),
  fc.string({ minLength: 20, maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer({ min: -5, max: 2000 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
);
const FIELDS = [
  'CustomKeyStoreId', 'CustomKeyStoreName', 'NewCustomKeyStoreName', 'CloudHsmClusterId', 'TrustAnchorCertificate', 'KeyStorePassword',
  'CustomKeyStoreType', 'XksProxyUriEndpoint', 'Limit', 'Marker', 'Origin', 'KeySpec', 'KeyUsage', 'MultiRegion', 'NumberOfBytes', 'Description', 'Tags',
];
/** A valid request per operation; the fuzzer overrides or removes some of its fields. */
const BASE: Record<string, Record<string, unknown>> = {
  CreateCustomKeyStore: { CustomKeyStoreName: 'new', CloudHsmClusterId: CLUSTER, TrustAnchorCertificate: ca, KeyStorePassword: 'password1' },
  ConnectCustomKeyStore: { CustomKeyStoreId: 'cks-0123456789abcdef0' },
  DisconnectCustomKeyStore: { CustomKeyStoreId: 'cks-0123456789abcdef0' },
  DescribeCustomKeyStores: { CustomKeyStoreId: 'cks-0123456789abcdef0' },
  UpdateCustomKeyStore: { CustomKeyStoreId: 'cks-0123456789abcdef0', NewCustomKeyStoreName: 'renamed', KeyStorePassword: 'password2' },
  DeleteCustomKeyStore: { CustomKeyStoreId: 'cks-0123456789abcdef0' },
  CreateKey: { Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: 'cks-0123456789abcdef0' },
  GenerateRandom: { NumberOfBytes: 16, CustomKeyStoreId: 'cks-0123456789abcdef0' },
};
const OPS: Record<string, (ctx: never, input: never) => unknown> = {
  ...customKeyStoreOps,
  CreateKey: lifecycleOps.CreateKey!,
  GenerateRandom: symmetricOps.GenerateRandom!,
} as never;

describe('custom key store request validation (fuzzed)', () => {
  it(`never answers other than a result or a typed 400 error, and invalid requests change nothing (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(OPS)),
        fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 4 }),
        fc.boolean(),
        async (op, overrides, fromBase) => {
          const input = fromBase ? { ...BASE[op], ...overrides } : overrides;
          const { ctx, state, saves } = setup();
          const before = JSON.stringify(state);
          try {
            await OPS[op]!(ctx as never, input as never);
          } catch (e) {
            if (!(e instanceof KmsError)) throw e;
            expect(ALLOWED.has(e.type), `${op} answered ${e.type}: ${e.message}`).toBe(true);
            expect(e.status).toBe(400);
            expect(JSON.stringify(state)).toBe(before);
            expect(saves()).toBe(0);
          }
        },
      ),
      { numRuns: RUNS },
    );
  }, 120_000);
});

describe('ConnectionErrorCode mapping', () => {
  const denied = (reason: string, message = 'x') => new StrongroomError('ACCESS_DENIED', message, { details: { reason } });
  it('maps hsm-local login failures, lockout and network failures', () => {
    // Unknown user and wrong password look the same from outside the HSM (no user enumeration).
    expect(connectionErrorCode(denied('LOGIN_FAILED', 'login failed: unknown user or wrong password'))).toBe('INVALID_CREDENTIALS');
    expect(connectionErrorCode(denied('USER_LOCKED'))).toBe('USER_LOCKED_OUT');
    expect(connectionErrorCode(denied('ALREADY_LOGGED_IN'))).toBe('USER_LOGGED_IN');
    expect(connectionErrorCode(new StrongroomError('PROVIDER_ERROR', 'no hsm node reachable', { details: { reason: 'CONNECTION' } }))).toBe('NETWORK_ERRORS');
    expect(connectionErrorCode(new Error('boom'))).toBe('INTERNAL_ERROR');
  });

  it('a registered cluster without HSMs fails with INSUFFICIENT_CLOUDHSM_HSMS; an unregistered one with CLUSTER_NOT_FOUND', async () => {
    const c = createCustomKeyStoreConnections([{ clusterId: CLUSTER, nodes: [], trustAnchorPem: ca, clientCertPem: '', clientKeyPem: '' }]);
    await c.connect('cks-a', CLUSTER, 'password1');
    expect(c.get('cks-a')).toMatchObject({ state: 'FAILED', errorCode: 'INSUFFICIENT_CLOUDHSM_HSMS' });
    await c.connect('cks-b', 'cluster-unknown', 'password1');
    expect(c.get('cks-b')).toMatchObject({ state: 'FAILED', errorCode: 'CLUSTER_NOT_FOUND' });
    await c.disconnect('cks-b');
    expect(c.get('cks-b')).toMatchObject({ state: 'DISCONNECTED', errorCode: undefined });
  });
});

describe('hsm cluster registration file', () => {
  const good = { clusterId: CLUSTER, nodes: [{ url: 'tls://127.0.0.1:2223', az: 'us-east-1a' }], trustAnchorPem: ca, clientCertPem: 'c', clientKeyPem: 'k' };

  it('parses a valid document and rejects each malformed field with MALFORMED', () => {
    expect(parseHsmClusterRegistrations(JSON.stringify({ clusters: [good] }))).toEqual([good]);
    for (const bad of [
      'not json',
      { clusters: 'x' },
      { clusters: [{ ...good, clusterId: 'nope' }] },
      { clusters: [good, good] },
      { clusters: [{ ...good, nodes: [{ url: 'tls://10.0.0.1:2223', az: 'a' }] }] },
      { clusters: [{ ...good, nodes: [{ url: 'tls://127.0.0.1:99999', az: 'a' }] }] },
      { clusters: [{ ...good, trustAnchorPem: '' }] },
      { clusters: [{ ...good, clientKeyPem: 'x'.repeat(20_000) }] },
    ]) {
      expect(() => parseHsmClusterRegistrations(typeof bad === 'string' ? bad : JSON.stringify(bad))).toThrow(/hsm cluster registration/);
    }
  });

  it(`fuzzed documents parse or fail with MALFORMED only (${RUNS} runs)`, () => {
    const node = fc.record({ url: fc.oneof(fc.constant('tls://127.0.0.1:2223'), fc.string({ maxLength: 30 })), az: fc.string({ maxLength: 10 }) }, { requiredKeys: [] });
    const cluster = fc.record(
      { clusterId: fc.oneof(fc.constant(CLUSTER), fc.string({ maxLength: 20 })), nodes: fc.oneof(fc.array(node, { maxLength: 3 }), fc.anything()), trustAnchorPem: fc.string({ maxLength: 5 }), clientCertPem: fc.string({ maxLength: 5 }), clientKeyPem: fc.anything() },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.record({ clusters: fc.array(cluster, { maxLength: 3 }) }), fc.anything(), fc.string()), (doc) => {
        try {
          const out = parseHsmClusterRegistrations(typeof doc === 'string' ? doc : JSON.stringify(doc) ?? 'undefined');
          for (const r of out) expect(r.clusterId).toMatch(/^cluster-[A-Za-z0-9]+$/);
        } catch (e) {
          expect(StrongroomError.isInstance(e, 'MALFORMED')).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('kms-local reads <data dir>/hsm-clusters.json', async () => {
    const dataDir = await tempDir();
    await writeFile(join(dataDir, 'hsm-clusters.json'), JSON.stringify({ clusters: [good] }));
    const { server, cleanup } = await startTestServer({ dataDir });
    const client = clientFor(server);
    try {
      const create = (clusterId: string, anchor: string) =>
        client.send(new CreateCustomKeyStoreCommand({ CustomKeyStoreName: 's', CloudHsmClusterId: clusterId, TrustAnchorCertificate: anchor, KeyStorePassword: 'password1' })).catch((e: Error) => e.name);
      expect(await create('cluster-unknown1', ca)).toBe('CloudHsmClusterNotFoundException');
      expect(await create(CLUSTER, createCertificateAuthority('other').certPem)).toBe('IncorrectTrustAnchorException');
      // Registered and the anchor matches: its one HSM is not running.
      expect(await create(CLUSTER, ca)).toBe('CloudHsmClusterNotActiveException');
    } finally {
      client.destroy();
      await cleanup();
    }
  });
});
