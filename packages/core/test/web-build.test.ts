/**
 * The web build runs without Node: no `node:` (or bare built-in) import, no Buffer/process/require
 * (scripts/check-web-build.mjs, which `npm run build` also runs). The checker itself is shown to
 * catch each kind of finding, and to ignore mentions in comments and strings.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain .mjs script without types
import { checkWebBuild, checkWebCode } from '../scripts/check-web-build.mjs';

describe('web build', () => {
  it('dist/web*.mjs import nothing from Node and use no Node global', () => {
    expect(checkWebBuild(fileURLToPath(new URL('..', import.meta.url)))).toEqual([]);
  });

  it('the check finds node: imports, bare built-ins, dynamic imports and Node globals, not mentions', () => {
    const code = [
      'import * as c from "node:crypto";',
      'import s from "stream";',
      'export * from "fs/promises";',
      'const b = Buffer.from("x");',
      'const p = process.env;',
      'const fs = await import("node:fs");',
      '/* Buffer, node:crypto */ const text = "process Buffer node:x"; const o = { Buffer: 1 }; o.process;',
    ].join('\n');
    const findings = (checkWebCode(code, 'x.mjs') as string[]).map((f) => f.replace(/^x\.mjs:\d+ /, ''));
    expect(findings).toEqual([
      'imports "node:crypto"',
      'imports "stream"',
      'imports "fs/promises"',
      'uses the Node global "Buffer"',
      'uses the Node global "process"',
      'imports "node:fs"',
    ]);
  });
});
