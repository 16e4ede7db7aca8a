/**
 * Property (issue 18 item 14, kms-local half): for every network-facing operation, each of the five
 * names that ordinary JavaScript objects inherit or treat specially — `__proto__`, `constructor`,
 * `prototype`, `toString`, `hasOwnProperty` — placed in every string field (and as a map key, a
 * list item, a tag, a member name, an operation name and a signed header name) is answered with a
 * result or a typed 4xx error, never a 5xx / KMSInternalException, and leaves Object.prototype as
 * it was. Exhaustive over operation × field × name, through real HTTP.
 */
import { KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KmsServer } from '../src/index';
import { OPERATIONS as TABLE } from '../src/ops/index';
import { afterSigning, CREDENTIALS, startTestServer } from './helpers';

const NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'] as const;
const OPERATIONS = Object.keys(TABLE);
const protoKeys = () => Object.getOwnPropertyNames(Object.prototype).sort();

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
/** A null-prototype object, so JSON.stringify writes a member named `__proto__` like any other. */
function obj(entries: Array<[string, Json]>): { [k: string]: Json } {
  const o = Object.create(null) as { [k: string]: Json };
  for (const [k, v] of entries) o[k] = v;
  return o;
}

let server: KmsServer;
let strict: KmsServer;
let cleanups: Array<() => Promise<void>> = [];
let before: string[];
const ids = { sym: '', sign: '', hmac: '', scratch: '', blob: '' };

async function call(target: KmsServer, op: string, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(target.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${op}` },
    body,
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

function base(op: string): Array<[string, Json]> {
  const ctx: Json = { a: 'b' };
  switch (op) {
    case 'CreateKey': return [['Description', 'd'], ['Tags', [{ TagKey: 't', TagValue: 'v' }]], ['KeyUsage', 'ENCRYPT_DECRYPT'], ['Origin', 'AWS_KMS']];
    case 'Encrypt': return [['KeyId', ids.sym], ['Plaintext', 'AQ=='], ['EncryptionContext', ctx], ['EncryptionAlgorithm', 'SYMMETRIC_DEFAULT'], ['GrantTokens', ['g']]];
    case 'Decrypt': return [['CiphertextBlob', ids.blob], ['EncryptionContext', ctx], ['KeyId', ids.sym], ['GrantTokens', ['g']]];
    case 'ReEncrypt': return [['CiphertextBlob', ids.blob], ['SourceEncryptionContext', ctx], ['DestinationKeyId', ids.sym], ['DestinationEncryptionContext', ctx], ['SourceKeyId', ids.sym]];
    case 'GenerateDataKey': case 'GenerateDataKeyWithoutPlaintext': return [['KeyId', ids.sym], ['KeySpec', 'AES_256'], ['EncryptionContext', ctx]];
    case 'GenerateDataKeyPair': case 'GenerateDataKeyPairWithoutPlaintext': return [['KeyId', ids.sym], ['KeyPairSpec', 'ECC_NIST_P256'], ['EncryptionContext', ctx]];
    case 'GenerateRandom': return [['NumberOfBytes', 8], ['CustomKeyStoreId', 'cks-0123456789abcdef0']];
    case 'Sign': case 'Verify': return [['KeyId', ids.sign], ['Message', 'AQ=='], ['SigningAlgorithm', 'ECDSA_SHA_256'], ['MessageType', 'RAW'], ['Signature', 'AQ==']];
    case 'GenerateMac': case 'VerifyMac': return [['KeyId', ids.hmac], ['Message', 'AQ=='], ['MacAlgorithm', 'HMAC_SHA_256'], ['Mac', 'AQ==']];
    case 'CreateAlias': case 'UpdateAlias': case 'DeleteAlias': return [['AliasName', 'alias/proto-test'], ['TargetKeyId', ids.sym]];
    case 'ListAliases': case 'ListKeys': return [['KeyId', ids.sym], ['Marker', '0'], ['Limit', 10]];
    case 'TagResource': return [['KeyId', ids.sym], ['Tags', [{ TagKey: 't', TagValue: 'v' }]]];
    case 'UntagResource': return [['KeyId', ids.sym], ['TagKeys', ['t']]];
    case 'UpdateKeyDescription': return [['KeyId', ids.sym], ['Description', 'd']];
    case 'ScheduleKeyDeletion': case 'CancelKeyDeletion': case 'DisableKey': case 'EnableKey': return [['KeyId', ids.scratch], ['PendingWindowInDays', 7]];
    case 'EnableKeyRotation': return [['KeyId', ids.sym], ['RotationPeriodInDays', 90]];
    case 'CreateCustomKeyStore': return [['CustomKeyStoreName', 'n'], ['CloudHsmClusterId', 'cluster-none0'], ['TrustAnchorCertificate', 'x'], ['KeyStorePassword', 'password1'], ['CustomKeyStoreType', 'AWS_CLOUDHSM']];
    case 'UpdateCustomKeyStore': return [['CustomKeyStoreId', 'cks-0123456789abcdef0'], ['NewCustomKeyStoreName', 'm'], ['KeyStorePassword', 'password2'], ['CloudHsmClusterId', 'cluster-none0']];
    case 'DescribeCustomKeyStores': return [['CustomKeyStoreName', 'n'], ['Marker', '0']];
    default:
      return op.includes('CustomKeyStore') ? [['CustomKeyStoreId', 'cks-0123456789abcdef0']] : [['KeyId', ids.sym]];
  }
}

/** The base body with one field's content replaced by `name` in the way that fits its type. */
function variants(op: string, name: string): Array<{ what: string; body: string }> {
  const fields = base(op);
  const out: Array<{ what: string; body: string }> = [];
  const replace = (v: Json): Json[] => {
    if (typeof v === 'string') return [name];
    if (Array.isArray(v)) {
      if (v.length > 0 && typeof v[0] === 'object' && v[0] !== null) return [[{ TagKey: name, TagValue: name }], [obj([[name, name]])]];
      return [[name]];
    }
    if (typeof v === 'object' && v !== null) return [obj([[name, name]]), obj([[name, name], ['a', 'b']])];
    return [name];
  };
  fields.forEach(([field, value], i) => {
    for (const r of replace(value)) out.push({ what: field, body: JSON.stringify(obj(fields.map(([f, v], j) => [f, j === i ? r : v]))) });
  });
  out.push({ what: `member ${name}`, body: JSON.stringify(obj([...fields, [name, name]])) });
  out.push({ what: `member ${name} (object)`, body: JSON.stringify(obj([...fields, [name, obj([['KeyId', ids.sym]])]])) });
  return out;
}

beforeAll(async () => {
  before = protoKeys();
  const a = await startTestServer({ credentials: undefined });
  const b = await startTestServer();
  server = a.server;
  strict = b.server;
  cleanups = [a.cleanup, b.cleanup];
  ids.sym = ((await call(server, 'CreateKey', '{}')).json.KeyMetadata as { KeyId: string }).KeyId;
  ids.sign = ((await call(server, 'CreateKey', '{"KeySpec":"ECC_NIST_P256","KeyUsage":"SIGN_VERIFY"}')).json.KeyMetadata as { KeyId: string }).KeyId;
  ids.hmac = ((await call(server, 'CreateKey', '{"KeySpec":"HMAC_256","KeyUsage":"GENERATE_VERIFY_MAC"}')).json.KeyMetadata as { KeyId: string }).KeyId;
  ids.scratch = ((await call(server, 'CreateKey', '{}')).json.KeyMetadata as { KeyId: string }).KeyId;
  ids.blob = (await call(server, 'Encrypt', JSON.stringify({ KeyId: ids.sym, Plaintext: 'AQ==', EncryptionContext: { a: 'b' } }))).json.CiphertextBlob as string;
});
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('the five special names in every field of every operation', () => {
  it(`answer a result or a typed 4xx, never 5xx, over ${OPERATIONS.length} operations`, async () => {
    const failures: string[] = [];
    let requests = 0;
    for (const op of OPERATIONS) {
      for (const name of NAMES) {
        for (const { what, body } of variants(op, name)) {
          const { status, json } = await call(server, op, body);
          requests++;
          const typed = typeof json.__type === 'string' && json.__type !== 'KMSInternalException';
          if (!(status === 200 || (status >= 400 && status < 500 && typed))) failures.push(`${op} ${what}=${name}: ${status} ${JSON.stringify(json)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(OPERATIONS.length * NAMES.length * 2);
    // Nothing was written onto the prototype, and an unrelated key looks as it should.
    expect(protoKeys()).toEqual(before);
    for (const probe of ['DeletionDate', 'KeyState', 'Description', 'TargetKeyId', 'a', ...NAMES.filter((n) => n !== '__proto__' && n !== 'constructor' && n !== 'toString' && n !== 'hasOwnProperty')]) {
      expect((({}) as Record<string, unknown>)[probe], probe).toBeUndefined();
    }
    const described = await call(server, 'DescribeKey', JSON.stringify({ KeyId: ids.sym }));
    expect(described.json.KeyMetadata).toMatchObject({ KeyState: 'Enabled' });
    expect((described.json.KeyMetadata as Record<string, unknown>).DeletionDate).toBeUndefined();
  }, 120_000);

  it('as an operation name: UnknownOperationException', async () => {
    for (const name of NAMES) {
      const { status, json } = await call(server, name, '{}');
      expect(status, name).toBe(400);
      expect(json.__type).toBe('UnknownOperationException');
    }
    expect(protoKeys()).toEqual(before);
  });

  it('as a signed header name in strict mode: a typed signature error, never 5xx', async () => {
    for (const name of NAMES) {
      const kms = new KMSClient({ endpoint: strict.endpoint, region: strict.region, credentials: CREDENTIALS, maxAttempts: 1 });
      // After the SDK signed: name the special header in SignedHeaders without sending it.
      afterSigning(kms, 'specialSignedHeader', (request) => {
        request.headers['authorization'] = request.headers['authorization']!.replace('SignedHeaders=', `SignedHeaders=${name.toLowerCase()};`);
      });
      const e = (await kms.send(new ListKeysCommand({})).catch((x: unknown) => x)) as { name: string; $metadata: { httpStatusCode: number } };
      kms.destroy();
      expect(e.$metadata.httpStatusCode, name).toBeGreaterThanOrEqual(400);
      expect(e.$metadata.httpStatusCode, name).toBeLessThan(500);
      expect(e.name, name).toMatch(/Signature|Incomplete/);
    }
    expect(protoKeys()).toEqual(before);
  });
});
