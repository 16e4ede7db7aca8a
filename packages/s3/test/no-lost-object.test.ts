/**
 * No step loses an object: every multi-request change (SSE-C key rotation and overwrite; objects
 * whose envelope is in an instruction file) is failed at each of its steps, and afterwards the old
 * or the new object is still readable. Faults: the msw S3 double answers the chosen request with
 * 500 InternalError. (upload() in parts: multipart.test.ts, faults through a wrapping client, as the
 * double has no multipart.)
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setupServer } from 'msw/node';
import { S3Client } from '@aws-sdk/client-s3';
import { StrongroomError } from '@strongroom/core';
import { EncryptedS3Client, generateSseCKey, getObjectSseC, putObjectSseC, rotateSseCKey, SSE_C_SIDECAR_SUFFIX } from '../src/index';
import { createSseCS3Double, mswS3Client, type RecordedRequest } from './helpers/msw-s3';
import { aesProvider } from './helpers/providers';

const double = createSseCS3Double();
const server = setupServer(double.handler);
beforeAll(() => {
  server.listen({ onUnhandledRequest: 'bypass' });
});
afterEach(() => {
  double.control.failWhen = undefined;
  double.control.blockSseC = false;
  double.control.denySseCWrites = false;
  double.requests.length = 0;
});
afterAll(async () => {
  server.close();
});

const Bucket = 'strongroom-steps';
const client = mswS3Client;
const isSidecarPut = (r: RecordedRequest) => r.method === 'PUT' && r.key.endsWith(SSE_C_SIDECAR_SUFFIX);
const isCopy = (r: RecordedRequest) => r.method === 'PUT' && r.headers['x-amz-copy-source'] !== undefined;
const bytes = async (b: { transformToByteArray(): Promise<Uint8Array> } | undefined) => Buffer.from(await b!.transformToByteArray());

/** Fail the requests `pick` selects; `pick` sees the requests of this operation in order. */
function failWhere(pick: (r: RecordedRequest, seen: RecordedRequest[]) => boolean) {
  const seen: RecordedRequest[] = [];
  double.control.failWhen = (r) => {
    seen.push(r);
    return pick(r, seen);
  };
}

describe('SSE-C: rotateSseCKey', () => {
  const steps: Array<[string, (r: RecordedRequest, seen: RecordedRequest[]) => boolean]> = [
    ['1. the sidecar with the new key', (r) => isSidecarPut(r)],
    ['2. the copy under the new key', (r) => isCopy(r)],
    // Old code wrote the sidecar only after the copy: this failure left the object under a key nobody held.
    ['3. the sidecar after the copy', (r, seen) => isSidecarPut(r) && seen.some(isCopy)],
  ];
  it.each(steps)('fails at step %s: the object stays readable', async (_step, pick) => {
    const c = client();
    const Key = `rotate/${randomBytes(4).toString('hex')}`;
    const data = randomBytes(700);
    await putObjectSseC(c, { Bucket, Key, Body: data }, await generateSseCKey(aesProvider()));
    failWhere(pick);
    await expect(rotateSseCKey(c, aesProvider(), { Bucket, Key })).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    double.control.failWhen = undefined;
    const got = await getObjectSseC(c, { Bucket, Key }, { providers: aesProvider() });
    expect((await bytes(got.Body)).equals(data)).toBe(true);
    // And a later rotation completes from whatever state the failure left.
    await rotateSseCKey(c, aesProvider(), { Bucket, Key });
    expect((await bytes((await getObjectSseC(c, { Bucket, Key }, { providers: aesProvider() })).Body)).equals(data)).toBe(true);
  });
});

describe('SSE-C: putObjectSseC over an existing object', () => {
  it.each([
    ['1. the sidecar with the new key', 'old', (r: RecordedRequest) => isSidecarPut(r)],
    ['2. the object under the new key', 'old', (r: RecordedRequest) => r.method === 'PUT' && !isSidecarPut(r)],
    ['3. the sidecar after the object', 'new', (r: RecordedRequest, seen: RecordedRequest[]) => isSidecarPut(r) && seen.some((s) => s.method === 'PUT' && !isSidecarPut(s))],
  ] as const)('fails at step %s: the %s object is readable', async (_step, which, pick) => {
    const c = client();
    const Key = `overwrite/${randomBytes(4).toString('hex')}`;
    const old = randomBytes(300);
    const next = randomBytes(400);
    await putObjectSseC(c, { Bucket, Key, Body: old }, await generateSseCKey(aesProvider()));
    failWhere(pick);
    await expect(putObjectSseC(c, { Bucket, Key, Body: next }, await generateSseCKey(aesProvider()))).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    double.control.failWhen = undefined;
    const got = await bytes((await getObjectSseC(c, { Bucket, Key }, { providers: aesProvider() })).Body);
    expect(got.equals(which === 'old' ? old : next)).toBe(true);
  });
});

describe('instruction file: overwriting an object', () => {
  const isStaged = (r: RecordedRequest) => /\.instruction\.[0-9a-f]{32}$/.test(r.key);
  it.each([
    ['1. the staged instruction file', 'old', (r: RecordedRequest) => r.method === 'PUT' && isStaged(r)],
    ['2. the object', 'old', (r: RecordedRequest) => r.method === 'PUT' && !r.key.includes('.instruction')],
    // Old code: object first, then key.instruction — this failure left an object that no longer decrypted.
    ['3. key.instruction', 'new', (r: RecordedRequest) => r.method === 'PUT' && r.key.endsWith('.instruction')],
    ['4. removing the staged file', 'new', (r: RecordedRequest) => r.method === 'DELETE' && isStaged(r)],
  ] as const)('fails at step %s: the %s object decrypts', async (step, which, pick) => {
    const enc = new EncryptedS3Client({ client: client(), keyProvider: aesProvider(), envelopeLocation: 'instruction-file' });
    const Key = `instr/${randomBytes(4).toString('hex')}`;
    const old = randomBytes(500);
    const next = randomBytes(600);
    await enc.putObject({ Bucket, Key, Body: old });
    failWhere(pick);
    const put = enc.putObject({ Bucket, Key, Body: next });
    if (step.startsWith('4')) await put; // best-effort cleanup: the write itself succeeded
    else await expect(put).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    double.control.failWhen = undefined;
    const got = await bytes((await enc.getObject({ Bucket, Key })).Body);
    expect(got.equals(which === 'old' ? old : next)).toBe(true);
    if (which === 'old') expect([...double.objects.keys()].filter((k) => k.startsWith(`${Bucket}/${Key}.instruction.`))).toEqual([]);
  });

  it('an instruction file swapped in from another object is refused (digest), the staged copy is not used unless it matches', async () => {
    const enc = new EncryptedS3Client({ client: client(), keyProvider: aesProvider(), envelopeLocation: 'instruction-file' });
    await enc.putObject({ Bucket, Key: 'swap/a', Body: 'a' });
    await enc.putObject({ Bucket, Key: 'swap/b', Body: 'b' });
    double.objects.set(`${Bucket}/swap/a.instruction`, double.objects.get(`${Bucket}/swap/b.instruction`)!);
    await expect(enc.getObject({ Bucket, Key: 'swap/a' })).rejects.toMatchObject({ code: 'MALFORMED' });
  });
});

let generated: Awaited<ReturnType<typeof generateSseCKey>>;
beforeAll(async () => {
  generated = await generateSseCKey(aesProvider());
});

describe("S3's SSE-C block (BlockedEncryptionTypes, since April 2026)", () => {
  it('a blocked bucket: a typed ACCESS_DENIED that says what to change; the old object stays readable', async () => {
    const c = client();
    const Key = `blocked/${randomBytes(4).toString('hex')}`;
    const old = randomBytes(100);
    await putObjectSseC(c, { Bucket, Key, Body: old }, await generateSseCKey(aesProvider()));
    double.control.blockSseC = true;
    for (const attempt of [
      () => putObjectSseC(c, { Bucket, Key, Body: randomBytes(10) }, generated),
      () => rotateSseCKey(c, aesProvider(), { Bucket, Key }),
    ]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(StrongroomError.isInstance(err, 'ACCESS_DENIED'), String(err)).toBe(true);
      expect((err as Error).message).toContain('blocks SSE-C (BlockedEncryptionTypes: SSE-C');
      expect((err as Error).message).toContain(`aws s3api put-bucket-encryption --bucket ${Bucket}`);
      expect((err as Error).message).toContain('"BlockedEncryptionTypes":{"EncryptionType":["NONE"]}');
      expect(((err as Error).cause as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(403);
    }
    double.control.blockSseC = false;
    const got = await bytes((await getObjectSseC(c, { Bucket, Key }, { providers: aesProvider() })).Body);
    expect(got.equals(old)).toBe(true);
  });

  it('a 403 on a bucket that does not block SSE-C passes through unchanged', async () => {
    const c = client();
    double.control.denySseCWrites = true; // 403 AccessDenied, while GetBucketEncryption shows no block
    const err = await putObjectSseC(c, { Bucket, Key: 'not-blocked', Body: 'x' }, generated).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err), String(err)).toBe(false);
    expect((err as { name?: string }).name).toBe('AccessDenied');
    expect((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(403);
  });
});
