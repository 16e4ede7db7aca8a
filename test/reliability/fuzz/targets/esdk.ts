/**
 * ESDK message decoding (AWS Encryption SDK message format:
 * https://docs.aws.amazon.com/encryption-sdk/latest/developer-guide/message-format.html): the header
 * parser on arbitrary, header-shaped and mutated headers, and the full decrypt path (buffered and
 * streaming) on messages mutated inside their frames or inside their footer (signature).
 * A decrypt either fails typed or returns exactly the original plaintext.
 */
import { randomBytes } from 'node:crypto';
import { createClient, parseHeader, RawAesKeyProvider, type StrongroomClient } from '@strongroom/core';
import fc from 'fast-check';
import { defineTarget, Untyped, type FuzzSession } from '../harness';
import { byteEdits, mutateBytes, type ByteEdit } from '../mutate';
import { nameLikeMap, nameLike } from '../names';

interface Sample {
  readonly message: Buffer;
  readonly plaintext: Buffer;
  readonly headerEnd: number;
  /** Start of the footer (signed suites), else the message length. */
  readonly footerStart: number;
}

const provider = RawAesKeyProvider({ namespace: 'fuzz', name: 'k', key: Buffer.alloc(32, 9) });
function clients(): StrongroomClient[] {
  return [
    createClient({ keyProvider: provider, frameLength: 32 }),
    createClient({ keyProvider: provider, frameLength: 32, suite: 0x0578 }),
    createClient({ keyProvider: provider, frameLength: 32, commitmentPolicy: 'REQUIRE_ENCRYPT_ALLOW_DECRYPT', maxFrameLength: 4096 }),
  ];
}
const legacy = () => createClient({ keyProvider: provider, frameLength: 32, commitmentPolicy: 'FORBID_ENCRYPT_ALLOW_DECRYPT', suite: 0x0378 });

/** The footer of a signed message: u16 length + DER ECDSA signature, found from the end. */
function footerStart(message: Buffer, signed: boolean): number {
  if (!signed) return message.length;
  for (let len = 8; len <= 140 && len + 2 <= message.length; len++) {
    if (message.readUInt16BE(message.length - 2 - len) === len) return message.length - 2 - len;
  }
  throw new Error('no footer found in a signed message');
}

/** Messages of every suite family, with encryption contexts that use the five prototype names as keys. */
async function samples(): Promise<Sample[]> {
  const contexts = fc.sample(nameLikeMap(fc.string({ maxLength: 8 }), nameLike(fc.constantFrom('tenant', 'purpose', 'a'))), { seed: 7, numRuns: 6 });
  const out: Sample[] = [];
  const writers = [...clients(), legacy()];
  for (let i = 0; i < writers.length * 2; i++) {
    const w = writers[i % writers.length]!;
    const plaintext = randomBytes(40 + i * 13);
    let message: Buffer;
    try {
      message = Buffer.from((await w.encrypt(plaintext, { encryptionContext: contexts[i % contexts.length]! })).ciphertext);
    } catch {
      message = Buffer.from((await w.encrypt(plaintext, { encryptionContext: { a: 'b' } })).ciphertext);
    }
    const parsed = parseHeader(message, { maxEncryptedDataKeys: 10 })!;
    out.push({ message, plaintext, headerEnd: parsed.length, footerStart: footerStart(message, w.suite.signature !== undefined) });
  }
  return out;
}

async function decryptEither(client: StrongroomClient, bytes: Buffer, streaming: boolean): Promise<Buffer> {
  if (!streaming) return Buffer.from((await client.decrypt(bytes)).plaintext);
  const chunks: Buffer[] = [];
  for await (const c of client.decryptStream(bytes)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export const esdkHeader = defineTarget({
  name: 'esdk-header',
  description: 'core parseHeader on arbitrary bytes, header-shaped bytes (valid version+suite, random tail) and mutated real headers (contexts with prototype names)',
  async: false,
  ciCases: 3_000,
  async open(): Promise<FuzzSession<Buffer>> {
    const headers = (await samples()).map((s) => s.message.subarray(0, s.headerEnd));
    return {
      arbitrary: fc.oneof(
        fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
        fc
          .tuple(fc.constantFrom(0x01, 0x02), fc.constantFrom(0x0014, 0x0178, 0x0378, 0x0478, 0x0578, 0x1234), fc.uint8Array({ maxLength: 400 }))
          .map(([v, suite, tail]) => Buffer.concat([Buffer.from(v === 1 ? [1, 0x80] : [2]), Buffer.from([suite >> 8, suite & 0xff]), tail])),
        fc.tuple(fc.nat(), byteEdits).map(([i, e]) => mutateBytes(headers[i % headers.length]!, e)),
      ),
      run(bytes) {
        parseHeader(bytes, { maxEncryptedDataKeys: 4 });
      },
      bytes: (b) => b,
      async close() {},
    };
  },
});

function messageTarget(name: 'esdk-frames' | 'esdk-footer') {
  const footer = name === 'esdk-footer';
  return defineTarget({
    name,
    description: footer
      ? 'core decrypt and decryptStream of signed messages (suites 0x0578, 0x0378) mutated inside the footer (signature length and bytes, truncation, trailing bytes)'
      : 'core decrypt and decryptStream of messages of four suites mutated inside the body (frame headers, sequence numbers, lengths, IVs, tags, final frame)',
    async: true,
    ciCases: 1_000,
    async open(): Promise<FuzzSession<{ which: number; reader: number; streaming: boolean; edits: ByteEdit[]; bytes: Buffer }>> {
      const all = await samples();
      const pool = footer ? all.filter((s) => s.footerStart < s.message.length) : all;
      const readers = [...clients(), legacy()];
      const gen = fc.tuple(fc.nat(), fc.nat(), fc.boolean(), byteEdits).map(([which, reader, streaming, edits]) => {
        const s = pool[which % pool.length]!;
        const to = footer ? s.message.length + 1 : s.footerStart;
        const from = footer ? s.footerStart : s.headerEnd;
        return { which, reader, streaming, edits, bytes: mutateBytes(s.message, edits, from, to) };
      });
      return {
        arbitrary: gen,
        async run(c) {
          const s = pool[c.which % pool.length]!;
          const client = readers[c.reader % readers.length]!;
          let got: Buffer;
          try {
            got = await decryptEither(client, c.bytes, c.streaming);
          } catch (e) {
            if (c.bytes.equals(s.message)) return; // an unchanged message may be refused only by a policy (e.g. commitment)
            throw e;
          }
          if (!got.equals(s.plaintext)) throw new Untyped(`decrypt released ${got.length} bytes that are not the plaintext`);
          if (!c.bytes.equals(s.message)) throw new Untyped('a changed message decrypted');
        },
        bytes: (c) => c.bytes,
        async close() {},
      };
    },
  });
}

export const esdkFrames = messageTarget('esdk-frames');
export const esdkFooter = messageTarget('esdk-footer');
