/**
 * Reading a seed file from disk. A seed with `material` holds key material, so it is treated as a
 * secret file: it must be a regular file (reached through symbolic links, as every file an operator
 * names: a Kubernetes secret mount is one; opened O_NONBLOCK, so a FIFO with no writer is refused at
 * once instead of blocking open(2)), its size is capped before it is read, and a file that group or
 * others may read or write (mode bits 066, chmod(2)) gets a warning naming the file and the fix
 * (`chmod 600`). The format follows the name:
 * `.json` is JSON, anything else YAML.
 */
import { StrongroomError } from '@strongroom/core';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { MAX_SEED_BYTES, parseSeed, seedError, type KmsSeed } from './parse';

/**
 * Read, parse and validate a seed file.
 * @param warn where the permission warning goes (one line)
 * @throws StrongroomError IO_ERROR when the file cannot be read, MALFORMED when it is not a valid seed
 */
export async function readSeedFile(path: string, warn: (line: string) => void): Promise<KmsSeed> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const hint = code === 'ENOENT' ? ': no such file' : '';
    throw new StrongroomError('IO_ERROR', `kms-local seed ${path}: cannot open it (${code}${hint})`, { cause: error, details: { source: path, path: '', problem: 'io' } });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw seedError(path, '', 'not-a-file', 'not a regular file');
    if (st.size > MAX_SEED_BYTES) throw seedError(path, '', 'too-large', `larger than ${MAX_SEED_BYTES} bytes`);
    const buf = Buffer.alloc(MAX_SEED_BYTES + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n > MAX_SEED_BYTES) throw seedError(path, '', 'too-large', `larger than ${MAX_SEED_BYTES} bytes`);
    }
    const text = buf.toString('utf8', 0, n);
    buf.fill(0);
    const seed = parseSeed(text, path, path.toLowerCase().endsWith('.json') ? 'json' : 'yaml');
    if ((st.mode & 0o066) !== 0) {
      const holds = seed.keys.some((k) => k.material !== undefined) ? 'holds key material and ' : '';
      warn(
        `kms-local WARNING: seed file ${path} ${holds}is readable or writable by group/others (mode ${(st.mode & 0o777).toString(8)}); ` +
          `key material in a seed is key material: chmod 600 ${path}`,
      );
    }
    return seed;
  } finally {
    await handle.close();
  }
}
