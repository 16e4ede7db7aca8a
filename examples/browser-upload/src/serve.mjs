#!/usr/bin/env node
/**
 * Serves the browser-upload page on http://localhost:5173 (the origin `strongroom dev` allows by
 * default, see docs/cli.md `--cors`): page/index.html, page/app.mjs bundled for the browser by
 * rolldown (https://rolldown.rs) with the `browser` export conditions — so @strongroom/core's web
 * entry and the AWS SDK's browser builds — and /config.json, the endpoints, key ARN and dev
 * credentials from the dev stack's dev.json. Development only: it hands the dev stack's credentials
 * to any page on this origin.
 *
 *   node examples/browser-upload/src/serve.mjs [--config DIR/dev.json] [--port 5173]
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { rolldown } from 'rolldown';

const PAGE = join(dirname(fileURLToPath(import.meta.url)), '..', 'page');

/** Bundle page/app.mjs for the browser; refuses a bundle that still imports a `node:` module. */
export async function buildPage() {
  const build = await rolldown({
    input: join(PAGE, 'app.mjs'),
    platform: 'browser',
    resolve: { conditionNames: ['browser', 'import', 'module', 'default'] },
    external: (id) => id.startsWith('node:'),
    logLevel: 'silent',
  });
  try {
    const { output } = await build.generate({ format: 'esm', codeSplitting: false, minify: true });
    const chunk = output.find((o) => o.type === 'chunk');
    const builtins = chunk.imports.filter((i) => i.startsWith('node:'));
    if (builtins.length > 0) throw new Error(`the page's bundle imports ${builtins.join(', ')}: a browser has no such module (does @strongroom/core resolve to its web entry?)`);
    return chunk.code;
  } finally {
    await build.close();
  }
}

/** What the page needs from dev.json (see packages/cli dev-config.ts). */
export function pageConfig(dev) {
  return {
    kms: { endpoint: dev.kms.endpoint, region: dev.kms.region, keyArn: dev.kms.keyArn, credentials: { accessKeyId: dev.kms.accessKeyId, secretAccessKey: dev.kms.secretAccessKey } },
    s3: { endpoint: dev.s3.endpoint, region: dev.s3.region, bucket: dev.s3.bucket, credentials: { accessKeyId: dev.s3.accessKeyId, secretAccessKey: dev.s3.secretAccessKey } },
  };
}

/**
 * Serve the page on host:port (127.0.0.1:5173 by default; 0 picks a free port). `devConfig` is the
 * parsed dev.json, or a function returning it when asked (so the page's origin can be known before
 * the dev stack starts with it allowed).
 */
export async function startPageServer({ devConfig, port = 5173, host = '127.0.0.1' }) {
  const app = await buildPage();
  const html = readFileSync(join(PAGE, 'index.html'));
  const files = new Map([
    ['/', ['text/html; charset=utf-8', () => html]],
    ['/app.mjs', ['text/javascript; charset=utf-8', () => app]],
    ['/config.json', ['application/json', () => JSON.stringify(pageConfig(typeof devConfig === 'function' ? devConfig() : devConfig))]],
  ]);
  const server = createServer((req, res) => {
    const file = req.method === 'GET' ? files.get(new URL(req.url ?? '/', 'http://x').pathname) : undefined;
    if (!file) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    res.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).end(file[1]());
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const bound = server.address().port;
  return { url: `http://${host === '127.0.0.1' ? 'localhost' : host}:${bound}/`, port: bound, close: () => new Promise((resolve) => server.close(resolve)) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { config: { type: 'string' }, port: { type: 'string', default: '5173' } } });
  const configPath = values.config ?? process.env.STRONGROOM_CONFIG ?? join(homedir(), '.config', 'strongroom', 'dev.json');
  let devConfig;
  try {
    devConfig = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (e) {
    process.stderr.write(`browser-upload: cannot read ${configPath} (${e.code ?? e.message}): start the dev stack first (npx strongroom dev), or pass --config DIR/dev.json\n`);
    process.exit(2);
  }
  const page = await startPageServer({ devConfig, port: Number(values.port) });
  process.stdout.write(`browser-upload: open ${page.url} (strongroom dev allows this origin by default; Ctrl-C stops)\n`);
}
