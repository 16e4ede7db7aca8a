/**
 * HsmKeyProvider over the hsm-local cluster draws and wraps a data key in one node request
 * (`aes.gcmGenerateDataKey`, the shape of KMS GenerateDataKey:
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKey.html) instead of `random`
 * then `aes.gcmEncrypt`. Against a real 3-node cluster: the encrypted data keys of both paths are the
 * same format and open each other, and the nodes' audit logs show one request per data key.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getSuite } from '@strongroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HsmBackend } from '../src/backend';
import { connectHsmCluster, type HsmClusterClient } from '../src/cluster/index';
import { HsmKeyProvider } from '../src/key-provider';
import { parseProviderInfo } from '../src/provider-info';
import { APP, startProcCluster, type ProcCluster } from './test-cluster';

let c: ProcCluster;
let hsm: HsmClusterClient;
const suite = getSuite(0x0478);
const encryptionContext = { tenant: 'one-call' };

beforeAll(async () => {
  c = await startProcCluster();
  hsm = await connectHsmCluster({
    nodes: c.urls.map((url, i) => ({ url, az: c.info.nodes[i]!.az })),
    trustAnchor: c.info.trustAnchor,
    clientCert: c.info.clientCert,
    ...APP,
  });
  await hsm.generateAesKey({ label: 'one-call-kek', bits: 256 });
}, 120_000);

afterAll(async () => {
  await hsm?.close();
  await c?.stopAll();
});

/** The same cluster client without `generateDataKey`: the two-call path PKCS#11 backends take. */
function twoCallBackend(b: HsmClusterClient): HsmBackend {
  const { generateDataKey: _omitted, ...rest } = b;
  return rest;
}

type AuditRecord = { op: string; user: string | null; response: string };
/** The crypto user's records in every node's audit log (whole lines only: a node may be mid-append). */
function appRecords(): AuditRecord[] {
  return c.info.nodes.flatMap((n) =>
    readFileSync(join(n.dataDir, 'audit.log'), 'utf8').split('\n').slice(0, -1).map((l) => JSON.parse(l) as AuditRecord).filter((r) => r.user === APP.user),
  );
}
const count = (records: AuditRecord[], op: string) => records.filter((r) => r.op === op && r.response === 'SUCCESS').length;

describe('HsmKeyProvider.generateDataKey over the cluster', () => {
  it('writes the same EDK format as the two-call path, and each path opens the other', async () => {
    const oneCall = HsmKeyProvider({ backend: hsm, keyLabel: 'one-call-kek' });
    const twoCall = HsmKeyProvider({ backend: twoCallBackend(hsm), keyLabel: 'one-call-kek', backendId: hsm.id });
    const a = await oneCall.generateDataKey({ suite, encryptionContext });
    const b = await twoCall.generateDataKey({ suite, encryptionContext });
    for (const dk of [a, b]) {
      expect(dk.plaintextKey.length).toBe(32);
      expect(dk.encryptedDataKey.ciphertext.length).toBe(32 + 16);
      expect(dk.encryptedDataKey.providerId).toBe(twoCall.providerId);
    }
    const infoA = parseProviderInfo(a.encryptedDataKey.providerInfo);
    const infoB = parseProviderInfo(b.encryptedDataKey.providerInfo);
    expect({ ...infoA, iv: undefined }).toEqual({ ...infoB, iv: undefined });
    expect(infoA.iv.length).toBe(12);
    expect(Buffer.from((await twoCall.decryptDataKey({ suite, encryptionContext, encryptedDataKey: a.encryptedDataKey }))!)).toEqual(Buffer.from(a.plaintextKey));
    expect(Buffer.from((await oneCall.decryptDataKey({ suite, encryptionContext, encryptedDataKey: b.encryptedDataKey }))!)).toEqual(Buffer.from(b.plaintextKey));
    // The context is bound on the one-call path too.
    await expect(oneCall.decryptDataKey({ suite, encryptionContext: { tenant: 'other' }, encryptedDataKey: a.encryptedDataKey })).rejects.toMatchObject({ code: 'AUTHENTICATION_FAILED' });
  });

  it('makes one node request per data key: no `random`, one `aes.gcmGenerateDataKey` (counted in the audit logs)', async () => {
    const warm = HsmKeyProvider({ backend: hsm, keyLabel: 'one-call-kek' });
    await warm.generateDataKey({ suite, encryptionContext }); // key lookup and availability check, cached from here on
    await new Promise((r) => setTimeout(r, 300));
    const before = appRecords();
    const N = 12;
    for (let i = 0; i < N; i++) (await warm.generateDataKey({ suite, encryptionContext })).plaintextKey.fill(0);
    let after = appRecords();
    for (let i = 0; i < 50 && count(after, 'aes.gcmGenerateDataKey') - count(before, 'aes.gcmGenerateDataKey') < N; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = appRecords();
    }
    expect(count(after, 'aes.gcmGenerateDataKey') - count(before, 'aes.gcmGenerateDataKey')).toBe(N);
    expect(count(after, 'random') - count(before, 'random')).toBe(0);
    expect(count(after, 'aes.gcmEncrypt') - count(before, 'aes.gcmEncrypt')).toBe(0);
  });
});
