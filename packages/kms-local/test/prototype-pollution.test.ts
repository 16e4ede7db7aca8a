/**
 * Attacks on maps keyed by caller strings (issue 18 items 1 and 2): a key id, tag key or
 * encryption-context key named `__proto__` must name nothing special. JavaScript objects used as
 * dictionaries inherit from Object.prototype (ECMA-262 §10.4.7 "__proto__" accessor), so a lookup
 * of `__proto__` finds the prototype and an assignment to it writes the prototype.
 * Driven through the real @aws-sdk/client-kms where the SDK can express the request, and through
 * raw HTTP where it cannot (a JSON body with an own `__proto__` member, RFC 8259 §4).
 */
import { CreateKeyCommand, DescribeKeyCommand, ScheduleKeyDeletionCommand, TagResourceCommand, UpdateKeyDescriptionCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKmsServer, type KmsServer } from '../src/index';
import { clientFor, startTestServer } from './helpers';

let server: KmsServer;
let dataDir: string;
let cleanup: () => Promise<void>;

/** An unsigned AWS JSON 1.1 call (the server runs without credentials here), body as raw text. */
async function post(op: string, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(server.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${op}` },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const protoKeys = () => Object.getOwnPropertyNames(Object.prototype).sort();
let before: string[];

beforeAll(async () => {
  before = protoKeys();
  ({ server, dataDir, cleanup } = await startTestServer({ credentials: undefined }));
});
afterAll(async () => {
  await cleanup?.();
  expect(protoKeys()).toEqual(before);
});

describe('KeyId "__proto__" (item 1)', () => {
  it('DescribeKey answers NotFoundException, not the prototype as a key', async () => {
    const kms = clientFor(server);
    try {
      await expect(kms.send(new DescribeKeyCommand({ KeyId: '__proto__' }))).rejects.toMatchObject({ name: 'NotFoundException' });
      await expect(kms.send(new DescribeKeyCommand({ KeyId: 'constructor' }))).rejects.toMatchObject({ name: 'NotFoundException' });
    } finally {
      kms.destroy();
    }
  });

  it('UpdateKeyDescription / ScheduleKeyDeletion / TagResource on it are NotFound and write nothing onto Object.prototype', async () => {
    const kms = clientFor(server);
    try {
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
      await expect(kms.send(new UpdateKeyDescriptionCommand({ KeyId: '__proto__', Description: 'pwned' }))).rejects.toMatchObject({ name: 'NotFoundException' });
      await expect(kms.send(new ScheduleKeyDeletionCommand({ KeyId: '__proto__', PendingWindowInDays: 7 }))).rejects.toMatchObject({ name: 'NotFoundException' });
      await expect(kms.send(new TagResourceCommand({ KeyId: '__proto__', Tags: [{ TagKey: 'a', TagValue: 'b' }] }))).rejects.toMatchObject({
        name: 'NotFoundException',
        $metadata: { httpStatusCode: 400 },
      });
      expect(({} as Record<string, unknown>).DeletionDate).toBeUndefined();
      expect(({} as Record<string, unknown>).Description).toBeUndefined();
      expect(protoKeys()).toEqual(before);
      // An unrelated Enabled key reports no DeletionDate.
      const described = await kms.send(new DescribeKeyCommand({ KeyId: KeyMetadata!.KeyId }));
      expect(described.KeyMetadata!.KeyState).toBe('Enabled');
      expect(described.KeyMetadata!.DeletionDate).toBeUndefined();
    } finally {
      kms.destroy();
    }
  });

  it('a tag named "__proto__" is an ordinary tag: listed, persisted and reloaded as such', async () => {
    const keyId = ((await post('CreateKey', '{}')).json.KeyMetadata as { KeyId: string }).KeyId;
    const tagged = await post('TagResource', JSON.stringify({ KeyId: keyId, Tags: [{ TagKey: '__proto__', TagValue: 'p' }, { TagKey: 'constructor', TagValue: 'c' }] }));
    expect(tagged.status).toBe(200);
    const listed = await post('ListResourceTags', JSON.stringify({ KeyId: keyId }));
    expect(listed.json.Tags).toEqual(expect.arrayContaining([{ TagKey: '__proto__', TagValue: 'p' }, { TagKey: 'constructor', TagValue: 'c' }]));
    // The same after a restart over the same data directory.
    const again = await startKmsServer({ dataDir, port: 0 });
    try {
      const res = await fetch(again.endpoint, {
        method: 'POST',
        headers: { 'x-amz-target': 'TrentService.ListResourceTags' },
        body: JSON.stringify({ KeyId: keyId }),
      });
      const tags = ((await res.json()) as { Tags: unknown[] }).Tags;
      expect(tags).toEqual(expect.arrayContaining([{ TagKey: '__proto__', TagValue: 'p' }, { TagKey: 'constructor', TagValue: 'c' }]));
    } finally {
      await again.close();
    }
    expect(protoKeys()).toEqual(before);
  });
});

describe('encryption context key "__proto__" (item 2)', () => {
  it('is bound: a blob made with {"__proto__":"tenant-A"} does not decrypt with tenant-B or with {}', async () => {
    const keyId = ((await post('CreateKey', '{}')).json.KeyMetadata as { KeyId: string }).KeyId;
    const enc = await post('Encrypt', `{"KeyId":"${keyId}","Plaintext":"c2VjcmV0","EncryptionContext":{"__proto__":"tenant-A"}}`);
    expect(enc.status).toBe(200);
    const blob = enc.json.CiphertextBlob as string;
    const other = await post('Decrypt', `{"CiphertextBlob":"${blob}","EncryptionContext":{"__proto__":"tenant-B"}}`);
    expect(other.json.__type).toBe('InvalidCiphertextException');
    const none = await post('Decrypt', `{"CiphertextBlob":"${blob}","EncryptionContext":{}}`);
    expect(none.json.__type).toBe('InvalidCiphertextException');
    const omitted = await post('Decrypt', `{"CiphertextBlob":"${blob}"}`);
    expect(omitted.json.__type).toBe('InvalidCiphertextException');
    const right = await post('Decrypt', `{"CiphertextBlob":"${blob}","EncryptionContext":{"__proto__":"tenant-A"}}`);
    expect(right.status).toBe(200);
    expect(right.json.Plaintext).toBe('c2VjcmV0');
  });

  it('every key is bound, whatever its name: constructor, toString, hasOwnProperty, prototype', async () => {
    const keyId = ((await post('CreateKey', '{}')).json.KeyMetadata as { KeyId: string }).KeyId;
    for (const name of ['constructor', 'toString', 'hasOwnProperty', 'prototype']) {
      const enc = await post('Encrypt', JSON.stringify({ KeyId: keyId, Plaintext: 'AQ==', EncryptionContext: { [name]: 'A' } }));
      expect(enc.status, name).toBe(200);
      const wrong = await post('Decrypt', JSON.stringify({ CiphertextBlob: enc.json.CiphertextBlob, EncryptionContext: { [name]: 'B' } }));
      expect(wrong.json.__type, name).toBe('InvalidCiphertextException');
      const none = await post('Decrypt', JSON.stringify({ CiphertextBlob: enc.json.CiphertextBlob }));
      expect(none.json.__type, name).toBe('InvalidCiphertextException');
    }
  });

  it('a JSON body whose top-level member is "__proto__" is an ordinary (unknown) member', async () => {
    const res = await post('ListKeys', '{"__proto__":{"Limit":1}}');
    expect(res.status).toBe(200);
    expect(protoKeys()).toEqual(before);
  });
});
