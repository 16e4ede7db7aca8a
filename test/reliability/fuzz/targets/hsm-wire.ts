/**
 * The hsm-local wire codec (docs/hsm-cluster.md#14-wire-protocol-and-performance): the frame-body decoder and the
 * streaming frame reader on arbitrary bytes and on mutated real frames (maps keyed by the prototype
 * names included), plus a round-trip check: what decodes equals what was encoded.
 *
 * The codec is imported here and nowhere else in the fuzz targets, through the package's public
 * export, so the import can be repointed when the codec moves to its own package.
 */
import { wire } from '@strongroom/hsm-protocol';
import fc from 'fast-check';
import { defineTarget, Untyped, type FuzzSession } from '../harness';
import { byteEdits, mutateBytes } from '../mutate';
import { nameLike } from '../names';

export type WireValue = wire.WireValue;
export { wire };

/** Wire values whose map keys and strings are name-like. */
export const wireValue: fc.Arbitrary<WireValue> = fc.letrec<{ v: WireValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true }),
    fc.integer(),
    nameLike(fc.string({ maxLength: 24 })),
    fc.uint8Array({ maxLength: 48 }),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.array(fc.tuple(nameLike(fc.constantFrom('label', 'handle', 'user', 'token', 'bits', 'type')), tie('v')), { maxLength: 4 }).map((pairs) => {
      const o: { [key: string]: WireValue } = {};
      for (const [k, v] of pairs) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
      return o;
    }),
  ),
})).v;

/** A canonical text of a wire value, for equality. */
function canonical(v: WireValue | undefined): string {
  if (v instanceof Uint8Array) return `b:${Buffer.from(v).toString('hex')}`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return Object.is(v, -0) ? '-0' : JSON.stringify(v) ?? 'undefined';
}

type Case = { readonly kind: 'bytes'; readonly bytes: Buffer } | { readonly kind: 'value'; readonly value: WireValue; readonly bytes: Buffer };

export const hsmWireCodec = defineTarget({
  name: 'hsm-wire-codec',
  description: 'hsm-local wire.decodeFrameBody and wire.createFrameReader on arbitrary bytes and mutated real frames; encode→decode round trip of values with prototype-name map keys',
  async: false,
  ciCases: 3_000,
  async open(): Promise<FuzzSession<Case>> {
    const base = [
      wire.encodeFrame(wire.FRAME_REQUEST, 7, { op: 'aes.gcmEncrypt', args: { handle: 'k1', plaintext: Buffer.alloc(32, 1), aad: Buffer.alloc(0) } }),
      wire.encodeFrame(wire.FRAME_RESPONSE, 9, { key: { handle: 'h', label: 'l', bits: 256, attrs: { token: true, extractable: false } }, list: [1, -2.5, null, 'x'] }),
      wire.encodeFrame(wire.FRAME_ERROR, 3, { code: 'ACCESS_DENIED', message: 'no', reason: null }),
    ];
    return {
      arbitrary: fc.oneof(
        fc.uint8Array({ maxLength: 400 }).map((b): Case => ({ kind: 'bytes', bytes: Buffer.from(b) })),
        fc.tuple(fc.nat(), byteEdits).map(([i, e]): Case => ({ kind: 'bytes', bytes: mutateBytes(base[i % base.length]!, e) })),
        fc.tuple(wireValue, fc.option(byteEdits, { freq: 2 })).map(([value, edits]): Case => {
          const frame = wire.encodeFrame(wire.FRAME_REQUEST, 5, { op: 'key.find', args: value });
          return edits ? { kind: 'bytes', bytes: mutateBytes(frame, edits) } : { kind: 'value', value, bytes: frame };
        }),
      ),
      run(c) {
        let decoded: ReturnType<typeof wire.decodeFrameBody> | undefined;
        try {
          decoded = wire.decodeFrameBody(c.bytes.subarray(Math.min(4, c.bytes.length)));
        } catch (e) {
          if (c.kind === 'value' && !/__proto__/.test(canonical(c.value))) throw new Untyped(`a value the encoder wrote did not decode: ${e instanceof Error ? e.message : String(e)}`);
          throw e;
        }
        if (c.kind === 'value') {
          const args = (decoded.value as { args?: WireValue }).args;
          if (canonical(args) !== canonical(c.value)) throw new Untyped('decode(encode(v)) differs from v');
          if (args !== null && typeof args === 'object' && !(args instanceof Uint8Array) && !Array.isArray(args) && Object.getPrototypeOf(args) !== null && Object.getPrototypeOf(args) !== Object.prototype) {
            throw new Untyped('a decoded map has a foreign prototype');
          }
        }
        const reader = wire.createFrameReader(() => undefined, 1 << 16);
        reader.push(Buffer.from(c.bytes));
      },
      bytes: (c) => c.bytes,
      async close() {},
    };
  },
});
