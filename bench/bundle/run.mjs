/**
 * Bundle size of a minimal browser app — encrypt and decrypt with a raw AES key — built with Strongroom
 * (@strongroom/core, its browser entry) and with @aws-crypto/client-browser, by the same bundler in the
 * same run: rolldown (https://rolldown.rs, already installed through tsdown), platform `browser`,
 * ESM, minified; then gzip -9 (node:zlib). Prints bytes minified and min+gzip, and the ratio
 * (issue 12's goal: Strongroom ≤ 1/5 of the ESDK). Exits 1 when a bundle cannot be built (e.g. a
 * `node:` import reaching the browser build). `--json` prints the numbers as JSON.
 */
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const here = dirname(fileURLToPath(import.meta.url));
const APPS = [
  { name: 'Strongroom (@strongroom/core, createClient)', input: join(here, 'apps', 'strongroom.mjs') },
  { name: 'AWS Encryption SDK (@aws-crypto/client-browser)', input: join(here, 'apps', 'esdk.mjs') },
  // A lower bound, not an API: the same round trip from core's sources without the client (see the file).
  { name: 'lower bound: core without its client', input: join(here, 'apps', 'no-client.mjs') },
  // The same app with the stream functions alone (no client): what an app that needs no cache or pool ships.
  { name: 'Strongroom (@strongroom/core/streams)', input: join(here, 'apps', 'streams.mjs') },
];

async function bundle(input) {
  const build = await rolldown({
    input,
    platform: 'browser',
    resolve: { conditionNames: ['browser', 'import', 'module', 'default'] },
    // Left as imports, then refused below: a Node built-in in a browser bundle is a failure, not something to shim.
    external: (id) => id.startsWith('node:'),
    logLevel: 'silent',
  });
  try {
    // Code splitting on, as an app ships: what loads up front is the entry chunk and the chunks it
    // imports statically; chunks behind a dynamic import() (e.g. core's @noble/curves signer, used
    // only for the signed suites) load only when used and are reported apart.
    const { output } = await build.generate({ format: 'esm', minify: true });
    const chunks = new Map(output.filter((o) => o.type === 'chunk').map((c) => [c.fileName, c]));
    const builtins = [...new Set([...chunks.values()].flatMap((c) => c.imports).filter((id) => id.startsWith('node:')))];
    if (builtins.length > 0) throw new Error(`the browser build imports ${builtins.join(', ')} (no web entry resolved)`);
    const upFront = new Set();
    const visit = (name) => {
      if (upFront.has(name) || !chunks.has(name)) return;
      upFront.add(name);
      for (const i of chunks.get(name).imports) visit(i);
    };
    for (const c of chunks.values()) if (c.isEntry) visit(c.fileName);
    const code = [...upFront].map((n) => chunks.get(n).code).join('\n');
    const lazy = [...chunks.values()].filter((c) => !upFront.has(c.fileName));
    const lazyCode = lazy.map((c) => c.code).join('\n');
    // Largest contributors up front, by package (rendered bytes before minification).
    const byPackage = new Map();
    for (const n of upFront) {
      for (const [id, m] of Object.entries(chunks.get(n).modules)) {
        const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(id.replace(/.*node_modules\/(?=.*node_modules\/)/, ''))?.[1] ?? (id.includes('/packages/core/') ? '@strongroom/core' : 'app');
        byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + m.renderedLength);
      }
    }
    const top = [...byPackage].sort((x, y) => y[1] - x[1]).slice(0, 6);
    return {
      min: Buffer.byteLength(code),
      gzip: gzipSync(code, { level: 9 }).length,
      lazyMin: Buffer.byteLength(lazyCode),
      lazyGzip: lazy.length ? gzipSync(lazyCode, { level: 9 }).length : 0,
      top,
    };
  } finally {
    await build.close();
  }
}

const results = [];
let failed = false;
for (const app of APPS) {
  try {
    results.push({ ...app, ...(await bundle(app.input)) });
  } catch (e) {
    failed = true;
    results.push({ ...app, error: e.message.split('\n')[0] });
  }
}
const [ours, esdk, bare, functions] = results;
const ratio = ours.gzip && esdk.gzip ? ours.gzip / esdk.gzip : undefined;
const bareRatio = bare.gzip && esdk.gzip ? bare.gzip / esdk.gzip : undefined;
const functionsRatio = functions.gzip && esdk.gzip ? functions.gzip / esdk.gzip : undefined;
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ results, ratio, streamsRatio: functionsRatio, lowerBoundRatio: bareRatio }, null, 2));
} else {
  const kb = (n) => (n === undefined ? '—' : `${(n / 1024).toFixed(1)} KiB`);
  console.log('bundle: minimal encrypt+decrypt app, raw AES key, rolldown platform=browser, minified, gzip -9; loaded up front (entry + static imports)');
  for (const r of results) {
    console.log(`  ${r.name.padEnd(50)} ${r.error ? `FAILED: ${r.error}` : `${kb(r.min).padStart(10)} min  ${kb(r.gzip).padStart(9)} min+gzip`}`);
    if (r.lazyMin) console.log(`    + loaded on demand (dynamic import): ${kb(r.lazyMin)} min, ${kb(r.lazyGzip)} min+gzip`);
    if (r.top) console.log(`    up front by package (rendered, before minify): ${r.top.map(([p, n]) => `${p} ${kb(n)}`).join(', ')}`);
  }
  const verdict = (r) => `${r.toFixed(3)} (1/${(1 / r).toFixed(1)}; goal ≤ 1/5: ${r <= 0.2 ? 'met' : 'NOT met'})`;
  if (ratio !== undefined) console.log(`  ratio Strongroom createClient / ESDK (min+gzip): ${verdict(ratio)}`);
  if (functionsRatio !== undefined) console.log(`  ratio Strongroom stream functions / ESDK (min+gzip): ${verdict(functionsRatio)}`);
  if (bareRatio !== undefined) console.log(`  ratio lower bound / ESDK (min+gzip): ${bareRatio.toFixed(3)} (what the message machinery alone weighs; the client adds the rest)`);
}
process.exit(failed ? 1 : 0);
