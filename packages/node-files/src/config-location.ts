/**
 * Which Strongroom config file a library call reads when it is not given one — the same rule as the
 * `strongroom` CLI (docs/cli.md#which-config-file): the file named by env STRONGROOM_CONFIG, else
 * `dev.json` in the user's config directory, `$XDG_CONFIG_HOME/strongroom` or `~/.config/strongroom`
 * (XDG Base Directory Specification, https://specifications.freedesktop.org/basedir-spec/latest/).
 * Never a file in the working directory: a config names the endpoints that receive key requests and
 * the PKCS#11 library that is loaded, so a cloned repository must not be able to supply one. A config
 * that other users could have written (group/world-writable, owned by someone else, or in such a
 * directory without the sticky bit) is refused, as the CLI does.
 *
 * One rule for the CLI and both providers (provider-hsm, provider-kms).
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { StrongroomError } from '@strongroom/core';

/** The environment variable naming a config file. */
export const CONFIG_ENV = 'STRONGROOM_CONFIG';
/** The file name of the default config in the user's config directory (the dev stack writes it). */
export const CONFIG_FILE_NAME = 'dev.json';

type Env = Readonly<Record<string, string | undefined>>;

/** `$XDG_CONFIG_HOME/strongroom` (absolute only: the XDG spec says a relative one is invalid and ignored), else `~/.config/strongroom`. */
export function userConfigDir(env: Env = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'strongroom');
  return join(env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir(), '.config', 'strongroom');
}

/** The default config file: env STRONGROOM_CONFIG, else `dev.json` in {@link userConfigDir}. */
export function locateConfig(env: Env = process.env): { path: string; source: 'env' | 'user' } {
  const named = env[CONFIG_ENV];
  if (named) return { path: resolve(named), source: 'env' };
  return { path: join(userConfigDir(env), CONFIG_FILE_NAME), source: 'user' };
}

/**
 * Refuse a config file that other users could have written.
 * @throws StrongroomError ACCESS_DENIED (details.reason CONFIG_WRITABLE); IO_ERROR when it cannot be read.
 */
export function checkConfigWriters(path: string, what: string): void {
  const uid = process.getuid?.();
  const refuse = (why: string, fix: string) =>
    new StrongroomError('ACCESS_DENIED', `${what} ${path}: ${why}, so anyone could have written it; ${fix}`, { details: { reason: 'CONFIG_WRITABLE' } });
  let file, dir;
  try {
    file = statSync(path);
    dir = statSync(dirname(path));
  } catch (error) {
    throw new StrongroomError('IO_ERROR', `${what}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}); start the dev stack with \`strongroom dev\`, set ${CONFIG_ENV}, or pass a path`, { cause: error, details: { reason: 'NO_CONFIG' } });
  }
  if ((file.mode & 0o022) !== 0) throw refuse('writable by other users', `chmod go-w ${path}`);
  if (uid !== undefined && file.uid !== uid && file.uid !== 0) throw refuse(`owned by another user (uid ${file.uid})`, 'use a config file of your own');
  if ((dir.mode & 0o022) !== 0 && (dir.mode & 0o1000) === 0) throw refuse(`in a directory writable by other users (${dirname(path)})`, `chmod go-w ${dirname(path)} or move the file`);
}
