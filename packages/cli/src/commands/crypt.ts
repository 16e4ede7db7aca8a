/**
 * `strongroom encrypt|decrypt -i FILE|- -o FILE|- --key URI [--context k=v]…` — streams of any size
 * in bounded memory (core's encryptStream/decryptStream: AWS Encryption SDK message format).
 * A file output is written through ../private-file.ts (unnamed or exclusive 0600, renamed into
 * place only on success), so a failed or killed decrypt leaves no partial plaintext behind; an
 * output that is the input is refused (../same-file.ts).
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import type { Duplex, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createClient } from '@strongroom/core';
import { parseContext } from '../args';
import type { DevConfig } from '../dev-config';
import { UsageError } from '../exit';
import { parseKeyUri } from '../key-uri';
import { openPrivateOutput } from '../private-file';
import { createProgress, type Progress, progressTap } from '../progress';
import { keyProviderFromUri } from '../providers';
import { refuseOutputOverInput } from '../same-file';
import type { CliContext } from './context';

export interface CryptOptions {
  input: string;
  output: string;
  key: string;
  context?: string[];
  keyFile?: string;
}

/**
 * The input stream and its size when known. Reading `-` from a terminal says so on stderr (`what`
 * is being read, and how to end it), so a user does not take a waiting command for a hung one.
 */
export function openInput(input: string, what = 'input'): { stream: Readable; size: number | undefined } {
  if (input === '-') {
    if (process.stdin.isTTY) process.stderr.write(`strongroom: reading ${what} from the terminal; end with Ctrl-D (Ctrl-C cancels)\n`);
    return { stream: process.stdin, size: undefined };
  }
  const st = statSync(input); // ENOENT → "no such file" (exit 5)
  if (st.isDirectory()) throw new UsageError(`-i ${input}: is a directory`);
  return { stream: createReadStream(input), size: st.isFile() ? st.size : undefined };
}

/**
 * A file sink that only appears under its name once complete. `end: false` for stdout: ending
 * process.stdout when it is a socket (a parent that spawned us with Node's `stdio: 'pipe'`, a socket
 * activation) shuts the socket down for every process sharing it (shutdown(2), SHUT_WR), so the
 * commands after ours in the same script could no longer write — they would fail with EPIPE.
 */
export function openOutput(output: string): { stream: Writable; end: boolean; commit(): Promise<void>; discard(): Promise<void> } {
  if (output === '-') return { stream: process.stdout, end: false, commit: async () => {}, discard: async () => {} };
  // A device, FIFO or socket (`-o /dev/stdout`, a named pipe) is a stream, like `-`: renaming a
  // file over it would replace the device node instead of writing to it.
  const st = statSync(output, { throwIfNoEntry: false });
  if (st && !st.isFile() && !st.isDirectory()) {
    const stream = createWriteStream(output);
    return { stream, end: true, commit: async () => {}, discard: async () => {} };
  }
  return { ...openPrivateOutput(output), end: true };
}

/**
 * Stream `source` (through `transform`, if any) into `destination` with a progress bar; a file
 * destination appears under its name only once everything succeeded, and is removed on failure.
 */
export async function pipeToOutput(source: Readable, transform: Duplex | undefined, destination: string, progress: Progress, signal: AbortSignal): Promise<void> {
  try {
    const output = openOutput(destination);
    try {
      const tap = progressTap(progress);
      const options = { signal, end: output.end };
      await (transform ? pipeline(source, tap, transform, output.stream, options) : pipeline(source, tap, output.stream, options));
      await output.commit();
    } catch (error) {
      await output.discard();
      throw error;
    }
  } finally {
    progress.stop();
  }
}

/**
 * The config a key URI needs: none for raw-aes://, optional for kms:// (without one: AWS KMS, said
 * on stderr), required for the others. Loading it says on stderr which file and endpoints are used.
 */
export function configFor(ctx: CliContext, key: string): DevConfig | undefined {
  const kind = parseKeyUri(key).kind;
  if (kind === 'raw-aes') return undefined;
  if (kind !== 'kms') return ctx.config();
  const config = ctx.optionalConfig();
  if (!config) ctx.notice(`no config file (${ctx.configPath} does not exist); kms:// goes to AWS KMS with the AWS SDK's default credentials and Region`);
  return config;
}

export async function runCrypt(ctx: CliContext, mode: 'encrypt' | 'decrypt', o: CryptOptions): Promise<void> {
  if (!o.input) throw new UsageError('-i FILE (or - for stdin) is required');
  if (!o.output) throw new UsageError('-o FILE (or - for stdout) is required');
  if (mode === 'encrypt' && o.output === '-' && process.stdout.isTTY) {
    throw new UsageError('refusing to write ciphertext to a terminal; use -o FILE or a pipe');
  }
  refuseOutputOverInput(o.input, o.output);
  const encryptionContext = parseContext(o.context);
  const opened = await keyProviderFromUri(o.key, { config: configFor(ctx, o.key), rawKeyFile: o.keyFile, abortSignal: ctx.signal });
  try {
    const client = createClient({ keyProvider: opened.provider });
    const input = openInput(o.input, mode === 'encrypt' ? 'plaintext' : 'the encrypted message');
    const progress = createProgress(mode === 'encrypt' ? 'encrypting' : 'decrypting', input.size);
    const transform =
      mode === 'encrypt'
        ? client.encryptStream({ encryptionContext, abortSignal: ctx.signal, ...(input.size !== undefined ? { plaintextLength: input.size } : {}) })
        : client.decryptStream({ expectedEncryptionContext: encryptionContext, abortSignal: ctx.signal });
    await pipeToOutput(input.stream, transform, o.output, progress, ctx.signal);
  } finally {
    await opened.close();
  }
}
