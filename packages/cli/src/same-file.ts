/**
 * Refuse to write an output over its own input (docs/cli.md#output-files): `encrypt -i x -o x`
 * would replace the plaintext with ciphertext (or a decrypt, the ciphertext with plaintext) once the
 * output is renamed into place. Two names are the same file when `stat(2)` — which follows
 * symlinks — gives the same device and inode, so another spelling of the path, a symlink and a hard
 * link are all caught (POSIX `stat`: st_dev and st_ino identify a file,
 * https://pubs.opengroup.org/onlinepubs/9799919799/basedefs/sys_stat.h.html).
 */
import { statSync } from 'node:fs';
import { StrongroomError } from '@strongroom/core';

/** @throws StrongroomError INVALID_ARGUMENT (reason SAME_FILE) when `output` is `input`. */
export function refuseOutputOverInput(input: string, output: string): void {
  if (input === '-' || output === '-') return;
  const i = statSync(input, { throwIfNoEntry: false });
  const o = statSync(output, { throwIfNoEntry: false });
  if (!i || !o) return;
  if (i.dev === o.dev && i.ino === o.ino) {
    throw new StrongroomError('INVALID_ARGUMENT', `-o ${output} is the input file (${input}); writing it would destroy the input — write to another file`, {
      details: { reason: 'SAME_FILE' },
    });
  }
}
