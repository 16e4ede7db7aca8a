/**
 * Every network-facing operation of a node, with the names that reach `Object.prototype`
 * (`__proto__`, `constructor`, `prototype`, `toString`, `hasOwnProperty`) in every string field and as
 * argument keys: each call answers correctly or with a typed error — never INTERNAL — and afterwards
 * the node still behaves (an unrelated key keeps its attributes, an unrelated user still logs in,
 * objects named like prototype members are "not found"). Property names that alias prototype members
 * are the JavaScript form of CWE-1321 (https://cwe.mitre.org/data/definitions/1321.html).
 */
import { StrongroomError } from '@strongroom/core';
import { HSM_OPS, connectHsmNode, type HsmNodeConnection } from '@strongroom/hsm-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTls } from '../../src/node';
import { PW, startSecurityCluster, type SecurityCluster } from './setup';

const NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'] as const;

let s: SecurityCluster;
let alice: HsmNodeConnection;
let peer: HsmNodeConnection;
let unrelated: { handle: string; label: string; attrs: Record<string, boolean>; sharedWith: string[] };
let scratch: string;

beforeAll(async () => {
  s = await startSecurityCluster();
  alice = await s.c.login(0, 'alice', PW.alice!);
  const g = await alice.callUnchecked<{ key: typeof unrelated }>('key.generate', { type: 'aes', bits: 256, template: { label: 'unrelated-kek' } });
  unrelated = g.key;
  scratch = (await alice.callUnchecked<{ key: { handle: string } }>('key.generate', { type: 'aes', bits: 256, template: { label: 'scratch', extractable: true } })).key.handle;
  const tls = readTls(s.c.info.nodes[1]!.dataDir);
  peer = await connectHsmNode({ url: s.c.urls[0]!, trustAnchor: tls.caPem, clientCert: { certPem: tls.certPem, keyPem: tls.keyPem } });
}, 120_000);

afterAll(async () => {
  peer?.close();
  await s?.c.stopAll();
});

/** Plausible arguments for every operation at once (operations ignore fields they do not read). */
function base(): Record<string, unknown> {
  return {
    handle: scratch, label: 'scratch', user: 'bob', id: `k:${scratch}`, service: 'user', op: 'user.unlock', mechanism: 'aes-kw', hash: 'sha256',
    type: 'aes', class: 'secret', role: 'crypto-user', format: 'raw-aes', keyType: 'aes', curve: 'P-256', password: 'bob-pass-1',
    newPassword: 'bob-pass-1', publicKeyPem: 'x', wrappingHandle: scratch, unwrappingHandle: scratch, ids: [`k:${scratch}`],
    template: { label: 'made', shareWith: ['bob'] }, attributes: { label: 'scratch' }, args: { user: 'bob' }, value: 1, bits: 256, length: 8,
    plaintext: Buffer.from('x'), data: Buffer.from('x'), material: Buffer.alloc(32, 1),
  };
}

const STRING_FIELDS = ['handle', 'label', 'user', 'id', 'service', 'op', 'mechanism', 'hash', 'type', 'class', 'role', 'format', 'keyType', 'curve',
  'password', 'newPassword', 'publicKeyPem', 'wrappingHandle', 'unwrappingHandle'];

/** Every argument map to try for one name: each string field poisoned alone, nested names, and the name as a key. */
function variants(n: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = STRING_FIELDS.map((f) => ({ ...base(), [f]: n }));
  out.push({ ...base(), ids: [n], template: { label: n, id: n, shareWith: [n] }, attributes: { label: n, [n]: true }, args: { user: n, [n]: n } });
  out.push({ ...base(), [n]: n });
  out.push({ [n]: { [n]: n } });
  return out;
}

/** 'OK' or the error code; anything that is not a StrongroomError is a failure of the test. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    if (!StrongroomError.isInstance(e)) throw e;
    return e.code;
  }
}

describe('prototype-member names in every field of every operation', () => {
  it('never INTERNAL, for an anonymous caller, a crypto user, an admin and a peer node', { timeout: 600_000 }, async () => {
    const anon = await s.c.connect(0);
    const callers: Array<[string, HsmNodeConnection]> = [['anonymous', anon], ['crypto-user', alice], ['admin', s.admin[0]!], ['node', peer]];
    const internal: string[] = [];
    for (const op of HSM_OPS) {
      if (op === 'logout' || op === 'backup.create') continue; // would end the callers' sessions / write files; covered below
      for (const [who, conn] of callers) {
        for (const n of NAMES) {
          const got = await Promise.all(variants(n).map((args) => outcome(conn.callUnchecked(op, args as never))));
          got.forEach((g, i) => {
            if (g === 'INTERNAL') internal.push(`${op} as ${who} with ${n} (variant ${i})`);
          });
          // A login that succeeded (a poisoned field the operation ignores) leaves the connection logged in: reset it.
          if (op === 'login' && got.includes('OK')) await outcome(conn.callUnchecked('logout'));
        }
      }
    }
    expect(internal).toEqual([]);
  });

  it('objects named like prototype members do not exist', async () => {
    for (const n of NAMES) {
      expect(await peer.call('sync.has', { ids: [n, `k:${n}`, `u:${n}`] })).toEqual([false, false, false]);
      expect(await peer.call('sync.get', { ids: [n] })).toEqual([]);
      expect(await outcome(peer.call('sync.export', { id: n }))).toBe('KEY_UNAVAILABLE');
      expect(await outcome(alice.call('key.getAttributes', { handle: n }))).toBe('KEY_UNAVAILABLE');
      expect(await outcome(s.admin[0]!.call('user.unlock', { user: n }))).toBe('INVALID_ARGUMENT');
      expect(await alice.call('key.find', { label: n })).toEqual([]);
    }
  });

  it('afterwards the node still behaves: the unrelated key is unchanged, unrelated users log in', async () => {
    const now = await alice.call('key.getAttributes', { handle: unrelated.handle });
    expect(now.label).toBe(unrelated.label);
    expect(now.attrs).toEqual(unrelated.attrs);
    expect(now.sharedWith).toEqual(unrelated.sharedWith);
    const enc = await alice.call('aes.gcmEncrypt', { handle: unrelated.handle, plaintext: Buffer.from('still fine') });
    expect(Buffer.from((await alice.call('aes.gcmDecrypt', { handle: unrelated.handle, ...enc })).plaintext).toString()).toBe('still fine');
    const again = await s.c.connect(0);
    expect((await again.call('login', { user: 'alice', password: PW.alice! })).role).toBe('crypto-user');
    expect((await s.admin[0]!.call('quorum.get', {}))).toEqual({ user: 1, quorum: 1 });
    const st = await again.call('status', {});
    expect(st.state).toBe('ACTIVE');
  });
});
