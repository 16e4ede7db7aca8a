/**
 * KMS faults (issue 9) over real sockets: a fault proxy (bench/faults/fault-proxy.mjs) in front of
 * kms-local injects connection resets (before and in the middle of a response), throttling, 5xx and
 * slow or hung responses into the real @aws-sdk/client-kms traffic of KmsKeyProvider. Checks:
 * no encrypt or decrypt fails that a retry can save; deadlines and abortSignal are honoured while the
 * server hangs or the provider is backing off; and no plaintext data key outlives its use — every
 * data key the provider hands to core is zero once the operation settles, on success and on failure.
 * (provider-kms/test/msw-faults.test.ts covers throttling/5xx against a fake KMS; this suite adds
 * resets, delays and hangs against kms-local, the deadline paths and the wipe checks.)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { createClient, StrongroomError, type KeyProvider } from '@strongroom/core';
import { startKmsServer, type KmsServer } from '@strongroom/kms-local';
import { KmsKeyProvider, type RetryOptions } from '@strongroom/provider-kms';
import { capturing } from '../../bench/faults/capturing.mjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy } from '../../bench/faults/fault-proxy.mjs';

const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-kms-faults-'));
let kms: KmsServer;
let keyArn: string;
const clients: KMSClient[] = [];
const proxies: Array<Awaited<ReturnType<typeof startFaultProxy>>> = [];

beforeAll(async () => {
  kms = await startKmsServer({ dataDir });
  const direct = new KMSClient({ endpoint: kms.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
  clients.push(direct);
  keyArn = (await direct.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  for (const p of proxies) await p.close();
  await kms?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function proxied(options: Parameters<typeof startFaultProxy>[0] extends infer O ? Omit<O, 'target'> : never, retry?: RetryOptions) {
  const proxy = await startFaultProxy({ target: kms.endpoint, ...options });
  proxies.push(proxy);
  const client = new KMSClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, maxAttempts: 1 });
  clients.push(client);
  const provider = KmsKeyProvider({ generatorKeyId: keyArn, clientProvider: () => client, retry });
  return { proxy, provider };
}


const zeroed = (k: Uint8Array) => k.every((b) => b === 0);
const typedCode = (e: unknown) => (StrongroomError.isInstance(e) ? e.code : `untyped: ${String(e)}`);

describe('KMS faults through a fault proxy in front of kms-local', () => {
  it('resets, mid-response resets, throttling, 5xx and slow responses: every encrypt and decrypt succeeds, every data key is wiped', async () => {
    const { proxy, provider } = await proxied(
      { seed: 9, rates: { reset: 0.08, 'reset-mid-response': 0.05, throttle: 0.08, '5xx': 0.07, delay: 0.1 }, delayMs: [20, 200] },
      { maxAttempts: 10, baseDelayMs: 5, maxDelayMs: 100 },
    );
    const keys: Uint8Array[] = [];
    const client = createClient({ keyProvider: capturing(provider, keys), frameLength: 256 });
    const N = 150;
    const failures: unknown[] = [];
    let next = 0;
    const worker = async () => {
      while (next < N) {
        const i = next++;
        try {
          const plaintext = randomBytes(300 + i);
          const { ciphertext } = await client.encrypt(plaintext, { encryptionContext: { n: String(i) } });
          const { plaintext: back } = await client.decrypt(ciphertext, { expectedEncryptionContext: { n: String(i) } });
          if (!Buffer.from(back).equals(plaintext)) throw new Error('round trip changed the bytes');
        } catch (e) {
          failures.push(e);
        }
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    const injected = proxy.counts.requests - proxy.counts.passed - proxy.counts.delay;
    console.log(`kms faults: ${N} encrypt+decrypt pairs, ${proxy.counts.requests} KMS requests, ${injected} failed by injection ` +
      `(${JSON.stringify(proxy.counts)}), ${failures.length} operations failed, ${keys.length} data keys handed out`);
    expect(failures.map(typedCode)).toEqual([]);
    expect(injected).toBeGreaterThan(20);
    expect(keys.length).toBe(2 * N);
    expect(keys.filter((k) => !zeroed(k)).length).toBe(0);
  });

  it('abortSignal: a hung KMS call rejects with ABORTED when the deadline passes (encrypt and decrypt)', async () => {
    let hang = false;
    const { proxy, provider } = await proxied({ rule: () => (hang ? 'hang' : 'pass') });
    const keys: Uint8Array[] = [];
    const client = createClient({ keyProvider: capturing(provider, keys) });
    const { ciphertext } = await client.encrypt('secret', { encryptionContext: { a: 'b' } });
    hang = true;
    const enc = await client.encrypt('secret', { encryptionContext: { a: 'b' }, abortSignal: AbortSignal.timeout(300) }).catch((e: unknown) => e);
    const dec = await client.decrypt(ciphertext, { abortSignal: AbortSignal.timeout(300) }).catch((e: unknown) => e);
    expect(typedCode(enc)).toBe('ABORTED');
    expect(typedCode(dec)).toBe('ABORTED');
    expect(proxy.counts.hang).toBe(2); // both calls were still unanswered when they gave up
    const pre = new AbortController();
    pre.abort();
    expect(typedCode(await client.encrypt('x', { encryptionContext: {}, abortSignal: pre.signal }).catch((e: unknown) => e))).toBe('ABORTED');
    expect(proxy.counts.hang).toBe(2); // an already-aborted call sends nothing
    expect(keys.every(zeroed)).toBe(true);
  });

  it('abortSignal cuts a retry back-off short (persistent throttling, 10 s delays)', async () => {
    const { proxy, provider } = await proxied({ rule: () => 'throttle' }, { maxAttempts: 5, baseDelayMs: 10_000, maxDelayMs: 10_000, random: () => 1 });
    const client = createClient({ keyProvider: provider });
    const err = await client.encrypt('x', { encryptionContext: {}, abortSignal: AbortSignal.timeout(300) }).catch((e: unknown) => e);
    expect(typedCode(err)).toBe('ABORTED');
    expect(proxy.counts.throttle).toBe(1); // gave up during the first back-off, not after it
  });

  it('a fault a retry cannot save (persistent 5xx) surfaces typed after maxAttempts, with the data path untouched', async () => {
    const { proxy, provider } = await proxied({ rule: () => '5xx' }, { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 });
    const err = await createClient({ keyProvider: provider }).encrypt('x', { encryptionContext: {} }).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err)).toBe(true);
    expect(proxy.counts['5xx']).toBe(3);
  });

  it('data keys are wiped on failure paths too: tampered frame, truncated stream, failing source, early stop', async () => {
    const { provider } = await proxied({});
    const keys: Uint8Array[] = [];
    const client = createClient({ keyProvider: capturing(provider, keys), frameLength: 64 });
    const { ciphertext } = await client.encrypt(randomBytes(1000), { encryptionContext: { t: '1' } });

    const tampered = Buffer.from(ciphertext);
    tampered[tampered.length - 40]! ^= 1;
    expect(typedCode(await client.decrypt(tampered).catch((e: unknown) => e))).toBe('AUTHENTICATION_FAILED');
    const streamErr = await (async () => {
      for await (const _ of client.decryptStream(tampered));
    })().catch((e: unknown) => e);
    expect(StrongroomError.isInstance(streamErr)).toBe(true);
    const truncated = Buffer.from(ciphertext).subarray(0, ciphertext.length - 100);
    expect(StrongroomError.isInstance(await client.decrypt(truncated).catch((e: unknown) => e))).toBe(true);
    // The consumer stops after the first chunk.
    for await (const _ of client.decryptStream(ciphertext)) break;
    // The plaintext source fails half-way through an encryptStream.
    const failing = Readable.from((async function* () {
      yield randomBytes(500);
      throw new Error('source failed');
    })());
    await expect(pipeline(failing, client.encryptStream({ encryptionContext: {} }), async function* (s) { for await (const _ of s); })).rejects.toThrow();
    // The failing encryptStream's data key may still be on its way from kms-local and then wiped:
    // wait for the sixth key and for the wipes (a ceiling, not a fixed sleep that a loaded machine outruns).
    for (const end = Date.now() + 60_000; (keys.length < 6 || !keys.every(zeroed)) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
    expect(keys.length).toBeGreaterThanOrEqual(6);
    const live = keys.map((k, i) => (zeroed(k) ? -1 : i)).filter((i) => i >= 0);
    expect(live).toEqual([]);
  });
});
