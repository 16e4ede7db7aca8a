// In-process A/B of two builds of @strongroom/core on the 1 KiB cached path (suite 0x0478): both
// loaded in one process, interleaved rounds (the order alternating), rates per CPU-second of the
// process, so a slow stretch of a shared VM moves both sides of each round. Prints the median of the
// per-round ratios B / A. Usage (each path a built dist/index.mjs, e.g. copied aside before a change):
//   node bench/core/ab-small.mjs /tmp/before/index.mjs packages/core/dist/index.mjs
// env: BENCH_ROUNDS (default 21), BENCH_N (messages per measurement, default 3000).
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from '../lib/measure.mjs';
import { cachedClientOf } from '../lib/strongroom.mjs';

const [pathA, pathB] = process.argv.slice(2);
if (!pathA || !pathB) {
  console.error('usage: node bench/core/ab-small.mjs <build A index.mjs> <build B index.mjs>');
  process.exit(2);
}
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 21);
const N = Number(process.env.BENCH_N ?? 3000);
const builds = await Promise.all([pathA, pathB].map((p) => import(pathToFileURL(resolve(p)).href)));
const key = randomBytes(32);
const kib = randomBytes(1024);
const context = { tenant: 'bench' };
const clients = builds.map((core) => cachedClientOf(core, key, 0x0478));
const messages = await Promise.all(clients.map(async (c) => (await c.encrypt(kib, { encryptionContext: context })).ciphertext));

async function perCpuSecond(op) {
  const before = process.cpuUsage();
  for (let i = 0; i < N; i++) await op();
  const used = process.cpuUsage(before);
  return N / ((used.user + used.system) / 1e6);
}

const ratios = { encrypt: [], decrypt: [] };
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? [0, 1] : [1, 0];
  const enc = [];
  const dec = [];
  for (const i of order) enc[i] = await perCpuSecond(() => clients[i].encrypt(kib, { encryptionContext: context }));
  for (const i of order) dec[i] = await perCpuSecond(() => clients[i].decrypt(messages[i]));
  ratios.encrypt.push(enc[1] / enc[0]);
  ratios.decrypt.push(dec[1] / dec[0]);
}
for (const [name, r] of Object.entries(ratios)) {
  console.log(`1 KiB ${name}, cached, 0x0478: B / A per CPU-second ${median(r).toFixed(3)} (median of ${ROUNDS} rounds; range ${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)})`);
}
