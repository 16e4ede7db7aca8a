/**
 * Bundles web-entry.mjs with check.mjs and the installed @strongroom/core into one ES module for a
 * runtime that loads a single script (workerd, a browser page), with that runtime's export
 * conditions (Node's conditional exports, https://nodejs.org/api/packages.html#conditional-exports;
 * workerd's: https://developers.cloudflare.com/workers/wrangler/bundling/), by rolldown — the bundler
 * tsdown already installs. Reports which core files went in and any `node:` import left over
 * (the runtime then has no such module: the check fails and says so).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rolldown } from 'rolldown';

export interface Bundle {
  readonly file: string;
  /** The @strongroom/core dist files the bundle contains (e.g. `dist/web.mjs`). */
  readonly coreFiles: string[];
  /** `node:` modules the bundle still imports. */
  readonly nodeImports: string[];
}

export async function bundleFor(app: string, name: string, conditions: readonly string[]): Promise<Bundle> {
  const build = await rolldown({
    input: join(app, 'web-entry.mjs'),
    platform: 'browser',
    resolve: { conditionNames: [...conditions] },
    external: (id) => id.startsWith('node:'),
    logLevel: 'silent',
  });
  try {
    const { output } = await build.generate({ format: 'esm', codeSplitting: false });
    const chunk = output.find((o) => o.type === 'chunk')!;
    const file = join(app, `${name}.bundle.mjs`);
    writeFileSync(file, chunk.code);
    const coreFiles = chunk.moduleIds.map((id) => /@strongroom\/core\/(dist\/[^?]+)/.exec(id)?.[1]).filter((f): f is string => f !== undefined);
    return { file, coreFiles, nodeImports: chunk.imports.filter((i) => i.startsWith('node:')) };
  } finally {
    await build.close();
  }
}
