/**
 * Secrets from a file, the environment or a no-echo prompt (never argv). The file reader runs on
 * real files; the prompt runs on a fake terminal stream here (the real pseudo-terminal case is in
 * test/cli.test.ts, through util-linux `script`).
 */
import { EventEmitter } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MAX_SECRET_FILE_BYTES, promptHiddenLine, readServerSecretFile, type PromptInput } from '@strongroom/node-files';
import { readSecret, readSecretFile } from './secret-input';

const tmp = mkdtempSync(join(tmpdir(), 'strongroom-secret-input-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function sink() {
  let text = '';
  return { write: (s: string) => (text += s), text: () => text };
}

/** A fake TTY: records raw-mode changes; `type` delivers keystrokes. */
function fakeTty(isTTY = true) {
  const events = new EventEmitter();
  const rawModes: boolean[] = [];
  /** Raw-mode changes and prompt writes, in the order they happened. */
  const log: string[] = [];
  const input: PromptInput & { type(s: string): void } = {
    isTTY,
    setRawMode: (m: boolean) => {
      rawModes.push(m);
      log.push(`raw ${m}`);
    },
    on: (e, l) => events.on(e, l),
    removeListener: (e, l) => events.removeListener(e, l),
    resume: () => undefined,
    pause: () => undefined,
    type: (s) => events.emit('data', Buffer.from(s)),
  };
  return { input, rawModes, log };
}

const spec = { what: 'password for the new HSM user carol', fileFlag: '--password-file', env: 'TEST_SECRET' };

describe('readSecret', () => {
  it('reads --…-file first, dropping one trailing newline, silently when the file is 0600', async () => {
    const f = join(tmp, 'pw');
    writeFileSync(f, 'from-file\n', { mode: 0o600 });
    const out = sink();
    expect(await readSecret({ ...spec, file: f }, { env: { TEST_SECRET: 'from-env' }, input: fakeTty().input, output: out })).toBe('from-file');
    expect(out.text()).toBe('');
  });

  it('warns when the file is readable by others, and says how to fix it', async () => {
    const f = join(tmp, 'pw-open');
    writeFileSync(f, 'open');
    chmodSync(f, 0o644);
    const out = sink();
    expect(await readSecret({ ...spec, file: f }, { env: {}, input: fakeTty(false).input, output: out })).toBe('open');
    expect(out.text()).toBe(`strongroom: warning: --password-file ${f} is readable by every user; chmod 600 ${f}\n`);
    chmodSync(f, 0o640);
    const out2 = sink();
    readSecretFile(f, '--password-file', out2);
    expect(out2.text()).toMatch(/readable by its group/);
  });

  it('refuses a file over the size cap, and an empty secret', async () => {
    const big = join(tmp, 'big');
    writeFileSync(big, Buffer.alloc(MAX_SECRET_FILE_BYTES + 1, 0x61), { mode: 0o600 });
    await expect(readSecret({ ...spec, file: big }, { env: {}, input: fakeTty(false).input, output: sink() })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const empty = join(tmp, 'empty');
    writeFileSync(empty, '\n', { mode: 0o600 });
    await expect(readSecret({ ...spec, file: empty }, { env: {}, input: fakeTty(false).input, output: sink() })).rejects.toThrow(/empty/);
    await expect(readSecret({ ...spec, file: join(tmp, 'missing') }, { env: {}, input: fakeTty(false).input, output: sink() })).rejects.toMatchObject({ code: 'IO_ERROR' });
  });

  it('wipes the buffer a secret file was read into, whether the read succeeds or the file is too large (both readers)', () => {
    const ok = join(tmp, 'wipe-ok');
    writeFileSync(ok, 'a-secret-to-wipe', { mode: 0o600 });
    const big = join(tmp, 'wipe-big');
    writeFileSync(big, Buffer.alloc(MAX_SECRET_FILE_BYTES + 10, 0x61), { mode: 0o600 });
    const readers = {
      cli: (path: string) => readSecretFile(path, '--key-file', sink()),
      server: (path: string) => readServerSecretFile(path, '--secret-file', { program: 'test', output: sink() }),
    };
    for (const [name, read] of Object.entries(readers)) {
      for (const path of [ok, big]) {
        const alloc = vi.spyOn(Buffer, 'alloc');
        try {
          try {
            read(path);
          } catch (e) {
            expect(path, `${name}: only the large file may fail`).toBe(big);
            expect(e).toMatchObject({ code: 'INVALID_ARGUMENT' });
          }
          const bufs = alloc.mock.results.map((r) => r.value as Buffer).filter((b) => b.length === MAX_SECRET_FILE_BYTES + 1);
          expect(bufs, `${name}: one read buffer`).toHaveLength(1);
          expect(bufs[0]!.every((byte) => byte === 0), `${name} ${path === ok ? 'success' : 'too large'}: buffer wiped`).toBe(true);
        } finally {
          alloc.mockRestore();
        }
      }
    }
  });

  it('follows a symbolic link to a secret file, as the servers do', () => {
    const target = join(tmp, 'linked-target');
    writeFileSync(target, 'linked-secret', { mode: 0o600 });
    const link = join(tmp, 'linked');
    symlinkSync(target, link);
    expect(readSecretFile(link, '--key-file', sink()).toString()).toBe('linked-secret');
    expect(readServerSecretFile(link, '--secret-file', { program: 'test', output: sink() })).toBe('linked-secret');
  });

  it('reads the environment variable next', async () => {
    expect(await readSecret(spec, { env: { TEST_SECRET: 'from-env' }, input: fakeTty().input, output: sink() })).toBe('from-env');
  });

  it('prompts on a TTY with echo off (raw mode), handling backspace', async () => {
    const { input, rawModes } = fakeTty();
    const out = sink();
    const p = readSecret(spec, { env: {}, input, output: out });
    input.type('hunter');
    input.type('x\u007f2\r');
    expect(await p).toBe('hunter2');
    expect(rawModes).toEqual([true, false]);
    expect(out.text()).toBe('password for the new HSM user carol: \n'); // the prompt, never the typed characters
  });

  it('turns echo off before the prompt shows (a secret typed at once is never echoed)', async () => {
    const { input, log } = fakeTty();
    const p = promptHiddenLine('pw: ', { input, output: { write: (s: string) => log.push(`write ${JSON.stringify(s)}`) } });
    input.type('typed-at-once\r');
    expect(await p).toBe('typed-at-once');
    expect(log).toEqual(['raw true', 'write "pw: "', 'raw false', 'write "\\n"']);
  });

  it('Ctrl-C at the prompt aborts', async () => {
    const { input, rawModes } = fakeTty();
    const p = promptHiddenLine('pw: ', { input, output: sink() });
    input.type('abc\u0003');
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    expect(rawModes).toEqual([true, false]);
  });

  it('without a file, env or TTY: a usage error listing the ways, none of them argv', async () => {
    await expect(readSecret(spec, { env: {}, input: fakeTty(false).input, output: sink() })).rejects.toThrow(/--password-file FILE.*env TEST_SECRET.*terminal.*never on the command line/);
  });
});
