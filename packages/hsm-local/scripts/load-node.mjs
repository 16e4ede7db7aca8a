// Measure raw node throughput with the low-level client (built dist): one node, N pipelined
// requests in flight. Usage: node scripts/load-node.mjs [--cpu-prof-node] [seconds] [concurrency]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectHsmNode } from '@strongroom/hsm-protocol';
import { initCluster } from '../dist/index.mjs';

const prof = process.argv.includes('--cpu-prof-node');
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const secs = Number(args[0] ?? 3);
const conc = Number(args[1] ?? 64);
const tmp = mkdtempSync(join(tmpdir(), 'hsm-load-'));
const info = await initCluster({ dir: join(tmp, 'c'), nodes: [{ az: 'a' }], initialAdminPassword: 'initial-pw-1' });
const child = spawn(process.execPath, [...(prof ? ['--cpu-prof', '--cpu-prof-dir', tmp] : []), new URL('../dist/cli.mjs', import.meta.url).pathname, 'node', '--data-dir', info.nodes[0].dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((r) => child.stdout.once('data', (d) => r(JSON.parse(String(d)).url)));
const admin = await connectHsmNode({ url, trustAnchor: info.trustAnchor, clientCert: info.clientCert });
await admin.call('login', { user: 'admin', password: 'initial-pw-1' });
await admin.call('user.changePassword', { newPassword: 'admin-password-1' });
await admin.call('user.create', { user: 'app', role: 'crypto-user', password: 'app-password-1' });
const conn = await connectHsmNode({ url, trustAnchor: info.trustAnchor, clientCert: info.clientCert });
await conn.call('login', { user: 'app', password: 'app-password-1' });
const { key } = await conn.call('key.generate', { type: 'aes', bits: 256, template: { label: 'k' } });
const aad = Buffer.from('ctx');
let n = 0;
let stop = false;
const worker = async () => {
  while (!stop) {
    const { bytes } = await conn.call('random', { length: 32 });
    const w = await conn.call('aes.gcmEncrypt', { handle: key.handle, plaintext: bytes, aad });
    await conn.call('aes.gcmDecrypt', { handle: key.handle, ...w, aad });
    n++;
  }
};
const t0 = performance.now();
const ws = Array.from({ length: conc }, worker);
await new Promise((r) => setTimeout(r, secs * 1000));
stop = true;
await Promise.all(ws);
const s = (performance.now() - t0) / 1000;
console.log(`single node: ${(n / s).toFixed(0)} data-key ops/s (${((3 * n) / s).toFixed(0)} requests/s), concurrency ${conc}`);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
if (prof) console.log(`profile in ${tmp}`);
else rmSync(tmp, { recursive: true, force: true });
process.exit(0);
