/**
 * The loaded client of cluster-across-hosts.test.ts, run inside the client's network namespace
 * (`ip netns exec <ns> node load-client.mjs`). It reads one JSON line of configuration on stdin
 * (cluster CA, client certificate, node URLs: secrets never on argv), then JSON-line commands;
 * it writes JSON-line events on stdout. It uses the built packages (dist), as an application would.
 *
 * Commands: {"cmd":"createKey","label":L} · {"cmd":"hasKey","url":U,"handle":H} · {"cmd":"stop"}
 * Events:   ready · progress {ops, failed, worstMs} · keyCreated {handle} · hasKey {present, error}
 *           summary {ops, failed, worstMs, p99Ms, errors} · error {message}
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { connectHsmNode } from '@strongroom/hsm-protocol';
import { connectHsmCluster } from '@strongroom/provider-hsm';

const emit = (event, v = {}) => process.stdout.write(`${JSON.stringify({ event, ...v })}\n`);
const lines = createInterface({ input: process.stdin });
const queue = [];
let wake;
lines.on('line', (l) => {
  queue.push(JSON.parse(l));
  wake?.();
});
lines.on('close', () => {
  queue.push({ cmd: 'stop' });
  wake?.();
});
async function next() {
  while (!queue.length) await new Promise((r) => (wake = r));
  return queue.shift();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function direct(cfg, url, user, password) {
  const conn = await connectHsmNode({ url, trustAnchor: cfg.trustAnchor, clientCert: cfg.clientCert, connectTimeoutMs: 3000 });
  try {
    await conn.call('login', { user, password }, { timeoutMs: 10_000 });
  } catch (e) {
    conn.close();
    throw e;
  }
  return conn;
}

/** Activate the admin and create the crypto user, then wait until every node lets it log in (replication). */
async function provision(cfg) {
  const admin = await connectHsmNode({ url: cfg.urls[0], trustAnchor: cfg.trustAnchor, clientCert: cfg.clientCert });
  await admin.callUnchecked('login', { user: 'admin', password: cfg.initialAdminPassword });
  await admin.callUnchecked('user.changePassword', { newPassword: cfg.adminPassword });
  await admin.call('user.create', { user: cfg.user, role: 'crypto-user', password: cfg.password });
  admin.close();
  for (const url of cfg.urls) {
    for (let i = 0; ; i++) {
      try {
        (await direct(cfg, url, cfg.user, cfg.password)).close();
        break;
      } catch (e) {
        if (i >= 100) throw new Error(`user never reached ${url}: ${e.message}`);
        await sleep(200);
      }
    }
  }
}

async function main() {
  const cfg = await next();
  await provision(cfg);
  const hsm = await connectHsmCluster({
    nodes: cfg.urls.map((url, i) => ({ url, az: cfg.azs[i] })),
    trustAnchor: cfg.trustAnchor, clientCert: cfg.clientCert, user: cfg.user, password: cfg.password,
    failoverTimeoutMs: 15_000,
  });
  const key = await hsm.generateAesKey({ label: 'netns-load', bits: 256 });
  const latencies = [];
  const errors = [];
  let ops = 0;
  let failed = 0;
  let worstMs = 0;
  let running = true;
  const aad = Buffer.from('netns');
  async function timed(fn) {
    const t0 = performance.now();
    try {
      return await fn();
    } catch (e) {
      failed++;
      if (errors.length < 10) errors.push(`${e.code ?? ''} ${e.message}`);
      return undefined;
    } finally {
      const ms = performance.now() - t0;
      ops++;
      latencies.push(ms);
      if (ms > worstMs) worstMs = ms;
    }
  }
  async function worker() {
    while (running) {
      const pt = randomBytes(32);
      const ct = await timed(() => hsm.aesGcmEncrypt(key, pt, aad));
      if (!ct) continue;
      const back = await timed(() => hsm.aesGcmDecrypt(key, { ...ct, aad }));
      if (back && !Buffer.from(back).equals(pt)) {
        failed++;
        if (errors.length < 10) errors.push('decrypt returned other bytes');
      }
    }
  }
  const workers = Array.from({ length: cfg.concurrency }, () => worker());
  const progress = setInterval(() => emit('progress', { ops, failed, worstMs: Math.round(worstMs) }), 250);
  emit('ready', { handle: key.handle });
  for (;;) {
    const c = await next();
    if (c.cmd === 'createKey') {
      try {
        const k = await hsm.generateAesKey({ label: c.label, bits: 256 });
        emit('keyCreated', { handle: k.handle });
      } catch (e) {
        emit('keyCreated', { handle: null, error: `${e.code ?? ''} ${e.message}` });
      }
    } else if (c.cmd === 'hasKey') {
      try {
        const conn = await direct(cfg, c.url, cfg.user, cfg.password);
        try {
          const k = await conn.call('key.getAttributes', { handle: c.handle }, { timeoutMs: 5000 });
          emit('hasKey', { present: k.handle === c.handle, error: null });
        } finally {
          conn.close();
        }
      } catch (e) {
        emit('hasKey', { present: false, error: `${e.code ?? ''} ${e.message}` });
      }
    } else if (c.cmd === 'stop') {
      running = false;
      await Promise.all(workers);
      clearInterval(progress);
      latencies.sort((a, b) => a - b);
      const p99Ms = latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] : 0;
      emit('summary', { ops, failed, worstMs: Math.round(worstMs), p99Ms: Math.round(p99Ms), errors, health: hsm.health() });
      await hsm.close();
      lines.close();
      return;
    }
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    emit('error', { message: `${e.code ?? ''} ${e.stack ?? e.message}` });
    process.exit(1);
  },
);
