/**
 * readServerSecret (the local servers' secret input): a file first, then the argv flag (with a
 * warning that `ps` shows it), then the environment, then a no-echo prompt; never two sources at once,
 * never an empty secret, never a secret file that is a symbolic link or larger than 64 KiB.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_SECRET_FILE_BYTES, promptHiddenLine, readServerSecret, type PromptInput, type ServerSecretSpec } from '../src/index';

const dir = mkdtempSync(join(tmpdir(), 'strongroom-server-secret-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = (over: Partial<ServerSecretSpec> = {}): ServerSecretSpec => ({ what: 'the secret', argvFlag: '--secret', fileFlag: '--secret-file', env: 'TEST_SERVER_SECRET', prompt: false, ...over });

function fakeTty(tty = true, raw = true) {
  const listeners = new Set<(chunk: string) => void>();
  const modes: boolean[] = [];
  const input: PromptInput & { type(text: string): void } = {
    isTTY: tty,
    ...(raw ? { setRawMode: (m: boolean) => modes.push(m) } : {}),
    on: (_e: 'data', l: (chunk: Buffer | string) => void) => listeners.add(l),
    removeListener: (_e: 'data', l: (chunk: Buffer | string) => void) => listeners.delete(l),
    resume: () => undefined,
    pause: () => undefined,
    type: (text: string) => { for (const l of [...listeners]) l(text); },
  };
  return { input, modes };
}

function io(env: Record<string, string> = {}, input = fakeTty(false).input) {
  let text = '';
  return { io: { program: 'test-server', env, input, output: { write: (t: string) => (text += t) } }, written: () => text };
}

describe('readServerSecret', () => {
  it('reads a file (one trailing newline dropped), warns when its group may read it', async () => {
    const file = join(dir, 'secret');
    writeFileSync(file, 'from-file\n', { mode: 0o640 });
    chmodSync(file, 0o640);
    const { io: i, written } = io({ TEST_SERVER_SECRET: 'from-env' });
    expect(await readServerSecret(spec({ file }), i)).toBe('from-file');
    expect(written()).toMatch(/readable by its group; chmod 600/);
    chmodSync(file, 0o600);
    const quiet = io();
    expect(await readServerSecret(spec({ file }), quiet.io)).toBe('from-file');
    expect(quiet.written()).toBe('');
  });

  it('takes argv with a warning naming the safer ways, then the environment', async () => {
    const a = io({ TEST_SERVER_SECRET: 'from-env' });
    expect(await readServerSecret(spec({ argv: 'from-argv' }), a.io)).toBe('from-argv');
    expect(a.written()).toMatch(/--secret is visible to every local user \(ps\); use TEST_SERVER_SECRET or --secret-file FILE/);
    expect(await readServerSecret(spec(), io({ TEST_SERVER_SECRET: 'from-env' }).io)).toBe('from-env');
    expect(await readServerSecret(spec(), io().io)).toBeUndefined();
  });

  it('refuses both flags, an empty secret and a file over 64 KiB', async () => {
    const file = join(dir, 'ok');
    writeFileSync(file, 'x', { mode: 0o600 });
    await expect(readServerSecret(spec({ file, argv: 'y' }), io().io)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n', { mode: 0o600 });
    await expect(readServerSecret(spec({ file: empty }), io().io)).rejects.toThrow(/the secret: empty/);
    const big = join(dir, 'big');
    writeFileSync(big, Buffer.alloc(MAX_SECRET_FILE_BYTES + 1, 0x61), { mode: 0o600 });
    await expect(readServerSecret(spec({ file: big }), io().io)).rejects.toThrow(/larger than 65536 bytes/);
  });

  it('follows symbolic links as a Kubernetes secret volume lays them out; checks and warns on what they lead to', async () => {
    // A secret volume: key -> ..data/key, ..data -> ..2026_12_01_00_00_00.123 (the real directory).
    const vol = join(dir, 'volume');
    const real = join(vol, '..2026_12_01_00_00_00.123');
    mkdirSync(real, { recursive: true });
    writeFileSync(join(real, 'key'), 'mounted-secret\n', { mode: 0o640 });
    symlinkSync('..2026_12_01_00_00_00.123', join(vol, '..data'));
    symlinkSync('..data/key', join(vol, 'key'));
    const out = io();
    expect(await readServerSecret(spec({ file: join(vol, 'key') }), out.io)).toBe('mounted-secret');
    // The warning names the group-readable target's mode, reached through the links.
    expect(out.written()).toContain(`${join(vol, 'key')} is readable by its group`);
    // A link to a directory, or to a file over the cap, is refused as the target itself would be.
    symlinkSync(real, join(dir, 'to-dir'));
    await expect(readServerSecret(spec({ file: join(dir, 'to-dir') }), io().io)).rejects.toThrow(/is a directory/);
    writeFileSync(join(dir, 'huge'), Buffer.alloc(MAX_SECRET_FILE_BYTES + 1, 0x61), { mode: 0o600 });
    symlinkSync(join(dir, 'huge'), join(dir, 'to-huge'));
    await expect(readServerSecret(spec({ file: join(dir, 'to-huge') }), io().io)).rejects.toThrow(/larger than 65536 bytes/);
    // A dangling link: IO_ERROR naming the flag and the path.
    symlinkSync(join(dir, 'missing'), join(dir, 'dangling'));
    await expect(readServerSecret(spec({ file: join(dir, 'dangling') }), io().io)).rejects.toMatchObject({ code: 'IO_ERROR' });
  });

  it('prompts on a terminal without echo when asked, and Ctrl-C aborts', async () => {
    const { input, modes } = fakeTty();
    const out = io({}, input);
    const p = readServerSecret(spec({ prompt: true }), out.io);
    input.type('hunter3\u007f2\r');
    expect(await p).toBe('hunter2');
    expect(modes).toEqual([true, false]);
    expect(out.written()).toBe('the secret: \n');
    const noRaw = fakeTty(true, false);
    const q = promptHiddenLine('pw: ', { input: noRaw.input, output: { write: () => undefined } });
    noRaw.input.type('ab\u0003');
    await expect(q).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
