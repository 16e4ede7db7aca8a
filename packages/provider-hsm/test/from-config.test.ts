import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, StrongroomError } from '@strongroom/core';
import { hsmKeyProviderFromConfig, loadHsmConfig, openPkcs11, type HsmClusterConfig } from '../src/index';
import { requireSoftHsm, softHsmFixture, type SoftHsmFixture } from './softhsm';

const PEM = (what: string) => `-----BEGIN ${what}-----\nAAAA\n-----END ${what}-----\n`;

describe('loadHsmConfig', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'strongroom-hsm-config-'));
    mkdirSync(join(dir, 'hsm'));
    writeFileSync(join(dir, 'hsm', 'ca.pem'), PEM('CERTIFICATE'));
    writeFileSync(join(dir, 'hsm', 'client.pem'), PEM('CERTIFICATE'));
    writeFileSync(join(dir, 'hsm', 'client.key'), PEM('PRIVATE KEY'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cluster = {
    clusterId: 'cluster-1',
    nodes: [
      { url: 'tls://127.0.0.1:7301', az: 'az-a' },
      { url: 'tls://127.0.0.1:7302', az: 'az-b' },
    ],
    trustAnchorPath: 'hsm/ca.pem',
    clientCertPath: 'hsm/client.pem',
    clientKeyPath: 'hsm/client.key',
    user: 'crypto-user',
    passwordEnv: 'TEST_HSM_PASSWORD',
  };

  it('resolves PEM paths relative to the file and secrets from the environment', async () => {
    const file = join(dir, 'dev.json');
    writeFileSync(file, JSON.stringify({ version: 1, keyLabel: 'dev-kek', hsm: cluster }));
    const config = await loadHsmConfig(file, { env: { TEST_HSM_PASSWORD: 's3cret' } });
    expect(config.keyLabel).toBe('dev-kek');
    expect(config.hsm).toMatchObject({ clusterId: 'cluster-1', user: 'crypto-user', password: 's3cret', trustAnchorPem: PEM('CERTIFICATE') });
    expect(config.hsm!.clientKeyPem).toBe(PEM('PRIVATE KEY'));
    expect(config.hsm!.nodes).toHaveLength(2);
  });

  it('hands the resolved cluster section to the cluster connector', async () => {
    const file = join(dir, 'dev2.json');
    writeFileSync(file, JSON.stringify({ keyLabel: 'dev-kek', hsm: { ...cluster, passwordEnv: undefined, password: 'inline' } }));
    let seen: HsmClusterConfig | undefined;
    const sentinel = new Error('connector reached');
    await expect(
      hsmKeyProviderFromConfig(file, {
        connectCluster: async (c) => {
          seen = c;
          throw sentinel;
        },
      }),
    ).rejects.toBe(sentinel);
    expect(seen?.password).toBe('inline');
    expect(seen?.trustAnchorPem).toContain('BEGIN CERTIFICATE');
    // Without connectCluster the hsm-local cluster client is used: these placeholder PEMs are refused.
    const viaDefault = await hsmKeyProviderFromConfig(file).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(viaDefault)).toBe(true);
  });

  it('rejects bad files with typed errors', async () => {
    const inline = {
      ...cluster,
      trustAnchorPath: undefined,
      clientCertPath: undefined,
      clientKeyPath: undefined,
      trustAnchorPem: PEM('CERTIFICATE'),
      clientCertPem: PEM('CERTIFICATE'),
      clientKeyPem: PEM('PRIVATE KEY'),
    };
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{ not json');
    await expect(loadHsmConfig(file)).rejects.toMatchObject({ code: 'MALFORMED' });
    await expect(loadHsmConfig(join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'IO_ERROR' });
    await expect(loadHsmConfig({})).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(loadHsmConfig({ version: 2, pkcs11: {} })).rejects.toThrow(/version/);
    await expect(loadHsmConfig({ hsm: { ...cluster, nodes: [] } }, { env: { TEST_HSM_PASSWORD: 'x' } })).rejects.toThrow(/nodes/);
    await expect(loadHsmConfig({ hsm: { ...cluster, nodes: [{ url: 'ftp://x' }] } }, { env: { TEST_HSM_PASSWORD: 'x' } })).rejects.toThrow(/URL/);
    await expect(loadHsmConfig({ hsm: inline }, { env: {} })).rejects.toThrow(/TEST_HSM_PASSWORD/);
    // Nodes on other hosts: any host name, IPv4 or bracketed IPv6 address; junk hosts and ports are refused.
    for (const url of ['tls://hsm-a.az1.internal:7301', 'tls://198.18.0.1:7301', 'tls://[2001:db8::1]:7301']) {
      await expect(loadHsmConfig({ hsm: { ...inline, nodes: [{ url }] } }, { env: { TEST_HSM_PASSWORD: 'x' } }), url).resolves.toMatchObject({ hsm: { nodes: [{ url }] } });
    }
    for (const url of ['tls://a b:7301', 'tls://[zz::1]:7301', 'tls://2001:db8::1:7301', 'tls://hsm-a:70000', 'tls://hsm-a:7301/x']) {
      await expect(loadHsmConfig({ hsm: { ...inline, nodes: [{ url }] } }, { env: { TEST_HSM_PASSWORD: 'x' } }), url).rejects.toThrow(/URL/);
    }
    await expect(loadHsmConfig({ hsm: { ...inline, clientKeyPem: 'not a pem' } }, { env: { TEST_HSM_PASSWORD: 'x' } })).rejects.toThrow(/clientKeyPem/);
    await expect(loadHsmConfig({ hsm: inline }, { env: { TEST_HSM_PASSWORD: 'x' } })).resolves.toMatchObject({ hsm: { password: 'x' } });
    await expect(loadHsmConfig({ pkcs11: { library: '/x.so', tokenLabel: 't' } })).rejects.toThrow(/pin/);
    await expect(loadHsmConfig({ pkcs11: { library: '/x.so', pin: '1', slot: -1 } })).rejects.toThrow(/slot/);
    await expect(hsmKeyProviderFromConfig({ pkcs11: { library: '/x.so', tokenLabel: 't', pin: '1' } })).rejects.toThrow(/key label/);
  });
});

const availability = requireSoftHsm('provider-hsm hsmKeyProviderFromConfig (pkcs11)');

describe.skipIf(!availability.ok)('hsmKeyProviderFromConfig with a pkcs11 section (SoftHSMv2)', () => {
  let fx: SoftHsmFixture;
  beforeAll(async () => {
    fx = softHsmFixture(availability as Extract<typeof availability, { ok: true }>);
    const token = fx.initToken('from-config', '4321');
    const hsm = await openPkcs11({ library: fx.library, tokenLabel: token.tokenLabel, pin: token.pin });
    await hsm.generateAesKey({ label: 'config-kek', bits: 256 });
    await hsm.close();
  });
  afterAll(() => fx?.cleanup());

  it('gives a working provider in one line and closes its connection', async () => {
    const file = join(fx.dir, 'strongroom.json');
    writeFileSync(file, JSON.stringify({ pkcs11: { library: fx.library, tokenLabel: 'from-config', pinEnv: 'TEST_PIN' } }));
    const provider = await hsmKeyProviderFromConfig(file, { label: 'config-kek', env: { TEST_PIN: '4321' } });
    expect(provider.backend.kind).toBe('pkcs11');
    const client = createClient({ keyProvider: provider });
    const { ciphertext } = await client.encrypt(Buffer.from('hello hsm'), { encryptionContext: { a: 'b' } });
    expect(Buffer.from((await client.decrypt(ciphertext)).plaintext).toString()).toBe('hello hsm');
    await provider.close();
    await expect(provider.generateDataKey({ suite: (await import('@strongroom/core')).DEFAULT_SUITE, encryptionContext: {} })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
    });
  });
});
