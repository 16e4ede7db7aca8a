/**
 * Keys named like Object.prototype members (`__proto__`, `constructor`, `prototype`, `toString`,
 * `hasOwnProperty`) as materials-description keys, KMS encryption-context keys and user-metadata
 * keys: stored, bound and compared like any other key — never dropped, never confused with
 * inherited properties (issue 18 items 1 and 13). Objects come from JSON.parse, as they would from a
 * request body or a config file, so `__proto__` is an own property.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  EncryptedS3Client,
  generateSseCKey,
  parseEnvelope,
  parseInstructionFile,
  putObjectSseC,
  recoverSseCKey,
  serializeEnvelope,
  storedKeyFromMetadata,
  type Envelope,
} from '../src/index';
import { stripEnvelope } from '../src/envelope';
import { startKms, type LocalKms } from './helpers/kms';
import { aesProvider } from './helpers/providers';
import { startS3, type LocalS3 } from './helpers/s3rver';

export const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'] as const;
/** `{ name: value }` with `name` as an own property, as JSON.parse builds it. */
const own = (entries: Record<string, string>): Record<string, string> => JSON.parse(JSON.stringify(entries));
const map = (name: string, value: string): Record<string, string> => JSON.parse(`{${JSON.stringify(name)}:${JSON.stringify(value)},"tenant":"acme"}`);
const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

const envelope = (materialsDescription: Record<string, string>, version: 2 | 3): Envelope => ({
  version,
  wrapAlgorithm: 'AES/GCM',
  contentAlgorithm: version === 3 ? 'committing' : 'gcm',
  encryptedKey: new Uint8Array(60).fill(1),
  iv: version === 3 ? undefined : new Uint8Array(12).fill(2),
  materialsDescription,
  encryptionContext: undefined,
  commitment: version === 3 ? new Uint8Array(28).fill(3) : undefined,
  messageId: version === 3 ? new Uint8Array(28).fill(4) : undefined,
  unencryptedContentLength: undefined,
});

describe('prototype-named keys in envelopes (unit)', () => {
  it.each(PROTOTYPE_NAMES)('materials description key %s survives serialize → parse (metadata and instruction file, V2 and V3)', (name) => {
    const md = map(name, 'value-of-' + name);
    for (const version of [2, 3] as const) {
      const inMetadata = serializeEnvelope(envelope(md, version), 'metadata');
      const parsed = parseEnvelope(inMetadata.metadata).materialsDescription;
      expect(Object.hasOwn(parsed, name)).toBe(true);
      expect(parsed[name]).toBe('value-of-' + name);
      const split = serializeEnvelope(envelope(md, version), 'instruction-file');
      const instruction = parseInstructionFile(new TextEncoder().encode(JSON.stringify(split.instruction)));
      const viaFile = parseEnvelope(split.metadata, instruction).materialsDescription;
      expect(Object.hasOwn(viaFile, name)).toBe(true);
      expect(viaFile[name]).toBe('value-of-' + name);
    }
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
  });

  it.each(PROTOTYPE_NAMES)('user metadata key %s is kept when the envelope is stripped', (name) => {
    const stripped = stripEnvelope(own({ [name]: 'mine', 'x-amz-key-v2': 'k', 'x-amz-iv': 'i' }))!;
    expect(Object.keys(stripped)).toEqual([name]);
    expect(stripped[name]).toBe('mine');
  });

  it('an instruction file with a __proto__ key yields a null-prototype map holding it as data', () => {
    const parsed = parseInstructionFile(new TextEncoder().encode('{"__proto__":"x","x-amz-iv":"a"}'));
    expect(Object.getPrototypeOf(parsed)).toBeNull();
    expect(parsed['__proto__']).toBe('x');
    expect(() => parseInstructionFile(new TextEncoder().encode('{"__proto__":{"polluted":"yes"}}'))).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('prototype-named keys in SSE-C key metadata', () => {
  it.each(PROTOTYPE_NAMES)('encryption-context key %s is written to the object metadata and binds the wrapped key', async (name) => {
    // Capture what would be sent to S3 (the object-metadata encoding is under test, not S3).
    const sent: { Metadata?: Record<string, string> }[] = [];
    // (putObjectSseC first reads the object's sidecar: answered 404, as S3 does for a new key.)
    const capture = {
      send: async (command: { input: { Metadata?: Record<string, string> } }) => {
        if (command instanceof GetObjectCommand) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
        sent.push(command.input);
        return {};
      },
    } as unknown as S3Client;
    const key = await generateSseCKey(aesProvider(), { encryptionContext: map(name, 'tenant-A') });
    await putObjectSseC(capture, { Bucket: 'b', Key: 'k', Body: 'x' }, key);
    const stored = storedKeyFromMetadata(sent.find((i) => i.Metadata)!.Metadata);
    expect(Object.hasOwn(stored.encryptionContext, name) && stored.encryptionContext[name]).toBe('tenant-A');
    expect(Buffer.from((await recoverSseCKey(aesProvider(), stored)).key)).toEqual(Buffer.from(key.key));
    await expect(recoverSseCKey(aesProvider(), { ...stored, encryptionContext: map(name, 'tenant-B') })).rejects.toMatchObject({ code: 'NO_DECRYPTION_KEY' });
  });
});

describe('prototype-named keys end to end (s3rver, kms-local)', () => {
  let s3: LocalS3;
  let kms: LocalKms;
  beforeAll(async () => {
    [s3, kms] = await Promise.all([startS3(), startKms()]);
  });
  afterAll(async () => {
    await Promise.all([s3?.close(), kms?.close()]);
  });

  it.each(PROTOTYPE_NAMES)('kms+context: encryption-context key %s is stored, bound and compared (V3 and V2)', async (name) => {
    for (const format of ['v3', 'v2'] as const) {
      const client = new EncryptedS3Client({ client: s3.client, keyProvider: kms.provider(), kmsKeyIds: [kms.keyArn], format });
      const key = `pollution/${format}/${name}`;
      await client.putObject({ Bucket: s3.bucket, Key: key, Body: 'tenant A data' }, { encryptionContext: map(name, 'tenant-A') });
      const raw = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
      await raw.Body!.transformToByteArray();
      const stored = JSON.parse(raw.Metadata![format === 'v3' ? 'x-amz-t' : 'x-amz-matdesc']!);
      expect(Object.hasOwn(stored, name) && stored[name]).toBe('tenant-A');
      const got = await client.getObject({ Bucket: s3.bucket, Key: key }, { encryptionContext: map(name, 'tenant-A') });
      expect(await got.Body!.transformToString()).toBe('tenant A data');
      await expect(client.getObject({ Bucket: s3.bucket, Key: key }, { encryptionContext: map(name, 'tenant-B') })).rejects.toMatchObject({ code: 'ENCRYPTION_CONTEXT' });
      await expect(client.getObject({ Bucket: s3.bucket, Key: key }, { encryptionContext: { tenant: 'acme' } })).rejects.toMatchObject({ code: 'ENCRYPTION_CONTEXT' });
    }
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
  });

  it.each(PROTOTYPE_NAMES)('raw AES: materials description key %s is written into the stored envelope', async (name) => {
    const client = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider(), materialsDescription: map(name, 'md') });
    const key = `pollution/matdesc/${name}`;
    await client.putObject({ Bucket: s3.bucket, Key: key, Body: 'x' });
    const raw = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    await raw.Body!.transformToByteArray();
    const stored = JSON.parse(raw.Metadata!['x-amz-m']!);
    expect(Object.hasOwn(stored, name) && stored[name]).toBe('md');
    expect(await (await client.getObject({ Bucket: s3.bucket, Key: key })).Body!.transformToString()).toBe('x');
  });
});
