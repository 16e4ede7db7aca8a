/**
 * Where the up-front bytes of bench/bundle's Strongroom app come from: the same app (apps/strongroom.mjs)
 * bundled by rolldown from core's sources (`@strongroom/core` resolved to packages/core/src/web.ts), the
 * same settings as run.mjs, then each source module loaded up front (the entry chunk and the chunks it
 * imports statically) minified on its own (so the sum is a
 * little above the real minified size: names exported between modules stay unmangled). Prints each
 * module's minified bytes and share, largest first, and the share of string literals in the real minified
 * entry. A diagnostic for deciding what to move out of the minimal path; run.mjs is the measurement.
 */
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';
import { minifySync, parseSync } from 'rolldown/experimental';

const here = dirname(fileURLToPath(import.meta.url));
const webSource = join(here, '..', '..', 'packages', 'core', 'src', 'web.ts');

async function generate(minify) {
  const build = await rolldown({
    input: join(here, 'apps', 'strongroom.mjs'),
    platform: 'browser',
    resolve: { conditionNames: ['browser', 'import', 'module', 'default'] },
    external: (id) => id.startsWith('node:'),
    logLevel: 'silent',
    plugins: [{ name: 'core-from-source', resolveId: (id) => (id === '@strongroom/core' ? webSource : undefined) }],
  });
  try {
    // What loads up front: the entry chunk and the chunks it imports statically (as run.mjs counts),
    // as one chunk-like object.
    const chunks = new Map((await build.generate({ format: 'esm', minify })).output.filter((o) => o.type === 'chunk').map((c) => [c.fileName, c]));
    const upFront = [];
    const visit = (name) => {
      const c = chunks.get(name);
      if (!c || upFront.includes(c)) return;
      upFront.push(c);
      for (const i of c.imports) visit(i);
    };
    for (const c of chunks.values()) if (c.isEntry) visit(c.fileName);
    return { code: upFront.map((c) => c.code).join('\n'), modules: Object.assign({}, ...upFront.map((c) => c.modules)) };
  } finally {
    await build.close();
  }
}

function stringBytes(code) {
  let total = 0;
  const visit = (node) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    if ((node.type === 'Literal' && typeof node.value === 'string') || node.type === 'TemplateElement') total += node.end - node.start;
    for (const key in node) visit(node[key]);
  };
  visit(parseSync('entry.js', code).program);
  return total;
}

const [plain, minified] = [await generate(false), await generate(true)];
const rows = Object.entries(plain.modules)
  .filter(([, m]) => m.code)
  .map(([id, m]) => [minifySync('m.js', m.code, { compress: true, mangle: { toplevel: true } }).code.length, id.replace(/.*\/packages\/core\/src\//, '').replace(/.*\/bench\/bundle\//, '')])
  .sort((a, b) => b[0] - a[0]);
const sum = rows.reduce((n, [bytes]) => n + bytes, 0);
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`up front (entry and its static imports) from core's sources: ${kib(minified.code.length)} min, ${kib(gzipSync(minified.code, { level: 9 }).length)} min+gzip; string literals ${kib(stringBytes(minified.code))} of the minified code`);
console.log(`per module, each minified alone (sum ${kib(sum)}):`);
for (const [bytes, id] of rows) console.log(`  ${String(bytes).padStart(6)} ${((100 * bytes) / sum).toFixed(1).padStart(5)} %  ${id}`);
