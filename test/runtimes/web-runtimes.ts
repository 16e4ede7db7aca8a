/**
 * The runtimes without a file system, which run one bundled script (bundle.ts): workerd (npm
 * `workerd`, driven by `miniflare` under Node 22 — miniflare 4 needs Node ≥ 22) and Chromium (Debian's
 * `chromium`, driven by `playwright-core` over the DevTools protocol: https://playwright.dev/docs/api/class-browsertype).
 * The check's request goes in as JSON, the answer comes back as JSON.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, HERE, ROOT } from './install';

export interface WebRuntime {
  readonly name: string;
  readonly label: string;
  /** Export conditions the runtime's bundlers use, in order. */
  readonly conditions: readonly string[];
  probe(): { version?: string; problem?: string };
  /** Run the bundle with this request (JSON) and return the answer (JSON). */
  run(bundle: string, request: string, work: string): Promise<string>;
}

const NODE22 = join(HERE, 'node', 'node_modules', 'node22', 'bin', 'node');
const WORKERD = join(ROOT, 'node_modules', 'workerd', 'bin', 'workerd');
export const CHROMIUM = '/usr/bin/chromium';
/** Headless, offline, no profile state: only the page under test talks to anything. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const workerd: WebRuntime = {
  name: 'workerd',
  label: 'workerd (Cloudflare Workers, via miniflare)',
  conditions: ['workerd', 'worker', 'browser', 'import', 'default'],
  probe() {
    if (!existsSync(WORKERD)) return { problem: `workerd: ${WORKERD} is missing — npm ci installs it (root devDependency \`workerd\`)` };
    if (!existsSync(join(ROOT, 'node_modules', 'miniflare', 'package.json'))) return { problem: 'workerd: miniflare is missing — npm ci installs it (root devDependency `miniflare`)' };
    if (!existsSync(NODE22)) return { problem: `workerd: miniflare needs Node ≥ 22 and ${NODE22} is missing — npm ci --prefix test/runtimes/node --no-bin-links` };
    const r = spawnSync(WORKERD, ['--version'], { encoding: 'utf8', env: cleanEnv(), timeout: 60_000 });
    if (r.status !== 0) return { problem: `workerd: \`workerd --version\` failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.slice(0, 500)}` };
    return { version: r.stdout.trim() };
  },
  async run(bundle, request, work) {
    const requestFile = join(work, 'workerd.request.json');
    const answerFile = join(work, 'workerd.answer.json');
    writeFileSync(requestFile, request);
    const r = spawnSync(NODE22, [join(HERE, 'run-workerd.mjs'), bundle, requestFile, answerFile], { cwd: HERE, encoding: 'utf8', env: cleanEnv(), timeout: 600_000 });
    if (r.status !== 0) throw new Error(`workerd (miniflare) exited ${r.status ?? r.signal}: ${r.error?.message ?? ''}\n${r.stderr.slice(-4000)}`);
    return readFileSync(answerFile, 'utf8');
  },
};

/** Serve the bundle as a page on 127.0.0.1 (a module script needs http(s), not file:). */
async function servePage(bundle: string): Promise<{ url: string; close(): Promise<void> }> {
  const html = '<!doctype html><meta charset="utf-8"><title>strongroom runtime check</title><script type="module" src="/check.mjs"></script>';
  const server = createServer((req, res) => {
    if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    else if (req.url === '/check.mjs') res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(bundle));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const chromium: WebRuntime = {
  name: 'chromium',
  label: 'Chromium (headless, Debian package)',
  conditions: ['browser', 'import', 'module', 'default'],
  probe() {
    if (!existsSync(CHROMIUM)) return { problem: `Chromium: ${CHROMIUM} is missing — apt-get install chromium (scripts/install-system-packages.sh)` };
    const r = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8', env: cleanEnv(), timeout: 60_000 });
    if (r.status !== 0) return { problem: `Chromium: \`chromium --version\` failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.slice(0, 500)}` };
    return { version: r.stdout.trim() };
  },
  async run(bundle, request, work) {
    const { chromium: browserType } = await import('playwright-core');
    const page = await servePage(bundle);
    const context = await browserType.launchPersistentContext(mkdtempSync(join(work, 'chromium-profile-')), {
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS, '--enable-precise-memory-info', '--js-flags=--expose-gc'],
    });
    try {
      const tab = await context.newPage();
      const errors: string[] = [];
      tab.on('pageerror', (e) => errors.push(e.message));
      await tab.goto(page.url);
      await tab.waitForFunction(() => typeof (globalThis as { runStrongroomChecks?: unknown }).runStrongroomChecks === 'function', undefined, { timeout: 60_000 }).catch(() => {
        throw new Error(`the page did not load the check: ${errors.join('; ') || 'no error reported'}`);
      });
      return await tab.evaluate((json) => (globalThis as unknown as { runStrongroomChecks(j: string): Promise<string> }).runStrongroomChecks(json), request);
    } finally {
      await context.close();
      await page.close();
    }
  },
};

export const WEB_RUNTIMES: readonly WebRuntime[] = [workerd, chromium];
