/**
 * Streaming throughput of @strongroom/core's Web Crypto build in headless Chromium against its
 * node:crypto build in Node, same machine, same run: `BENCH_STREAM_MIB` MiB (default 64) encrypted and
 * decrypted as one stream pipeline, `BENCH_TRIALS` trials (default 3), median MiB/s, at frame lengths
 * `BENCH_FRAME_LENGTHS` (default 65536). In Chromium also the ceiling under the stream: the same frames
 * sealed and opened by bare `crypto.subtle` calls, one at a time. The page is stream-app.mjs bundled by
 * rolldown with the `browser` conditions; Chromium is Debian's, driven by playwright-core. With
 * `BENCH_POOL_SIZE` > 0 (default 2) the same round trip also runs through a worker pool of that size on
 * both sides (Web Workers in Chromium, worker_threads in Node), in the same trials, against each side's
 * one-thread figure.
 */
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';
import { closePools, streamRoundTrip } from './stream-app.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const MIB = Number(process.env.BENCH_STREAM_MIB ?? 64);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 3);
const FRAMES = (process.env.BENCH_FRAME_LENGTHS ?? '65536').split(',').map(Number);
const POOL = Number(process.env.BENCH_POOL_SIZE ?? 2);
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const build = await rolldown({ input: join(here, 'stream-app.mjs'), platform: 'browser', resolve: { conditionNames: ['browser', 'import', 'default'] }, logLevel: 'silent' });
const { output } = await build.generate({ format: 'esm', codeSplitting: false });
await build.close();
const bundle = output.find((o) => o.type === 'chunk').code;
const server = createServer((req, res) => {
  if (req.url === '/app.mjs') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
  res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script type="module" src="/app.mjs"></script>');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const profile = mkdtempSync(join(tmpdir(), 'bench-web-'));
const { chromium } = await import('playwright-core');
const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS });
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => typeof globalThis.streamRoundTrip === 'function');
  const version = browser.browser()?.version() ?? 'Chromium';
  console.log(`streamed encrypt → decrypt of ${MIB} MiB, median of ${TRIALS} trials, MiB/s (higher is better)`);
  for (const frame of FRAMES) {
    const web = [];
    const raw = [];
    const node = [];
    const webPool = [];
    const nodePool = [];
    for (let t = 0; t < TRIALS; t++) {
      web.push(await page.evaluate(([m, f]) => globalThis.streamRoundTrip(m, f), [MIB, frame]));
      raw.push(await page.evaluate(([m, f]) => globalThis.rawWebCrypto(m, f), [MIB, frame]));
      node.push(await streamRoundTrip(MIB, frame));
      if (POOL > 0) {
        webPool.push(await page.evaluate(([m, f, p]) => globalThis.streamRoundTrip(m, f, p), [MIB, frame, POOL]));
        nodePool.push(await streamRoundTrip(MIB, frame, POOL));
      }
    }
    const rate = (ms) => (MIB / (median(ms) / 1000)).toFixed(1);
    console.log(
      `  frame ${String(frame).padStart(7)}: Chromium ${version} Web Crypto ${rate(web).padStart(7)} (bare crypto.subtle calls ${rate(raw).padStart(7)}, ` +
        `stream / bare ${(median(raw) / median(web)).toFixed(2)})   Node ${process.versions.node} node:crypto ${rate(node).padStart(7)}   Chromium / Node ${(median(node) / median(web)).toFixed(2)}`,
    );
    if (POOL > 0) {
      console.log(
        `  frame ${String(frame).padStart(7)}, pool of ${POOL}: Chromium Web Workers ${rate(webPool).padStart(7)} (pool / one thread ${(median(web) / median(webPool)).toFixed(2)})   ` +
          `Node worker_threads ${rate(nodePool).padStart(7)} (pool / one thread ${(median(node) / median(nodePool)).toFixed(2)})`,
      );
    }
  }
} finally {
  await closePools();
  await browser.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
