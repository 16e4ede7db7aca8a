/**
 * A live hsm-local node (docs/hsm-cluster.md): one node process, one real mutual-TLS connection
 * logged in as a crypto user, and requests of every operation — valid requests with one argument
 * replaced (prototype names in every name-like field: labels, handles, user names, map keys) and
 * random operations with random arguments. Every answer is a result or a typed refusal; the node
 * never drops the connection and keeps answering.
 */
import { connectHsmNode, type HsmNodeConnection } from '@strongroom/hsm-protocol';
import { StrongroomError } from '@strongroom/core';
import { startHsmCluster, type LocalHsmCluster } from '@strongroom/testing/servers';
import fc from 'fast-check';
import { defineTarget, Untyped, type FuzzSession } from '../harness';
import { replaceAt } from '../mutate';
import { nameLike, PROTOTYPE_NAMES } from '../names';
import { wire, wireValue, type WireValue } from './hsm-wire';

type Args = Record<string, WireValue | undefined>;

export const HSM_OPERATIONS = [
  'login', 'status', 'random', 'digest', 'sign', 'verify', 'hmac', 'hmac.verify',
  'user.changePassword', 'user.create', 'user.delete', 'user.unlock', 'user.list', 'user.registerQuorumKey', 'quorum.tokenGenerate', 'quorum.get', 'quorum.setValue',
  'key.generate', 'key.import', 'key.find', 'key.getAttributes', 'key.setAttributes', 'key.delete', 'key.share', 'key.unshare', 'key.export', 'key.wrap', 'key.unwrap',
  'aes.gcmEncrypt', 'aes.gcmDecrypt', 'aes.gcmGenerateDataKey', 'rsa.encrypt', 'rsa.decrypt', 'sync.export', 'sync.import', 'sync.digest', 'sync.has', 'sync.get', 'backup.create',
] as const;

const ARG_NAMES = ['type', 'bits', 'handle', 'label', 'template', 'plaintext', 'aad', 'iv', 'tag', 'ciphertext', 'data', 'mechanism', 'hash', 'user', 'password', 'role', 'format', 'material', 'attributes', 'length', 'id', 'curve', 'wrappingHandle', 'signature', 'mac', 'service', 'value'];

const nameString = nameLike(fc.string({ maxLength: 16 }));
const argValue: fc.Arbitrary<WireValue> = fc.oneof(
  nameString,
  fc.constantFrom<WireValue>('aes', 'rsa', 'ec', 'generic-secret', 'P-256', 'sha256', 'ecdsa', 'aes-gcm', 256, 128, 'app', 'fuzz-kek', '@handle'),
  wireValue,
  fc.dictionary(nameLike(fc.constantFrom('label', 'token', 'extractable', 'encrypt', 'decrypt', 'wrap', 'sign')), fc.oneof(nameString, fc.boolean(), fc.integer()), { maxKeys: 4 }),
);

type Case =
  | { readonly kind: 'template'; readonly which: number; readonly path: number[]; readonly value: WireValue }
  | { readonly kind: 'add'; readonly which: number; readonly name: string; readonly value: WireValue }
  | { readonly kind: 'random'; readonly op: string; readonly args: Args };

const own = (pairs: Array<[string, WireValue]>): Args => {
  const o: Args = {};
  for (const [k, v] of pairs) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
};

/**
 * Cases per node. Every durable write rewrites the node's whole sealed state file, and `key.generate`
 * cases add a key each, so one node's per-write cost grows with the run (a 3 MB state file after
 * 200,000 cases); a fresh node every EPOCH cases bounds it, as kms-local-requests does.
 */
const EPOCH = 20_000;

interface NodeFixture {
  readonly cluster: LocalHsmCluster;
  conn: HsmNodeConnection;
  readonly handle: string;
  readonly templates: ReadonlyArray<readonly [string, Args]>;
}

async function connectTo(cluster: LocalHsmCluster): Promise<HsmNodeConnection> {
  const c = await connectHsmNode({ url: cluster.urls[0]!, trustAnchor: cluster.info.trustAnchor, clientCert: cluster.info.clientCert });
  await c.call('login', cluster.cryptoUser);
  return c;
}

/** One node, logged in, with one AES key whose handle the templates name. */
async function nodeFixture(): Promise<NodeFixture> {
  const cluster: LocalHsmCluster = await startHsmCluster({ azs: ['us-east-1a'] });
  const conn = await connectTo(cluster);
  const { key } = await conn.callUnchecked<{ key: { handle: string } }>('key.generate', { type: 'aes', bits: 256, template: { label: 'fuzz-kek' } });
  const handle = key.handle;
  const enc = await conn.call('aes.gcmEncrypt', { handle, plaintext: Buffer.from('fuzz'), aad: Buffer.alloc(0) });
  const templates: Array<[string, Args]> = [
    ['aes.gcmEncrypt', { handle, plaintext: Buffer.from('x'), aad: Buffer.alloc(0) }],
    ['aes.gcmDecrypt', { handle, iv: enc.iv, ciphertext: enc.ciphertext, tag: enc.tag, aad: Buffer.alloc(0) }],
    ['aes.gcmGenerateDataKey', { handle, length: 32, aad: Buffer.alloc(0) }],
    ['key.find', { label: 'fuzz-kek' }],
    ['key.getAttributes', { handle }],
    ['key.setAttributes', { handle, attributes: { label: 'fuzz-kek' } }],
    ['key.generate', { type: 'aes', bits: 256, template: { label: 'gen' } }],
    ['key.share', { handle, user: 'nobody' }],
    ['key.unshare', { handle, user: 'nobody' }],
    ['random', { length: 16 }],
    ['user.list', {}],
  ];
  return { cluster, conn, handle, templates };
}

export const hsmLiveNode = defineTarget({
  name: 'hsm-local-node',
  description: `one hsm-local node process over mutual TLS, logged in as a crypto user: valid requests of 10 operations with one argument replaced or a name-like argument added, and random operations with random arguments; a fresh node every ${EPOCH.toLocaleString('en-US')} cases`,
  async: true,
  ciCases: 300,
  async open(): Promise<FuzzSession<Case & { sent?: Buffer }>> {
    let f = await nodeFixture();
    let n = 0;
    const fill = (v: WireValue | undefined): WireValue | undefined => (v === '@handle' ? f.handle : v);
    return {
      arbitrary: fc.oneof(
        { weight: 3, arbitrary: fc.record({ kind: fc.constant('template' as const), which: fc.nat(), path: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }), value: argValue }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('add' as const), which: fc.nat(), name: nameLike(fc.constantFrom(...ARG_NAMES)), value: argValue }) },
        {
          weight: 2,
          arbitrary: fc.record({
            kind: fc.constant('random' as const),
            op: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...HSM_OPERATIONS) }, { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES, 'no.such.op') }),
            args: fc.array(fc.tuple(nameLike(fc.constantFrom(...ARG_NAMES)), argValue), { maxLength: 6 }).map(own),
          }),
        },
      ),
      async run(c) {
        if (++n % EPOCH === 0) {
          f.conn.close();
          await f.cluster.stopAll();
          f = await nodeFixture();
        }
        let op: string;
        let args: Args;
        if (c.kind === 'random') [op, args] = [c.op, c.args];
        else {
          const [o, t] = f.templates[c.which % f.templates.length]!;
          op = o;
          if (c.kind === 'template') args = replaceAt(t, c.path, fill(c.value)) as Args;
          else {
            args = own(Object.entries(t) as Array<[string, WireValue]>);
            Object.defineProperty(args, c.name, { value: fill(c.value), enumerable: true, writable: true, configurable: true });
          }
        }
        if (op === 'login' || op === 'user.changePassword') args = { ...args, user: 'fuzz-nobody' }; // keep the session and the crypto user's password (no logout: it is not in the list)
        try {
          c.sent = wire.encodeFrame(wire.FRAME_REQUEST, 1, { op, args: args as WireValue });
        } catch {
          c.sent = Buffer.from(`${op} (not encodable)`);
        }
        try {
          await f.conn.callUnchecked(op, args, { timeoutMs: 8_000 });
        } catch (e) {
          if (StrongroomError.isInstance(e) && e.details?.reason === 'CONNECTION') {
            f.conn = await connectTo(f.cluster);
            throw new Untyped(`the node dropped the connection: ${e.message}`);
          }
          throw e;
        }
      },
      bytes: (c) => c.sent ?? Buffer.alloc(0),
      async check() {
        await f.conn.call('status', {});
        await f.conn.call('random', { length: 8 });
      },
      checkEvery: 2_000,
      async close() {
        f.conn.close();
        await f.cluster.stopAll();
      },
    };
  },
});
