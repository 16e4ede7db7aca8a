/**
 * Every call on an HSM node connection has a deadline (hsm-protocol connection.ts): a node process
 * stopped with SIGSTOP after the TLS handshake keeps its socket open and never answers — TCP itself
 * never times out a quiet connection (RFC 9293 §3.8.3). A call that names no timeout of its own
 * (as the CLI's `strongroom hsm …` commands and the dev stack's set-up calls do) must still fail,
 * typed, at the connection's `callTimeoutMs`; once the process continues the connection serves again.
 */
import { connectHsmNode } from '@strongroom/hsm-protocol';
import { StrongroomError } from '@strongroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, startProcCluster, type ProcCluster } from './test-cluster';

let c: ProcCluster;
beforeAll(async () => {
  c = await startProcCluster();
}, 120_000);
afterAll(async () => {
  for (const n of c?.nodes ?? []) if (n && !n.exited) process.kill(n.pid, 'SIGCONT');
  await c?.stopAll();
});

describe('a hung HSM node (SIGSTOPped hsm-local)', () => {
  it('a call without a timeout of its own ends at the connection deadline, typed; after SIGCONT the node answers again', async () => {
    const conn = await connectHsmNode({ url: c.urls[0]!, trustAnchor: c.info.trustAnchor, clientCert: c.info.clientCert, callTimeoutMs: 500 });
    try {
      await conn.call('login', { user: APP.user, password: APP.password }, { timeoutMs: 30_000 });
      const pid = c.nodes[0]!.pid;
      process.kill(pid, 'SIGSTOP');
      let error: unknown;
      const started = Date.now();
      try {
        error = await conn.call('key.find', {}).then(
          () => undefined,
          (e: unknown) => e,
        );
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      const elapsed = Date.now() - started;
      expect(StrongroomError.isInstance(error, 'PROVIDER_ERROR')).toBe(true);
      expect((error as StrongroomError).details).toMatchObject({ reason: 'CONNECTION', node: c.urls[0] });
      expect((error as Error).message).toMatch(/no answer to key\.find within 500 ms/);
      expect(elapsed).toBeGreaterThanOrEqual(495);
      expect(elapsed).toBeLessThan(15_000);
      // The node was only slow, not gone: the same connection serves the next call.
      expect(Array.isArray(await conn.call('key.find', {}, { timeoutMs: 30_000 }))).toBe(true);
    } finally {
      conn.close();
    }
  }, 60_000);

  it('refuses a deadline that is not a positive number', async () => {
    await expect(connectHsmNode({ url: c.urls[0]!, trustAnchor: c.info.trustAnchor, clientCert: c.info.clientCert, callTimeoutMs: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
