/**
 * Entry of the bundles for the runtimes without a file system: workerd (a module Worker whose
 * `fetch` handler runs the check, https://developers.cloudflare.com/workers/runtime-apis/handlers/fetch/)
 * and Chromium (the page calls `globalThis.runStrongroomChecks`). Bundled from the installed
 * packages by bundle.ts with the runtime's export conditions. The request and the answer are JSON;
 * byte strings travel as base64.
 */
import * as core from '@strongroom/core';
import * as streams from '@strongroom/core/streams';
import { fromBase64, runChecks, toBase64 } from './check.mjs';

function memoryProbe() {
  const perf = globalThis.performance;
  if (perf && perf.memory && typeof perf.memory.usedJSHeapSize === 'number') {
    // Chromium: performance.memory (exact with --enable-precise-memory-info), GC with --js-flags=--expose-gc.
    const collects = typeof globalThis.gc === 'function';
    return { kind: collects ? 'JS heap after GC' : 'JS heap', collects, read: () => perf.memory.usedJSHeapSize, gc: () => collects && globalThis.gc() };
  }
  return { kind: 'memory not exposed to scripts', collects: false, read: () => undefined, gc() {} };
}

export async function run(request) {
  const messages = Object.fromEntries(Object.entries(request.messages ?? {}).map(([k, v]) => [k, fromBase64(v)]));
  const result = await runChecks(core, request.fixtures, { runtime: request.runtime, phase: request.phase, memory: memoryProbe(), messages, streams });
  const written = Object.fromEntries(Object.entries(result.written ?? {}).map(([k, v]) => [k, toBase64(v)]));
  return { ...result, written };
}

globalThis.runStrongroomChecks = async (json) => JSON.stringify(await run(JSON.parse(json)));

export default {
  async fetch(request) {
    return new Response(JSON.stringify(await run(await request.json())), { headers: { 'content-type': 'application/json' } });
  },
};
