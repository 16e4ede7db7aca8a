/**
 * Fuzzing of every parser that reads outside input and is not already fuzzed with
 * STRONGROOM_FUZZ_RUNS in its own package (issue 9). CI: STRONGROOM_FUZZ_RUNS (default 10,000) cases
 * per property; bench/fuzz reruns this file with 1,000,000.
 *
 * The only acceptable outcome is a result or a typed error (StrongroomError, or KmsError for
 * kms-local's own parser) — no other exception, no hang: each case is bounded (async properties by
 * fast-check's per-case `timeout`; synchronous ones by the slowest case, which must stay far below a
 * second — a hang or a quadratic blow-up shows there), and servers must keep answering.
 *
 * Targets: S3EC metadata and instruction files (parsers and the full EncryptedS3Client read path over
 * an in-memory S3), kms-local ciphertext blobs (parser, and Decrypt of mutated blobs over HTTP) and
 * request bodies (HTTP), the hsm-local node protocol (frame decoder and reader, and random requests to
 * a live node), key URIs, HSM provider info, KMS ARNs in provider info, serialized encryption contexts.
 * ESDK headers, frames and footers: packages/core/test/fuzz.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { sdkStreamMixin } from '@smithy/util-stream';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseKeyUri } from '@strongroom/cli';
import { parseEncryptionContext, RawAesKeyProvider, serializeEncryptionContext, StrongroomError } from '@strongroom/core';
import { connectHsmNode, wire, type HsmNodeConnection } from '@strongroom/hsm-protocol';
import { KmsError, parseCiphertext, startKmsServer, type KmsServer } from '@strongroom/kms-local';
import { encodeProviderInfo, parseProviderInfo } from '@strongroom/provider-hsm';
import { parseKmsArn } from '@strongroom/provider-kms';
import { EncryptedS3Client, parseEnvelope, parseInstructionFile } from '@strongroom/s3';
import { startHsmCluster, type LocalHsmCluster } from '@strongroom/testing/servers';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const RUNS = Number(process.env.STRONGROOM_FUZZ_RUNS ?? 10_000);
const FUZZ_TIMEOUT = 0; // the property as a whole is unbounded (1,000,000 cases in bench/fuzz); each case is bounded
const CASE_MS = 1_000; // a synchronous case slower than this is treated as a hang

/** Run a synchronous parser case, keeping the slowest case's duration. */
const slowest: Record<string, number> = {};
function timed(target: string, f: () => void): void {
  const t0 = performance.now();
  f();
  const ms = performance.now() - t0;
  if (ms > (slowest[target] ?? 0)) slowest[target] = ms;
}

function typed(e: unknown): void {
  if (StrongroomError.isInstance(e)) return;
  throw e;
}

/** Byte-level mutations of a valid input. */
const mutations = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 0xffff, 0x7fffffff, 0xffffffff) }),
  ),
  { minLength: 1, maxLength: 4 },
);
type Mutation = typeof mutations extends fc.Arbitrary<infer T> ? T : never;
function mutate(input: Uint8Array, edits: Mutation): Buffer {
  let b = Buffer.from(input);
  for (const e of edits) {
    const at = e.at % Math.max(1, b.length);
    if (e.kind === 'flip') b[at]! ^= e.value;
    else if (e.kind === 'cut') b = b.subarray(0, at);
    else if (e.kind === 'insert') b = Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)]);
    else if (at + 4 <= b.length) b.writeUInt32BE(e.value, at);
  }
  return b;
}
/** String-level mutations (metadata values, JSON, URIs). */
const strEdits = fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constant(''), fc.string({ maxLength: 4 }), fc.constantFrom('"', '{', '}', '=', '\\u0000', '9999999999', '-1', '=?UTF-8?B?'))), { minLength: 1, maxLength: 3 });
function mutateString(s: string, edits: Array<[number, string]>): string {
  for (const [at, ins] of edits) {
    const i = at % Math.max(1, s.length + 1);
    s = ins === '' ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + ins + s.slice(i);
  }
  return s;
}

afterAll(() => {
  console.log(`fuzz-parsers: ${RUNS.toLocaleString('en-US')} cases per property; slowest synchronous case per target (ms): ${JSON.stringify(Object.fromEntries(Object.entries(slowest).map(([k, v]) => [k, Number(v.toFixed(2))])))}`);
});

describe('S3 Encryption Client metadata and instruction files', () => {
  // An in-memory S3 (a Map) under the real EncryptedS3Client: the read path sees exactly the bytes we put.
  const objects = new Map<string, { Body: Uint8Array; Metadata: Record<string, string> }>();
  const memoryS3 = {
    async send(cmd: unknown) {
      if (cmd instanceof PutObjectCommand) {
        const i = cmd.input;
        objects.set(i.Key!, { Body: Buffer.from(i.Body as Uint8Array), Metadata: { ...(i.Metadata ?? {}) } });
        return { $metadata: { httpStatusCode: 200 }, ETag: '"x"' };
      }
      if (cmd instanceof GetObjectCommand) {
        const o = objects.get(cmd.input.Key!);
        if (!o) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
        return { $metadata: { httpStatusCode: 200 }, Body: sdkStreamMixin(Readable.from([Buffer.from(o.Body)])), Metadata: { ...o.Metadata }, ContentLength: o.Body.length };
      }
      throw new Error(`memory S3: ${(cmd as object).constructor.name} not supported`);
    },
  } as unknown as S3Client;
  const provider = RawAesKeyProvider({ namespace: 'fuzz', name: 'aes', key: Buffer.alloc(32, 5) });
  const samples: Array<{ format: string; metadata: Record<string, string>; instruction?: Uint8Array; body: Uint8Array }> = [];

  beforeAll(async () => {
    for (const format of ['v3', 'v2'] as const) {
      for (const envelopeLocation of ['metadata', 'instruction-file'] as const) {
        const c = new EncryptedS3Client({ client: memoryS3, keyProvider: provider, format, envelopeLocation });
        const key = `sample-${format}-${envelopeLocation}`;
        await c.putObject({ Bucket: 'b', Key: key, Body: randomBytes(64) });
        const o = objects.get(key)!;
        samples.push({ format, metadata: o.Metadata, body: o.Body, instruction: objects.get(`${key}.instruction`)?.Body });
      }
    }
  });

  it(`parseEnvelope on mutated real envelopes (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), strEdits, fc.boolean(), (which, field, edits, drop) => {
        const s = samples[which % samples.length]!;
        const md = { ...s.metadata };
        const instr = s.instruction ? parseInstructionFile(s.instruction) : undefined;
        const target = instr ?? md;
        const keys = Object.keys(target);
        const k = keys[field % keys.length]!;
        if (drop) delete target[k];
        else target[k] = mutateString(target[k]!, edits);
        timed('parseEnvelope', () => {
          try {
            parseEnvelope(md, instr);
          } catch (e) {
            typed(e);
          }
        });
      }),
      { numRuns: RUNS },
    );
  }, FUZZ_TIMEOUT);

  it(`parseInstructionFile on arbitrary and mutated bytes (${RUNS} cases)`, () => {
    const real = samples.filter((s) => s.instruction).map((s) => s.instruction!);
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.tuple(fc.nat(), mutations).map(([i, m]) => mutate(real[i % real.length]!, m)), fc.json().map((j) => Buffer.from(j))), (bytes) => {
        timed('parseInstructionFile', () => {
          try {
            parseInstructionFile(bytes);
          } catch (e) {
            typed(e);
          }
        });
      }),
      { numRuns: RUNS },
    );
  }, FUZZ_TIMEOUT);

  it(`EncryptedS3Client.getObject on mutated objects: typed error or the original plaintext, never other bytes (${RUNS} cases)`, async () => {
    // Plaintexts of the samples, to tell "decrypted correctly" (a mutation with no effect) from "released other bytes".
    const reader = new EncryptedS3Client({ client: memoryS3, keyProvider: provider });
    const originals = await Promise.all(samples.map(async (_, i) => {
      const key = Object.keys(Object.fromEntries(objects)).filter((k) => k.startsWith('sample-') && !k.endsWith('.instruction'))[i]!;
      return { key, plaintext: Buffer.from(await (await reader.getObject({ Bucket: 'b', Key: key })).Body!.transformToByteArray()) };
    }));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.oneof(fc.constant('body' as const), fc.constant('metadata' as const), fc.constant('instruction' as const)), mutations, fc.nat(), strEdits, async (which, part, edits, field, sEdits) => {
        const o = originals[which % originals.length]!;
        const src = objects.get(o.key)!;
        const key = `m-${n++ % 64}`;
        const md = { ...src.Metadata };
        let body: Buffer = Buffer.from(src.Body);
        let instruction = objects.get(`${o.key}.instruction`)?.Body;
        if (part === 'body') body = mutate(body, edits);
        else if (part === 'instruction' && instruction) instruction = mutate(instruction, edits);
        else {
          const keys = Object.keys(md);
          const k = keys[field % keys.length]!;
          md[k] = mutateString(md[k]!, sEdits);
        }
        objects.set(key, { Body: body, Metadata: md });
        if (instruction) objects.set(`${key}.instruction`, { Body: instruction, Metadata: {} });
        else objects.delete(`${key}.instruction`);
        try {
          const r = await reader.getObject({ Bucket: 'b', Key: key });
          const got = Buffer.from(await r.Body!.transformToByteArray());
          if (!got.equals(o.plaintext)) throw new Error(`released bytes that are not the plaintext (${part})`);
        } catch (e) {
          typed(e);
        }
      }),
      { numRuns: RUNS, timeout: 5_000 },
    );
  }, FUZZ_TIMEOUT);
});

describe('kms-local: ciphertext blobs and request bodies', () => {
  let kms: KmsServer;
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-fuzz-kms-'));
  let keyId: string;
  let blob: Uint8Array;
  async function post(op: string, body: string | Uint8Array) {
    const res = await fetch(kms.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${op}` }, body });
    const text = await res.text();
    return { status: res.status, text };
  }
  beforeAll(async () => {
    kms = await startKmsServer({ dataDir: dir });
    keyId = (JSON.parse((await post('CreateKey', '{}')).text) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
    const enc = JSON.parse((await post('Encrypt', JSON.stringify({ KeyId: keyId, Plaintext: Buffer.from('fuzz').toString('base64'), EncryptionContext: { a: 'b' } }))).text);
    blob = Buffer.from(enc.CiphertextBlob, 'base64');
  });
  afterAll(async () => {
    await kms?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`parseCiphertext on arbitrary and mutated blobs: a parse or InvalidCiphertextException (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), mutations.map((m) => mutate(blob, m))), (bytes) => {
        timed('parseCiphertext', () => {
          try {
            parseCiphertext(bytes);
          } catch (e) {
            if (!(e instanceof KmsError) || e.type !== 'InvalidCiphertextException') throw e;
          }
        });
      }),
      { numRuns: RUNS },
    );
  }, FUZZ_TIMEOUT);

  it(`Decrypt of mutated blobs and random request bodies over HTTP: a modeled 4xx or 200, never 5xx (${RUNS} cases)`, async () => {
    const ops = ['Decrypt', 'Encrypt', 'GenerateDataKey', 'ReEncrypt', 'DescribeKey', 'CreateAlias'];
    const field = fc.oneof(fc.constant(keyId), fc.string({ maxLength: 20 }), fc.integer(), fc.base64String({ maxLength: 40 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }), fc.constant(null));
    const body = fc.oneof(
      mutations.map((m) => JSON.stringify({ CiphertextBlob: mutate(blob, m).toString('base64'), EncryptionContext: { a: 'b' } })).map((b) => ['Decrypt', b] as const),
      fc.tuple(fc.constantFrom(...ops), fc.record({ KeyId: field, CiphertextBlob: field, Plaintext: field, EncryptionContext: field, NumberOfBytes: field, KeySpec: field, DestinationKeyId: field }, { requiredKeys: [] }).map((o) => JSON.stringify(o))),
      fc.tuple(fc.constantFrom(...ops), fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 3 }))),
    );
    await fc.assert(
      fc.asyncProperty(body, async ([op, b]) => {
        const r = await post(op, b);
        if (r.status >= 500) throw new Error(`${op} answered ${r.status}: ${r.text.slice(0, 200)}`);
        if (r.status !== 200 && !/"__type"/.test(r.text)) throw new Error(`${op} answered ${r.status} without a modeled error`);
      }),
      { numRuns: RUNS, timeout: 5_000 },
    );
    expect((await post('DescribeKey', JSON.stringify({ KeyId: keyId }))).status).toBe(200); // still serving
  }, FUZZ_TIMEOUT);
});

describe('hsm-local node protocol', () => {
  it(`frame decoder and reader on arbitrary and mutated frames: a frame or a typed error (${RUNS} cases)`, () => {
    const base = [
      wire.encodeFrame(wire.FRAME_REQUEST, 7, { op: 'aes.gcmEncrypt', args: { handle: 'k1', plaintext: Buffer.alloc(32, 1), aad: Buffer.alloc(0) } }),
      wire.encodeFrame(wire.FRAME_RESPONSE, 9, { key: { handle: 'h', label: 'l', bits: 256, attrs: { token: true, extractable: false } }, list: [1, -2.5, null, 'x'] }),
    ];
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.tuple(fc.nat(), mutations).map(([i, m]) => mutate(base[i % base.length]!, m))), (bytes) => {
        timed('wire.decodeFrameBody', () => {
          try {
            wire.decodeFrameBody(bytes.subarray(Math.min(4, bytes.length)));
          } catch (e) {
            typed(e);
          }
        });
        timed('wire.createFrameReader', () => {
          const reader = wire.createFrameReader(() => undefined, 1 << 16);
          try {
            reader.push(Buffer.from(bytes));
          } catch (e) {
            typed(e);
          }
        });
      }),
      { numRuns: RUNS },
    );
  }, FUZZ_TIMEOUT);

  describe('a live node', () => {
    let cluster: LocalHsmCluster;
    let conn: HsmNodeConnection;
    beforeAll(async () => {
      cluster = await startHsmCluster({ azs: ['us-east-1a'] });
      conn = await connectHsmNode({ url: cluster.urls[0]!, trustAnchor: cluster.info.trustAnchor, clientCert: cluster.info.clientCert });
      await conn.call('login', cluster.cryptoUser);
    }, 60_000);
    afterAll(async () => {
      conn?.close();
      await cluster?.stopAll();
    });

    it(`random operations with random arguments from a logged-in crypto user: answered or refused typed, the node stays up (${RUNS} cases)`, async () => {
      const ops = ['key.generate', 'key.import', 'key.find', 'key.getAttributes', 'key.setAttributes', 'key.share', 'key.export', 'key.wrap', 'key.unwrap',
        'aes.gcmEncrypt', 'aes.gcmDecrypt', 'rsa.encrypt', 'rsa.decrypt', 'sign', 'verify', 'hmac', 'hmac.verify', 'digest', 'random', 'status', 'sync.get', 'sync.has', 'user.list', 'quorum.get', 'no.such.op'];
      const value: fc.Arbitrary<wire.WireValue> = fc.letrec((tie) => ({
        v: fc.oneof({ depthSize: 'small', maxDepth: 3 },
          fc.constant(null), fc.boolean(), fc.double({ noNaN: true }), fc.integer(), fc.string({ maxLength: 30 }), fc.uint8Array({ maxLength: 64 }),
          fc.constantFrom('aes', 'rsa', 'ec', 'P-256', 'sha256', 'ecdsa', 'aes-gcm', 256, 2048, 'app'),
          fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.constantFrom('label', 'token', 'extractable', 'encrypt', 'bits'), tie('v'), { maxKeys: 4 })),
      })).v as fc.Arbitrary<wire.WireValue>;
      const args = fc.dictionary(fc.constantFrom('type', 'bits', 'handle', 'label', 'template', 'plaintext', 'aad', 'iv', 'tag', 'ciphertext', 'data', 'mechanism', 'hash', 'user', 'format', 'material', 'attributes', 'length', 'id', 'curve', 'wrappingHandle'), value, { maxKeys: 6 });
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...ops), args, async (op, a) => {
          try {
            await conn.callUnchecked(op, a as Record<string, wire.WireValue>, { timeoutMs: 5_000 });
          } catch (e) {
            typed(e);
            if ((e as StrongroomError).details?.reason === 'CONNECTION') throw e; // the node dropped us: not acceptable
            refused++;
          }
        }),
        { numRuns: RUNS, timeout: 10_000 },
      );
      expect(refused).toBeGreaterThan(0);
      expect(await conn.call('status', {})).toBeDefined();
    }, FUZZ_TIMEOUT);

    // The encoder refuses NaN locally (the decoder refuses it too); a node answers an undecodable
    // value with an error for that one request and keeps the connection (hsm-local codec tests).
    it('encodeFrame refuses NaN locally', () => {
      expect(() => wire.encodeFrame(wire.FRAME_REQUEST, 1, { op: 'random', args: { length: Number.NaN } })).toThrow();
    });
  });
});

describe('key URIs, HSM provider info, KMS ARNs, encryption contexts', () => {
  it(`parseKeyUri on arbitrary and mutated strings (${RUNS} cases)`, () => {
    const valid = ['kms://alias/strongroom-dev', 'kms://arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab', 'hsm://app-kek', 'raw-aes://ns/name', 'cks://alias/x', 'pkcs11://label'];
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 100 }), fc.tuple(fc.constantFrom(...valid), strEdits).map(([v, e]) => mutateString(v, e)), fc.anything()), (input) => {
        timed('parseKeyUri', () => {
          try {
            parseKeyUri(input);
          } catch (e) {
            typed(e);
          }
        });
      }),
      { numRuns: RUNS },
    );
  }, FUZZ_TIMEOUT);

  it(`parseProviderInfo on arbitrary and mutated bytes (${RUNS} cases)`, () => {
    const real = encodeProviderInfo({ backendId: 'cluster-1234', keyLabel: 'app-kek', iv: new Uint8Array(12).fill(7) } as Parameters<typeof encodeProviderInfo>[0]);
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 700 }), mutations.map((m) => mutate(real, m))), (bytes) => {
        timed('parseProviderInfo', () => {
          try {
            parseProviderInfo(bytes);
          } catch (e) {
            typed(e);
          }
        });
      }),
      { numRuns: RUNS },
    );
  }, FUZZ_TIMEOUT);

  it(`parseKmsArn on arbitrary and mutated strings: a parse or undefined, never a throw (${RUNS} cases)`, () => {
    const arn = 'arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab';
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.tuple(fc.constant(arn), strEdits).map(([v, e]) => mutateString(v, e))), (s) => {
        timed('parseKmsArn', () => void parseKmsArn(s));
      }),
      { numRuns: RUNS },
    );
  }, FUZZ_TIMEOUT);

  it(`parseEncryptionContext on arbitrary and mutated bytes (${RUNS} cases)`, () => {
    const real = serializeEncryptionContext({ tenant: 'acme', purpose: 'fuzz', 'aws-crypto-public-key': 'A'.repeat(44) });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), mutations.map((m) => mutate(real, m))), (bytes) => {
        timed('parseEncryptionContext', () => {
          try {
            parseEncryptionContext(bytes);
          } catch (e) {
            typed(e);
          }
        });
      }),
      { numRuns: RUNS },
    );
  }, FUZZ_TIMEOUT);

  it('no synchronous case came near the per-case bound', () => {
    for (const [target, ms] of Object.entries(slowest)) expect(ms, target).toBeLessThan(CASE_MS);
  });
});
