/**
 * Runs the bundled check in workerd, Cloudflare's Workers runtime, through miniflare's API
 * (https://developers.cloudflare.com/workers/testing/miniflare/): the bundle is a module Worker; one
 * POST carries the request JSON and the answer is written to a file. Run by Node 22 or newer
 * (miniflare 4's engines), from test/runtimes so `miniflare` resolves from the workspace.
 *
 *   node22 run-workerd.mjs <bundle.mjs> <request.json> <answer.json> [compatibility flag,...]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Miniflare } from 'miniflare';

const [bundle, requestFile, answerFile, flags = ''] = process.argv.slice(2);
const mf = new Miniflare({
  modules: [{ type: 'ESModule', path: 'worker.mjs', contents: readFileSync(bundle, 'utf8') }],
  compatibilityDate: '2026-07-30',
  compatibilityFlags: flags ? flags.split(',') : [],
});
try {
  const response = await mf.dispatchFetch('http://localhost/run', { method: 'POST', body: readFileSync(requestFile, 'utf8') });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`worker answered ${response.status}: ${text.slice(0, 2000)}`);
  writeFileSync(answerFile, text);
} finally {
  await mf.dispose();
}
