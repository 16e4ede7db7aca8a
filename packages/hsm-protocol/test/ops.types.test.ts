/**
 * Type-level tests of the operation table: a wrong argument or a wrong use of a result does not
 * compile. `npm run typecheck` (tsc over test/) checks every `@ts-expect-error` below; vitest runs
 * the `expectTypeOf` assertions. The connection is never opened: the calls sit in a function that
 * is only type-checked.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { HsmArgs, HsmNodeConnection, HsmOp, HsmResult, NodeKey } from '../src/index';
import { HSM_OPS } from '../src/index';

// Only type-checked, never called.
async function misuse(conn: HsmNodeConnection): Promise<void> {
  // @ts-expect-error unknown operation
  await conn.call('key.generat', {});
  // @ts-expect-error missing argument (password)
  await conn.call('login', { user: 'app' });
  // @ts-expect-error wrong argument type (bits is a number)
  await conn.call('key.generate', { type: 'aes', bits: '256', template: { label: 'k' } });
  // @ts-expect-error an EC key needs a curve, not bits
  await conn.call('key.generate', { type: 'ec', bits: 256, template: { label: 'k' } });
  // @ts-expect-error plaintext is bytes, not a string
  await conn.call('aes.gcmEncrypt', { handle: 'h', plaintext: 'secret' });
  // @ts-expect-error a quorum token is for one quorum-governed operation (key.generate is not one)
  await conn.call('quorum.tokenGenerate', { op: 'key.generate', args: {} });
  // @ts-expect-error the token's arguments are those of the named operation
  await conn.call('quorum.tokenGenerate', { op: 'user.unlock', args: { service: 'user', value: 1 } });
  await conn.call('quorum.tokenGenerate', { op: 'quorum.setValue', args: { service: 'user', value: 1 } });

  const enc = await conn.call('aes.gcmEncrypt', { handle: 'h', plaintext: new Uint8Array(1) });
  // @ts-expect-error the result has iv, ciphertext and tag, no plaintext
  void enc.plaintext;
  const keys = await conn.call('key.find', { label: 'k' });
  // @ts-expect-error key.find answers a list of keys
  void keys.handle;
  const gen = await conn.call('key.generate', { type: 'aes', bits: 256, template: { label: 'k' } });
  // @ts-expect-error key.generate answers { key } or { privateKey, publicKey }: narrow first
  void gen.key.handle;
  if ('key' in gen) expectTypeOf(gen.key).toEqualTypeOf<NodeKey>();

  // The escape hatch for fuzzers and tools is explicit and untyped.
  await conn.callUnchecked('no.such.op', { anything: 1 });
}
void misuse;

describe('operation table types', () => {
  it('types arguments and results by operation name', () => {
    expectTypeOf<HsmArgs<'login'>>().toEqualTypeOf<{ user: string; password: string }>();
    expectTypeOf<HsmResult<'aes.gcmDecrypt'>>().toEqualTypeOf<{ plaintext: Uint8Array }>();
    expectTypeOf<HsmResult<'key.getAttributes'>>().toEqualTypeOf<NodeKey>();
    expectTypeOf<HsmNodeConnection['call']>().returns.resolves.not.toBeAny();
  });

  it('HSM_OPS lists every operation of the table', () => {
    expectTypeOf<(typeof HSM_OPS)[number]>().toEqualTypeOf<HsmOp>();
  });
});
