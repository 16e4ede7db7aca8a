/**
 * Attacks on quorum (M of N) authentication: token replay on another node, after a restart, for
 * another operation or other arguments; and one admin turning quorum off while the quorum service
 * itself is at 1. CloudHSM: https://docs.aws.amazon.com/cloudhsm/latest/userguide/quorum-auth-chsm-cli.html
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers';
import { approve, PW, reason, startSecurityCluster, type SecurityCluster } from './setup';

let s: SecurityCluster;

beforeAll(async () => {
  s = await startSecurityCluster();
  // user quorum 2, quorum-service quorum 1 (its default).
  await s.admin[0]!.callUnchecked('quorum.setValue', { service: 'user', value: 2 });
  for (const a of s.admin) await eventually(async () => (await a.callUnchecked<{ user: number }>('quorum.get')).user === 2);
}, 120_000);

afterAll(async () => {
  await s?.c.stopAll();
});

describe('quorum tokens are bound, single-use cluster-wide, and survive restarts', () => {
  it('a token approved for one operation is accepted once on one node and refused on every other node', async () => {
    const args = { user: 'alice' };
    const q = await approve(s.admin[0]!, 'user.unlock', args, s.approvers);
    await s.admin[0]!.callUnchecked('user.unlock', { ...args, ...q });
    expect(await reason(s.admin[0]!.callUnchecked('user.unlock', { ...args, ...q }))).toBe('ACCESS_DENIED:QUORUM_REQUIRED');
    expect(await reason(s.admin[1]!.callUnchecked('user.unlock', { ...args, ...q }))).toBe('ACCESS_DENIED:QUORUM_REQUIRED');
    expect(await reason(s.admin[2]!.callUnchecked('user.unlock', { ...args, ...q }))).toBe('ACCESS_DENIED:QUORUM_REQUIRED');
  });

  it('a used token is refused after the node restarts', async () => {
    const args = { user: 'bob' };
    const q = await approve(s.admin[1]!, 'user.unlock', args, s.approvers);
    await s.admin[1]!.callUnchecked('user.unlock', { ...args, ...q });
    await s.c.nodes[1]!.kill('SIGKILL');
    await s.c.start(1);
    const again = await s.c.login(1, 'admin', PW.admin!);
    expect(await reason(again.callUnchecked('user.unlock', { ...args, ...q }))).toBe('ACCESS_DENIED:QUORUM_REQUIRED');
    s.admin[1] = again;
  });

  it('a token approved for one operation does not authorize another operation or other arguments', async () => {
    const q = await approve(s.admin[2]!, 'user.unlock', { user: 'alice' }, s.approvers);
    expect(await reason(s.admin[2]!.callUnchecked('user.delete', { user: 'bob', ...q }))).toBe('ACCESS_DENIED:QUORUM_REQUIRED');
    expect(await reason(s.admin[2]!.callUnchecked('user.unlock', { user: 'bob', ...q }))).toBe('ACCESS_DENIED:QUORUM_REQUIRED');
    expect(await reason(s.admin[2]!.callUnchecked('user.create', { user: 'eve', role: 'admin', password: 'eve-pass-12', ...q }))).toBe('ACCESS_DENIED:QUORUM_REQUIRED');
    // The token was not consumed by the refused calls: the approved operation still runs.
    await s.admin[2]!.callUnchecked('user.unlock', { user: 'alice', ...q });
  });
});

describe('quorum downgrade', () => {
  it('with the quorum service at 1 and the user service at 2, one admin alone cannot turn the user quorum off', async () => {
    expect(await reason(s.admin[0]!.callUnchecked('quorum.setValue', { service: 'user', value: 1 }))).toBe('ACCESS_DENIED:QUORUM_REQUIRED');
    expect(await reason(s.admin[0]!.callUnchecked('quorum.setValue', { service: 'quorum', value: 1 }))).toBe('ACCESS_DENIED:QUORUM_REQUIRED');
    expect((await s.admin[0]!.callUnchecked<{ user: number }>('quorum.get')).user).toBe(2);
    // With the approvals of the quorum in force (2), the change goes through.
    const args = { service: 'user', value: 1 };
    await s.admin[0]!.callUnchecked('quorum.setValue', { ...args, ...(await approve(s.admin[0]!, 'quorum.setValue', args, s.approvers)) });
    expect((await s.admin[0]!.callUnchecked<{ user: number }>('quorum.get')).user).toBe(1);
  });
});
