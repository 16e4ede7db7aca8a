/**
 * Property-based fuzzing of the message decoders (header, frames, footer): arbitrary bytes and
 * mutations of valid messages must only ever produce a StrongroomError — no other exception, no hang
 * (each case is time-bounded), no unbounded allocation (length fields are capped before allocating).
 * CI runs ≥ 10,000 cases per target; bench/fuzz runs ≥ 1,000,000.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createClient, parseHeader, RawAesKeyProvider, StrongroomError } from '../src/index';

const RUNS = Number(process.env.STRONGROOM_FUZZ_RUNS ?? 10_000);
// The whole property may take minutes on a loaded 2-core CI machine; each case is bounded separately
// (fast-check's per-case `timeout`), which is what catches a hang.
const FUZZ_TIMEOUT = 600_000;
const provider = RawAesKeyProvider({ namespace: 'fuzz', name: 'k', key: randomBytes(32) });
const clients = [
  createClient({ keyProvider: provider, frameLength: 32 }),
  createClient({ keyProvider: provider, frameLength: 32, suite: 0x0578 }),
  createClient({ keyProvider: provider, frameLength: 32, commitmentPolicy: 'REQUIRE_ENCRYPT_ALLOW_DECRYPT', maxFrameLength: 4096 }),
];
const v1 = createClient({ keyProvider: provider, frameLength: 32, commitmentPolicy: 'FORBID_ENCRYPT_ALLOW_DECRYPT', suite: 0x0378 });

function typed(e: unknown): boolean {
  if (StrongroomError.isInstance(e)) return true;
  throw e;
}

async function decryptBoth(client: (typeof clients)[number], bytes: Uint8Array): Promise<void> {
  await client.decrypt(bytes).then(() => undefined, typed);
  await (async () => {
    for await (const _ of client.decryptStream(bytes));
  })().then(() => undefined, typed);
}

describe('fuzzing the decoders', () => {
  it(`parseHeader on arbitrary bytes returns a header, "need more", or a typed error (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 1, max: 0xffff }), (bytes, maxEdks) => {
        try {
          parseHeader(bytes, { maxEncryptedDataKeys: maxEdks });
        } catch (e) {
          typed(e);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`parseHeader on header-shaped bytes (valid prefix + random tail) (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0x01, 0x02),
        fc.constantFrom(0x0014, 0x0178, 0x0378, 0x0478, 0x0578, 0x1234),
        fc.uint8Array({ maxLength: 400 }),
        (version, suite, tail) => {
          const bytes = Buffer.concat([Buffer.from(version === 1 ? [1, 0x80] : [2]), Buffer.from([suite >> 8, suite & 0xff]), tail]);
          try {
            parseHeader(bytes, { maxEncryptedDataKeys: 4 });
          } catch (e) {
            typed(e);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it(`decrypt/decryptStream on mutated valid messages (${RUNS} cases)`, async () => {
    const samples = await Promise.all([
      ...clients.map((c) => c.encrypt(randomBytes(100), { encryptionContext: { a: 'b' } })),
      v1.encrypt(randomBytes(70), { encryptionContext: { a: 'b' } }),
    ]);
    const messages = samples.map((s) => s.ciphertext);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: messages.length - 1 }),
        fc.nat({ max: clients.length - 1 }),
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 1, max: 255 }) }),
            fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
            fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
            fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 0xffff, 0x7fffffff, 0xffffffff, 0xfffffffe) }),
          ),
          { minLength: 1, maxLength: 3 },
        ),
        async (which, clientIndex, edits) => {
          let bytes = Buffer.from(messages[which]!);
          for (const edit of edits) {
            const at = edit.at % Math.max(1, bytes.length);
            if (edit.kind === 'flip') bytes[at]! ^= edit.value;
            else if (edit.kind === 'cut') bytes = bytes.subarray(0, at);
            else if (edit.kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), edit.bytes, bytes.subarray(at)]);
            else if (at + 4 <= bytes.length) bytes.writeUInt32BE(edit.value, at);
          }
          if (bytes.equals(Buffer.from(messages[which]!))) return;
          await decryptBoth(clients[clientIndex]!, bytes);
        },
      ),
      { numRuns: RUNS, timeout: 5_000 },
    );
  }, FUZZ_TIMEOUT);

  it('caps lengths before allocating: a huge frame length or EDK count is refused up front', async () => {
    const { ciphertext } = await clients[0]!.encrypt('x', { encryptionContext: {} });
    const parsed = parseHeader(ciphertext, { maxEncryptedDataKeys: 10 })!;
    // frame length field sits 32 bytes before the end of the v2 header body
    const bytes = Buffer.from(ciphertext);
    bytes.writeUInt32BE(0xffffffff, parsed.headerBody.length - 36);
    const stream = clients[2]!.decryptStream(bytes);
    await expect((async () => { for await (const _ of stream); })()).rejects.toSatisfy((e) => StrongroomError.isInstance(e, 'LIMIT_EXCEEDED'));
    const edkCount = Buffer.from(ciphertext);
    // v2: version(1) suite(2) id(32) aad-len(2)=0 → EDK count at offset 37
    edkCount.writeUInt16BE(5000, 37);
    await expect(clients[0]!.decrypt(edkCount)).rejects.toSatisfy((e) => StrongroomError.isInstance(e, 'LIMIT_EXCEEDED'));
  });
});
