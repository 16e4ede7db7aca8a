// Checks that the web build (dist/web*.mjs) runs without Node: no import of a `node:` module (or of a
// bare Node built-in), no `require`, and no reference to the `Buffer` or `process` globals. It reads
// the code through a parser (ECMAScript syntax tree, https://tc39.es/ecma262/), so comments and
// strings that merely mention these names do not count. Run after tsdown (npm run build); exits 1
// and names each finding otherwise. `node check-web-build.mjs <package dir>` checks another package's
// web build (provider-kms and s3 run it on theirs). The core test suite runs the same check (test/web-build.test.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAst } from 'rolldown/parseAst';

const FORBIDDEN_GLOBALS = new Set(['Buffer', 'process', 'require', 'global', '__dirname', '__filename', 'setImmediate']);
const NODE_BUILTINS = new Set(builtinModules);

/** Findings in one file's code: `file:offset what`. */
export function checkWebCode(code, file) {
  const findings = [];
  const visit = (node, parent, key) => {
    if (!node || typeof node.type !== 'string') return;
    const source = node.source;
    if (source && source.type === 'Literal' && typeof source.value === 'string') {
      const spec = source.value;
      if (spec.startsWith('node:') || NODE_BUILTINS.has(spec) || NODE_BUILTINS.has(spec.split('/')[0])) findings.push(`${file}:${node.start} imports "${spec}"`);
    }
    if (node.type === 'Identifier' && FORBIDDEN_GLOBALS.has(node.name)) {
      const isPropertyName = (parent?.type === 'MemberExpression' && key === 'property' && !parent.computed) || (parent?.type === 'Property' && key === 'key' && !parent.computed);
      if (!isPropertyName) findings.push(`${file}:${node.start} uses the Node global "${node.name}"`);
    }
    for (const [k, v] of Object.entries(node)) {
      if (Array.isArray(v)) for (const child of v) visit(child, node, k);
      else if (v && typeof v === 'object') visit(v, node, k);
    }
  };
  // A local binding named like one of these globals is reported too: rename it rather than exempt it.
  visit(parseAst(code, { sourceType: 'module' }, file), undefined, undefined);
  return findings;
}

/** Every finding in dist/web*.mjs of the package at `root`. */
export function checkWebBuild(root) {
  const dist = join(root, 'dist');
  const files = readdirSync(dist).filter((f) => /^web.*\.mjs$/.test(f));
  if (!files.includes('web.mjs')) return [`${dist}/web.mjs is missing: run npm run build`];
  return files.flatMap((f) => checkWebCode(readFileSync(join(dist, f), 'utf8'), f));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..');
  const findings = checkWebBuild(root);
  if (findings.length > 0) {
    console.error(`The web build must run without Node (no node: imports, no Buffer/process/require):\n  ${findings.join('\n  ')}`);
    process.exit(1);
  }
}
