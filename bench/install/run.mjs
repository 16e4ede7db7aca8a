// bench/install: what `npm install` puts on disk for a user of Strongroom, next to the AWS Encryption SDK
// for JavaScript, measured in the same run. Packs the published workspace packages (`npm pack`), installs
// each set of tarballs into a fresh temporary project outside the workspace (`npm install --prefer-offline
// --no-audit --no-fund`, so it runs offline from the npm cache where it can) and prints the bytes under
// node_modules. Peer dependencies are left out (`--legacy-peer-deps`: npm then installs no peers), because
// a user of @strongroom/s3 or provider-kms has the AWS SDK client already. Build first: `npm run build`.
//
//   node bench/install/run.mjs [--json]
//
// Goal (issue 16): @strongroom/core + @strongroom/s3 ≤ 0.5 MB without peers.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const json = process.argv.includes('--json');
const GOAL_BYTES = 500_000;

const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'INIT_CWD'));
const npm = (args, cwd) => execFileSync('npm', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const versionOf = (name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;

/** Bytes of every file under `dir` (apparent size; symlinks counted as links, not followed) and the package count. */
function measure(dir) {
  let bytes = 0;
  const packages = new Set();
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else bytes += lstatSync(p).size;
    }
  };
  walk(dir);
  const count = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      if (e.name.startsWith('@')) {
        for (const s of readdirSync(join(d, e.name))) {
          packages.add(`${e.name}/${s}`);
          if (existsSync(join(d, e.name, s, 'node_modules'))) count(join(d, e.name, s, 'node_modules'));
        }
      } else {
        packages.add(e.name);
        if (existsSync(join(d, e.name, 'node_modules'))) count(join(d, e.name, 'node_modules'));
      }
    }
  };
  count(dir);
  return { bytes, packages: [...packages].sort() };
}

const published = readdirSync(join(root, 'packages'))
  .filter((d) => existsSync(join(root, 'packages', d, 'package.json')))
  .map((d) => ({ dir: d, manifest: JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8')) }))
  .filter((p) => !p.manifest.private);
for (const p of published) {
  if (!existsSync(join(root, 'packages', p.dir, 'dist'))) {
    console.error(`bench/install: packages/${p.dir}/dist is missing: run npm run build first`);
    process.exit(1);
  }
}

const base = realpathSync(mkdtempSync(join(tmpdir(), 'strongroom-bench-install-')));
try {
  const packsDir = join(base, 'packs');
  mkdirSync(packsDir);
  const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', packsDir, ...published.flatMap((p) => ['-w', `packages/${p.dir}`])], root));
  const tgz = Object.fromEntries(packed.map((p) => [p.name, join(packsDir, p.filename)]));
  const esdk = `@aws-crypto/client-node@${versionOf('@aws-crypto/client-node')}`;

  const scenarios = [
    { name: '@strongroom/core', specs: [tgz['@strongroom/core']] },
    { name: '@strongroom/core + @strongroom/s3', specs: [tgz['@strongroom/core'], tgz['@strongroom/s3']], goal: GOAL_BYTES },
    { name: '@strongroom/core + @strongroom/provider-kms', specs: [tgz['@strongroom/core'], tgz['@strongroom/provider-kms']] },
    { name: esdk, specs: [esdk] },
  ];
  const results = [];
  for (const s of scenarios) {
    const dir = join(base, `p${results.length}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench-install', version: '1.0.0', private: true }));
    npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--legacy-peer-deps', '--loglevel=error', ...s.specs], dir);
    const m = measure(join(dir, 'node_modules'));
    results.push({ name: s.name, bytes: m.bytes, packages: m.packages.length, list: m.packages, ...(s.goal ? { goal: s.goal, met: m.bytes <= s.goal } : {}) });
  }

  if (json) {
    process.stdout.write(`${JSON.stringify({ node: process.version, date: new Date().toISOString(), results }, null, 2)}\n`);
  } else {
    const esdkBytes = results.at(-1).bytes;
    console.log('Installed size without peers (node_modules, apparent bytes), same run:\n');
    console.log(`${'install'.padEnd(46)} ${'bytes'.padStart(11)} ${'MB'.padStart(7)} ${'packages'.padStart(8)}  vs ESDK`);
    for (const r of results) {
      console.log(`${r.name.padEnd(46)} ${String(r.bytes).padStart(11)} ${(r.bytes / 1e6).toFixed(2).padStart(7)} ${String(r.packages).padStart(8)}  ${(r.bytes / esdkBytes).toFixed(3)}×`);
    }
    for (const r of results.filter((x) => x.goal)) {
      console.log(`\ngoal: ${r.name} ≤ ${r.goal / 1e6} MB: ${r.met ? 'met' : 'NOT met'} (${(r.bytes / 1e6).toFixed(3)} MB)`);
    }
    for (const r of results) console.log(`\n${r.name}: ${r.list.join(', ')}`);
  }
  process.exitCode = results.every((r) => r.met !== false) ? 0 : 1;
} finally {
  rmSync(base, { recursive: true, force: true });
}
