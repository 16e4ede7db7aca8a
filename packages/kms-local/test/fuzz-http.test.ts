/**
 * Abuse suite: random JSON bodies (and random blobs in the right fields) sent to every operation
 * must always be answered with a modeled 4xx `__type` error or a 200 — never a 500 or a hang.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KmsServer } from '../src/index';
import { startTestServer } from './helpers';

// Case counts scale with STRONGROOM_FUZZ_RUNS (bench/fuzz sets 1,000,000); the defaults keep CI fast —
// the 10,000-case CI runs of these targets are in test/reliability/fuzz-parsers.test.ts.
const scaled = (base: number) => (process.env.STRONGROOM_FUZZ_RUNS ? Number(process.env.STRONGROOM_FUZZ_RUNS) : base);

const OPS = [
  'CreateKey', 'DescribeKey', 'ListKeys', 'CreateAlias', 'UpdateAlias', 'DeleteAlias', 'ListAliases', 'EnableKey', 'DisableKey',
  'ScheduleKeyDeletion', 'CancelKeyDeletion', 'EnableKeyRotation', 'DisableKeyRotation', 'GetKeyRotationStatus', 'RotateKeyOnDemand',
  'Encrypt', 'Decrypt', 'ReEncrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'GenerateDataKeyPair', 'GenerateRandom',
  'Sign', 'Verify', 'GetPublicKey', 'GenerateMac', 'VerifyMac', 'TagResource', 'UntagResource', 'ListResourceTags',
];

let server: KmsServer;
let cleanup: () => Promise<void>;
let keyId: string;

async function post(op: string, body: string) {
  const res = await fetch(server.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${op}` },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  ({ server, cleanup } = await startTestServer({ credentials: undefined }));
  keyId = ((await post('CreateKey', '{}')).json.KeyMetadata as { KeyId: string }).KeyId;
});
afterAll(async () => cleanup?.());

const field = () =>
  fc.oneof(
    fc.constantFrom(keyId, 'alias/x', `arn:aws:kms:us-east-1:111122223333:key/${keyId}`),
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('base64')),
    fc.dictionary(fc.string(), fc.string()),
    fc.array(fc.string()),
  );
const NAMES = ['KeyId', 'Plaintext', 'CiphertextBlob', 'EncryptionContext', 'NumberOfBytes', 'KeySpec', 'KeyUsage', 'AliasName', 'TargetKeyId', 'Message', 'Signature', 'SigningAlgorithm', 'MacAlgorithm', 'Mac', 'Tags', 'TagKeys', 'Limit', 'Marker', 'PendingWindowInDays', 'KeyPairSpec', 'DestinationKeyId', 'EncryptionAlgorithm', 'RotationPeriodInDays', 'MessageType'];

describe('fuzzed requests', () => {
  it('never answer 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...OPS), fc.dictionary(fc.constantFrom(...NAMES), field(), { maxKeys: 6 }), async (op, body) => {
        if (op === 'CreateKey' && typeof body.KeySpec === 'string' && body.KeySpec.startsWith('RSA_4096')) return; // slow, not interesting
        if (op === 'ScheduleKeyDeletion' || op === 'DisableKey') return; // keep the shared key usable
        const { status, json } = await post(op, JSON.stringify(body));
        expect(status === 200 || (status >= 400 && status < 500 && typeof json.__type === 'string')).toBe(true);
      }),
      { numRuns: scaled(400) },
    );
  });

  it('never answer 5xx to random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...OPS), fc.uint8Array({ maxLength: 200 }), async (op, bytes) => {
        const res = await fetch(server.endpoint, { method: 'POST', headers: { 'x-amz-target': `TrentService.${op}` }, body: bytes });
        expect(res.status).toBeLessThan(500);
        await res.arrayBuffer();
      }),
      { numRuns: scaled(200) },
    );
  });
});
