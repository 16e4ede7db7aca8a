/**
 * Adapter for the runtimes with a file system and a `process` global (Node, Deno, Bun — Deno and Bun
 * through their Node compatibility: https://docs.deno.com/runtime/fundamentals/node/,
 * https://bun.sh/docs/runtime/nodejs-apis). Copied next to the installed packages and run there, so
 * `@strongroom/core` resolves to the packed build exactly as the runtime resolves it for a user.
 *
 *   <runtime> run-server-runtime.mjs <runtime-name> <write|read> <workdir>
 *
 * Reads <workdir>/fixtures.json; phase "write" also writes <workdir>/cross/<runtime>.*.bin; phase
 * "read" opens every file in <workdir>/cross. The result is written to <workdir>/results/<runtime>.<phase>.json.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runChecks } from './check.mjs';

const [runtime, phase, workdir] = process.argv.slice(2);
const core = await import('@strongroom/core');
const streams = await import('@strongroom/core/streams');
const fixtures = JSON.parse(readFileSync(join(workdir, 'fixtures.json'), 'utf8'));

function describeRuntime() {
  if (globalThis.Deno) return { runtime: 'Deno', version: globalThis.Deno.version.deno, engine: `V8 ${globalThis.Deno.version.v8}` };
  if (globalThis.Bun) return { runtime: 'Bun', version: globalThis.Bun.version, engine: 'JavaScriptCore' };
  return { runtime: 'Node.js', version: process.versions.node, engine: `V8 ${process.versions.v8}` };
}
const memory = {
  kind: 'heap + external after GC',
  collects: true,
  read() {
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  },
  rss: () => process.memoryUsage().rss,
  gc() {
    if (globalThis.Bun) globalThis.Bun.gc(true);
    else if (typeof globalThis.gc === 'function') globalThis.gc();
  },
};

const crossDir = join(workdir, 'cross');
mkdirSync(crossDir, { recursive: true });
const messages = {};
if (phase === 'read') for (const file of readdirSync(crossDir).sort()) messages[file] = new Uint8Array(readFileSync(join(crossDir, file)));

const started = Date.now();
const result = await runChecks(core, fixtures, { runtime, phase, memory, messages, streams });
for (const [file, bytes] of Object.entries(result.written ?? {})) writeFileSync(join(crossDir, file), bytes);
delete result.written;
mkdirSync(join(workdir, 'results'), { recursive: true });
writeFileSync(
  join(workdir, 'results', `${runtime}.${phase}.json`),
  JSON.stringify({ ...describeRuntime(), entry: import.meta.resolve ? import.meta.resolve('@strongroom/core') : '', seconds: (Date.now() - started) / 1000, ...result }, null, 2),
);
process.exit(0);
