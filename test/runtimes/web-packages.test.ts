/**
 * The web entries of @strongroom/provider-kms and @strongroom/s3 load without Node: an app that
 * imports `KmsKeyProvider` and `EncryptedS3Client` is bundled (rolldown) with each web runtime's
 * export conditions (Node's conditional exports, https://nodejs.org/api/packages.html#conditional-exports)
 * from the built packages, AWS SDK browser builds included; the bundle must import no `node:` module
 * and must have picked each package's dist/web.mjs — the same check ./bundle.ts makes of core.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rolldown } from 'rolldown';
import { afterAll, describe, expect, it } from 'vitest';
import { WEB_RUNTIMES } from './web-runtimes';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(ROOT, 'node_modules', '.web-packages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('provider-kms and s3 web entries: no node: imports', () => {
  for (const rt of WEB_RUNTIMES) {
    it(`${rt.label}: bundles with the ${rt.conditions[0]} conditions to dist/web.mjs with no node: import`, async () => {
      const entry = join(dir, `${rt.name}-app.mjs`);
      writeFileSync(entry, "export { KmsKeyProvider } from '@strongroom/provider-kms';\nexport { EncryptedS3Client } from '@strongroom/s3';\n");
      const build = await rolldown({ input: entry, platform: 'browser', resolve: { conditionNames: [...rt.conditions] }, external: (id) => id.startsWith('node:'), logLevel: 'silent' });
      try {
        const { output } = await build.generate({ format: 'esm', codeSplitting: false });
        const chunk = output.find((o) => o.type === 'chunk')!;
        const ours = chunk.moduleIds.map((id) => /packages\/(provider-kms|s3|core)\/(dist\/[^?]+)/.exec(id)).filter((m) => m !== null).map((m) => `${m[1]}/${m[2]}`);
        // Each package's web build (core's lazily loaded web-* chunks may come along), never a Node build.
        expect(ours.filter((f) => !/^core\/dist\/web-[\w-]+\.mjs$/.test(f)).sort()).toEqual(['core/dist/web.mjs', 'provider-kms/dist/web.mjs', 's3/dist/web.mjs']);
        expect(chunk.imports.filter((i) => i.startsWith('node:'))).toEqual([]);
      } finally {
        await build.close();
      }
    });
  }
});
