#!/usr/bin/env node
// The `strongroom-kms` bin (committed, so that npm links it on the first `npm install` of a fresh clone, before
// anything is built: npm links a bin only if its target exists at install time — see
// https://docs.npmjs.com/cli/v11/configuring-npm/package-json#bin). It runs the built dist/cli.mjs.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const target = new URL('../dist/cli.mjs', import.meta.url);
if (!existsSync(target)) {
  process.stderr.write(`strongroom-kms: ${fileURLToPath(target)} is missing: the package is not built; run \`npm run build\` in the repository root [NOT_BUILT]\n`);
  process.exit(1);
}
await import(target.href);
