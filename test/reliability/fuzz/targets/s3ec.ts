/**
 * S3 Encryption Client envelopes (Amazon S3 Encryption Client, metadata and instruction-file formats:
 * https://docs.aws.amazon.com/amazon-s3-encryption-client/latest/developerguide/concepts.html):
 * V2 and V3 envelopes in object metadata and in instruction files, mutated value by value, with keys
 * dropped and with metadata names and material-description keys drawn from the prototype names; the
 * instruction-file parser on arbitrary and mutated bytes; and the full EncryptedS3Client read path
 * over an in-memory S3 (typed error or exactly the original plaintext).
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/util-stream';
import { RawAesKeyProvider } from '@strongroom/core';
import { EncryptedS3Client, parseEnvelope, parseInstructionFile } from '@strongroom/s3';
import fc from 'fast-check';
import { defineTarget, Untyped, type FuzzSession } from '../harness';
import { byteEdits, mutateBytes, mutateString, stringEdits, type ByteEdit } from '../mutate';
import { nameLike, prototypeNameVariants } from '../names';

type Md = Record<string, string>;
interface Sample {
  readonly key: string;
  readonly metadata: Md;
  readonly instruction?: Buffer;
  readonly body: Buffer;
  readonly plaintext: Buffer;
}

/** An S3 stand-in (a Map) under the real EncryptedS3Client: the read path sees exactly the bytes we put. */
function memoryS3(): { client: S3Client; objects: Map<string, { Body: Buffer; Metadata: Md }> } {
  const objects = new Map<string, { Body: Buffer; Metadata: Md }>();
  const client = {
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
  return { client, objects };
}

const provider = RawAesKeyProvider({ namespace: 'fuzz', name: 'aes', key: Buffer.alloc(32, 5) });

async function samples(): Promise<{ s3: ReturnType<typeof memoryS3>; samples: Sample[] }> {
  const s3 = memoryS3();
  const out: Sample[] = [];
  for (const format of ['v3', 'v2'] as const) {
    for (const envelopeLocation of ['metadata', 'instruction-file'] as const) {
      const c = new EncryptedS3Client({ client: s3.client, keyProvider: provider, format, envelopeLocation });
      // S3 keys drawn from the prototype names as well.
      const key = `${['__proto__', 'constructor', 'sample'][out.length % 3]}-${format}-${envelopeLocation}`;
      const plaintext = randomBytes(64);
      await c.putObject({ Bucket: 'b', Key: key, Body: plaintext });
      const o = s3.objects.get(key)!;
      out.push({ key, metadata: o.Metadata, body: o.Body, plaintext, instruction: s3.objects.get(`${key}.instruction`)?.Body });
    }
  }
  return { s3, samples: out };
}

type MdEdit =
  | { readonly kind: 'value'; readonly field: number; readonly edits: Array<[number, string]> }
  | { readonly kind: 'drop'; readonly field: number }
  | { readonly kind: 'add'; readonly name: string; readonly value: string }
  | { readonly kind: 'json-key'; readonly field: number; readonly name: string; readonly value: string };

/** Edits of an envelope map; metadata names and JSON keys come from the prototype names too. */
const mdEdits: fc.Arbitrary<MdEdit[]> = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('value' as const), field: fc.nat(), edits: stringEdits }),
    fc.record({ kind: fc.constant('drop' as const), field: fc.nat() }),
    fc.record({ kind: fc.constant('add' as const), name: nameLike(fc.constantFrom('x-amz-key-v2', 'x-amz-iv', 'x-amz-matdesc', 'x-amz-c', 'x-amz-3', 'x-amz-w', 'x-amz-d', 'x-amz-i', 'x-amz-m', 'x-amz-t', 'x-amz-key', 'x-amz-unencrypted-content-length'), ['x-amz-', 'x-amz-meta-']), value: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('{}', '{"__proto__":{"polluted":"yes"}}', 'AES/GCM/NoPadding', '128', '12')) }),
    fc.record({ kind: fc.constant('json-key' as const), field: fc.nat(), name: fc.constantFrom(...prototypeNameVariants(['aws:'])), value: fc.constantFrom('x', '{"polluted":"yes"}') }),
  ),
  { minLength: 1, maxLength: 3 },
);

function setOwn(m: Md, k: string, v: string): void {
  Object.defineProperty(m, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function applyMdEdits(source: Md, edits: readonly MdEdit[]): Md {
  const m: Md = {};
  for (const k of Object.keys(source)) setOwn(m, k, source[k]!);
  for (const e of edits) {
    const keys = Object.keys(m);
    if (e.kind === 'add') setOwn(m, e.name, e.value);
    else if (keys.length === 0) continue;
    else if (e.kind === 'drop') delete m[keys[e.field % keys.length]!];
    else if (e.kind === 'value') {
      const k = keys[e.field % keys.length]!;
      setOwn(m, k, mutateString(m[k]!, e.edits));
    } else {
      // A JSON-valued field (material description / encryption context) with an added key.
      const jsonKeys = keys.filter((k) => m[k]!.startsWith('{'));
      if (jsonKeys.length === 0) continue;
      const k = jsonKeys[e.field % jsonKeys.length]!;
      const inner = m[k]!.replace(/^\{/, `{${JSON.stringify(e.name)}:${e.value.startsWith('{') ? e.value : JSON.stringify(e.value)}${m[k] === '{}' ? '' : ','}`);
      setOwn(m, k, inner);
    }
  }
  return m;
}

const mapBytes = (m: Md) => Buffer.from(JSON.stringify(Object.fromEntries(Object.keys(m).map((k) => [k, m[k]]))));

export const s3ecMetadata = defineTarget({
  name: 's3ec-metadata',
  description: 's3 parseEnvelope on real V2/V3 envelopes (metadata and instruction-file placements) with values mutated, keys dropped, metadata names and matdesc/context keys from the prototype names',
  async: false,
  ciCases: 3_000,
  async open(): Promise<FuzzSession<{ metadata: Md; instruction?: Md }>> {
    const { samples: all } = await samples();
    return {
      arbitrary: fc.tuple(fc.nat(), fc.boolean(), mdEdits).map(([which, onInstruction, edits]) => {
        const s = all[which % all.length]!;
        const instr = s.instruction ? parseInstructionFile(s.instruction) : undefined;
        if (instr && onInstruction) return { metadata: s.metadata, instruction: applyMdEdits(instr, edits) };
        return { metadata: applyMdEdits(s.metadata, edits), ...(instr ? { instruction: instr } : {}) };
      }),
      run({ metadata, instruction }) {
        parseEnvelope(metadata, instruction);
      },
      bytes: ({ metadata, instruction }) => Buffer.concat([mapBytes(metadata), Buffer.from('\n'), instruction ? mapBytes(instruction) : Buffer.alloc(0)]),
      async close() {},
    };
  },
});

export const s3ecInstructionFile = defineTarget({
  name: 's3ec-instruction-file',
  description: 's3 parseInstructionFile (then parseEnvelope with it) on arbitrary bytes, arbitrary JSON, mutated real instruction files and ones with prototype-name keys',
  async: false,
  ciCases: 3_000,
  async open(): Promise<FuzzSession<Buffer>> {
    const { samples: all } = await samples();
    const real = all.filter((s) => s.instruction);
    const withNames = fc.tuple(fc.nat(), fc.constantFrom(...prototypeNameVariants(['x-amz-'])), fc.constantFrom('"x"', '{}', '{"polluted":"yes"}', '1', 'null')).map(([i, name, v]) => {
      const text = real[i % real.length]!.instruction!.toString('utf8');
      return Buffer.from(text.replace(/^\{/, `{${JSON.stringify(name)}:${v},`));
    });
    return {
      arbitrary: fc.oneof(
        fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
        fc.tuple(fc.nat(), byteEdits).map(([i, e]) => mutateBytes(real[i % real.length]!.instruction!, e)),
        fc.json({ maxDepth: 3 }).map((j) => Buffer.from(j)),
        withNames,
      ),
      run(bytes) {
        const instruction = parseInstructionFile(bytes);
        parseEnvelope(real[bytes.length % real.length]!.metadata, instruction);
      },
      bytes: (b) => b,
      async close() {},
    };
  },
});

export const s3ecGetObject = defineTarget({
  name: 's3ec-get-object',
  description: 's3 EncryptedS3Client.getObject over an in-memory S3 of objects whose body, metadata or instruction file is mutated: typed error or exactly the original plaintext',
  async: true,
  ciCases: 500,
  async open(): Promise<FuzzSession<{ which: number; body: Buffer; metadata: Md; instruction?: Buffer; edits: ByteEdit[] }>> {
    const { s3, samples: all } = await samples();
    const reader = new EncryptedS3Client({ client: s3.client, keyProvider: provider });
    let n = 0;
    return {
      arbitrary: fc.tuple(fc.nat(), fc.constantFrom('body', 'metadata', 'instruction'), byteEdits, mdEdits).map(([which, part, edits, md]) => {
        const s = all[which % all.length]!;
        return {
          which,
          edits,
          body: part === 'body' ? mutateBytes(s.body, edits) : s.body,
          metadata: part === 'metadata' ? applyMdEdits(s.metadata, md) : s.metadata,
          ...(s.instruction ? { instruction: part === 'instruction' ? mutateBytes(s.instruction, edits) : s.instruction } : {}),
        };
      }),
      async run(c) {
        const s = all[c.which % all.length]!;
        const key = `m-${n++ % 64}`;
        s3.objects.set(key, { Body: c.body, Metadata: c.metadata });
        if (c.instruction) s3.objects.set(`${key}.instruction`, { Body: c.instruction, Metadata: {} });
        else s3.objects.delete(`${key}.instruction`);
        const r = await reader.getObject({ Bucket: 'b', Key: key });
        const got = Buffer.from(await r.Body!.transformToByteArray());
        if (!got.equals(s.plaintext)) throw new Untyped(`released ${got.length} bytes that are not the plaintext`);
      },
      bytes: (c) => Buffer.concat([mapBytes(c.metadata), Buffer.from('\n'), c.instruction ?? Buffer.alloc(0), Buffer.from('\n'), c.body]),
      async close() {},
    };
  },
});
