#!/usr/bin/env node
/**
 * Documentation check: every reference in the repository's Markdown resolves.
 *
 *   node scripts/check-docs.mjs [root]        (root defaults to the repository)
 *
 * In every `*.md` outside node_modules, dist and generated output:
 * - every relative link `[text](path)`, `[text](path#anchor)`, `[text](#anchor)`, reference definition
 *   `[id]: path` and HTML `href`/`src` resolves to a file or directory;
 * - every `#anchor` names a heading of the target Markdown file, slugged as GitHub does
 *   (lower case, punctuation dropped, spaces to hyphens, `-1`, `-2`… for repeats) or an explicit
 *   `<a name>`/`id`;
 * - every code span that cites a repository path (`packages/…/x.ts`, `docs/<page>.md#<anchor>`, `test/…`, …)
 *   names a file or directory that exists, relative to the root or to the Markdown file.
 * In source files (`.ts`, `.mts`, `.mjs`, `.js`, `.cjs`), every docs page (with its anchor) cited in a comment
 * resolves the same way.
 *
 * Prints one line per problem (`file:line: what`) and exits 1 if there is any; exits 0 otherwise.
 * Links with a scheme (https:, mailto:) are not fetched: the check runs offline.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.turbo', 'docs-site', 'coverage', '.strongroom', 'tmp']);
/** Directories of deliberately broken Markdown (the check's own test fixtures). */
const SKIP_PATHS = [join('test', 'docs', 'fixtures')];
const SOURCE_EXT = /\.(?:ts|mts|cts|mjs|cjs|js)$/;
/** A code span that cites a repository path: a known top-level directory, then path characters. */
const CITED_PATH = /^(?:packages|docs|test|bench|examples|scripts|\.ci)\/[\w@.+/-]*$/;

/** GitHub's heading anchor: lower case, drop everything but letters, digits, marks, `_`, `-` and spaces; spaces → `-`. */
export function slug(text) {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** The heading's text as GitHub renders it: code spans, links, images, emphasis and HTML reduced to text. */
function headingText(raw) {
  return raw
    .replace(/\s+#+\s*$/, '') // closing hashes
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\[[^\]]*\]/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/(\*\*|__|\*)(.+?)\1/g, '$2')
    .trim();
}

/** Lines of a Markdown file with fenced code blocks blanked (their content is not Markdown). */
function proseLines(text) {
  const lines = text.split(/\r?\n/);
  let fence = null;
  return lines.map((line) => {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (m && m[1][0] === fence[0] && m[1].length >= fence.length && /^ {0,3}[`~]+\s*$/.test(line)) fence = null;
      return '';
    }
    if (m) {
      fence = m[1];
      return '';
    }
    return line;
  });
}

const anchorCache = new Map();
/** Every anchor a Markdown file defines: heading slugs (with GitHub's -N suffixes) and explicit names/ids. */
export function anchorsOf(file) {
  const cached = anchorCache.get(file);
  if (cached) return cached;
  const anchors = new Set();
  const seen = new Map();
  const lines = proseLines(readFileSync(file, 'utf8'));
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let text;
    const atx = /^ {0,3}#{1,6}\s+(.*)$/.exec(line);
    if (atx) text = atx[1];
    else if (i + 1 < lines.length && /^ {0,3}(=+|-+)\s*$/.test(lines[i + 1]) && line.trim() !== '' && !/^\s*[-*+>|]/.test(line)) text = line;
    if (text !== undefined) {
      const base = slug(headingText(text));
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(m[1]);
  }
  anchorCache.set(file, anchors);
  return anchors;
}

function walk(root, dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    const rel = relative(root, full);
    if (entry.isDirectory()) {
      if (SKIP_DIRS.has(entry.name) || SKIP_PATHS.includes(rel)) continue;
      walk(root, full, out);
    } else if (entry.isFile()) out.push(rel);
  }
  return out;
}

/** Check that `target` (path[#anchor], relative to `baseDir`) resolves; return a problem or undefined. */
function checkTarget(root, baseDir, target, { alsoFromRoot = false } = {}) {
  const hash = target.indexOf('#');
  const pathPart = decodeURI(hash === -1 ? target : target.slice(0, hash));
  const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const candidates = [resolve(baseDir, pathPart)];
  if (alsoFromRoot) candidates.push(resolve(root, pathPart));
  const found = candidates.find((c) => existsSync(c));
  if (!found) return `${target}: no such file`;
  if (!(found + sep).startsWith(resolve(root) + sep) && found !== resolve(root)) return `${target}: points outside the repository`;
  if (anchor === undefined || anchor === '') return undefined;
  let file = found;
  if (statSync(found).isDirectory()) file = join(found, 'README.md');
  if (!file.endsWith('.md') || !existsSync(file)) return `${target}: anchor on a file that is not Markdown`;
  if (!anchorsOf(file).has(anchor)) return `${target}: no heading #${anchor} in ${relative(root, file)}`;
  return undefined;
}

/** Inline code spans of one line (single or multiple backticks), without their backticks. */
function codeSpans(line) {
  const spans = [];
  const re = /(`+)([^`]|[^`].*?[^`])\1(?!`)/g;
  for (const m of line.matchAll(re)) spans.push({ text: m[2].trim(), index: m.index });
  return spans;
}

export function checkRepository(root) {
  root = resolve(root);
  const problems = [];
  let links = 0;
  let cited = 0;
  const files = walk(root, root, []);
  for (const rel of files.filter((f) => f.endsWith('.md'))) {
    const file = join(root, rel);
    const baseDir = dirname(file);
    const lines = proseLines(readFileSync(file, 'utf8'));
    lines.forEach((line, i) => {
      const where = `${rel}:${i + 1}`;
      // Code spans first; links are looked for in the text outside them.
      const spans = codeSpans(line);
      let prose = line;
      for (const s of spans) {
        if (!s.text.includes('...') && CITED_PATH.test(s.text.replace(/#[\w-]*$/, '').replace(/:\d+(?::\d+)?$/, ''))) {
          cited++;
          const target = s.text.replace(/:\d+(?::\d+)?$/, '');
          const problem = checkTarget(root, baseDir, target, { alsoFromRoot: true });
          if (problem) problems.push(`${where}: cited path ${problem}`);
        }
      }
      prose = prose.replace(/(`+)([^`]|[^`].*?[^`])\1(?!`)/g, (m) => ' '.repeat(m.length));
      const targets = [];
      for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]);
      const def = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$/.exec(prose);
      if (def) targets.push(def[1]);
      for (const m of prose.matchAll(/\s(?:href|src)="([^"]+)"/g)) targets.push(m[1]);
      for (const target of targets) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // external
        links++;
        const problem = target.startsWith('#') ? checkTarget(root, baseDir, rel.split(sep).pop() + target) : checkTarget(root, baseDir, target);
        if (problem) problems.push(`${where}: link ${problem}`);
      }
    });
  }
  // The check's own tests quote the fixtures' (deliberately broken) references: not citations.
  const ownTests = join('test', 'docs') + sep;
  for (const rel of files.filter((f) => SOURCE_EXT.test(f) && !f.endsWith('.d.ts') && !f.startsWith(ownTests))) {
    const lines = readFileSync(join(root, rel), 'utf8').split(/\r?\n/);
    lines.forEach((line, i) => {
      for (const m of line.matchAll(/(?<![\w/.-])(docs\/[\w-]+\.md)(#[\w-]+)?/g)) {
        cited++;
        const problem = checkTarget(root, root, m[1] + (m[2] ?? ''));
        if (problem) problems.push(`${rel}:${i + 1}: cited ${problem}`);
      }
    });
  }
  return { problems, markdownFiles: files.filter((f) => f.endsWith('.md')).length, links, cited };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..');
  const { problems, markdownFiles, links, cited } = checkRepository(root);
  for (const p of problems) console.log(p);
  console.log(`check-docs: ${markdownFiles} Markdown files, ${links} relative links, ${cited} cited paths, ${problems.length} problem(s)`);
  process.exitCode = problems.length === 0 ? 0 : 1;
}
