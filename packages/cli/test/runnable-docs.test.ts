/**
 * Docs that run: every fenced block marked runnable in a docs page — an HTML comment
 * `<!-- runnable -->` on the line before a ```sh or ```js fence (CommonMark 0.31, "HTML blocks" and
 * "Fenced code blocks": https://spec.commonmark.org/0.31.2/) — is executed, in page order, against a
 * dev stack this test starts, in a scratch directory holding a copy of README.md and docs/. `sh`
 * blocks run in bash with `set -euo pipefail`; `npx strongroom` and `strongroom` are the built CLI,
 * and env STRONGROOM_CONFIG names the stack's dev.json. `js` blocks run as ES modules with node.
 * Each block must exit 0. The relative-link and anchor half of the docs check lives elsewhere.
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '../src/dev-stack';
import { CLI, ROOT } from './helpers';

/** The pages whose quick starts are marked runnable. */
const PAGES = ['docs/getting-started.md', 'docs/cli.md', 'docs/s3.md'];

export interface RunnableBlock {
  readonly page: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: 'sh' | 'js';
  readonly code: string;
}

/** The blocks of `markdown` marked `<!-- runnable -->`, in order. */
export function runnableBlocks(page: string, markdown: string): RunnableBlock[] {
  const lines = markdown.split('\n');
  const blocks: RunnableBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '<!-- runnable -->') continue;
    const fence = /^(```+)\s*(sh|bash|js)\s*$/.exec(lines[i + 1] ?? '');
    if (!fence) throw new Error(`${page}:${i + 1}: <!-- runnable --> must be followed by a \`\`\`sh or \`\`\`js fence`);
    const end = lines.findIndex((l, j) => j > i + 1 && l.startsWith(fence[1]!) && l.trim() === fence[1]);
    if (end < 0) throw new Error(`${page}:${i + 2}: unclosed fence`);
    blocks.push({ page, line: i + 2, lang: fence[2] === 'js' ? 'js' : 'sh', code: lines.slice(i + 2, end).join('\n') });
    i = end;
  }
  return blocks;
}

let stack: DevStack;
let work: string;
let bin: string;

beforeAll(async () => {
  // Inside the repository's node_modules so that `js` blocks resolve the workspace packages.
  const cache = join(ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  work = mkdtempSync(join(cache, 'runnable-docs-'));
  stack = await startDevStack({ dir: join(work, '.stack') });
  bin = join(work, '.bin');
  mkdirSync(bin);
  const shim = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  shim('strongroom', `exec "${process.execPath}" "${CLI}" "$@"`);
  // `npx strongroom …` runs the built CLI; anything else through npx is not something a quick start may need.
  shim('npx', `if [ "$1" = strongroom ]; then shift; exec "${process.execPath}" "${CLI}" "$@"; fi\necho "runnable docs: npx $1 is not available here" >&2; exit 127`);
  cpSync(join(ROOT, 'README.md'), join(work, 'README.md'));
  cpSync(join(ROOT, 'docs'), join(work, 'docs'), { recursive: true });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function run(block: RunnableBlock): Promise<{ code: number | null; output: string }> {
  const [cmd, args] =
    block.lang === 'sh'
      ? ['bash', ['-c', `set -euo pipefail\n${block.code}`]]
      : (() => {
          const file = join(work, `block-${block.line}.mjs`);
          writeFileSync(file, block.code);
          return [process.execPath, [file]] as const;
        })();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], {
      cwd: work,
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        STRONGROOM_CONFIG: stack.configPath,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('runnable docs', () => {
  it('finds the marker only before a sh or js fence', () => {
    expect(runnableBlocks('x.md', 'a\n<!-- runnable -->\n```sh\necho 1\n```\n```sh\necho 2\n```\n')).toEqual([{ page: 'x.md', line: 3, lang: 'sh', code: 'echo 1' }]);
    expect(() => runnableBlocks('x.md', '<!-- runnable -->\n```ts\nx\n```\n')).toThrow(/must be followed by/);
  });

  for (const page of PAGES) {
    it(`${page}: every runnable block exits 0`, { timeout: 300_000 }, async () => {
      const blocks = runnableBlocks(page, readFileSync(join(ROOT, page), 'utf8'));
      expect(blocks.length, `${page} has no <!-- runnable --> block`).toBeGreaterThan(0);
      for (const block of blocks) {
        const r = await run(block);
        expect({ at: `${page}:${block.line}`, code: r.code, output: r.code === 0 ? '' : r.output }).toEqual({ at: `${page}:${block.line}`, code: 0, output: '' });
      }
    });
  }
});
