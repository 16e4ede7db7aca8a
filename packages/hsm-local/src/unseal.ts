/**
 * Where a node's unseal key comes from (docs/hsm-cluster.md#operator-with-disk-access).
 *
 * - External secret (recommended): the operator supplies a secret from outside the data directory —
 *   the `STRONGROOM_HSM_UNSEAL_SECRET` environment variable, `--unseal-fd N` or `--unseal-file PATH` —
 *   and the node derives its 32-byte unseal key with scrypt (RFC 7914), salted with the cluster and
 *   node ids, so one secret yields a different key per node. Nothing in the data directory then opens
 *   the sealed state: a copy of the directory alone reveals no key material.
 * - Key file (default, for development): a random 32-byte `unseal.key` inside the data directory.
 *   Anyone who can read the directory can unseal the state; use it only where the disk is trusted.
 *
 * `node.json` records which one a node was initialized with, so a node set up with an external
 * secret never silently falls back to a key file planted in its directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { scryptSync } from 'node:crypto';
import { StrongroomError } from '@strongroom/core';
import { MAX_BYTES, readBoundedFdSync, readBoundedTextFileSync } from '@strongroom/node-files';

/** Environment variable holding a node's unseal secret. */
export const UNSEAL_SECRET_ENV = 'STRONGROOM_HSM_UNSEAL_SECRET';
export const UNSEAL_KEY_FILE = 'unseal.key';
const MIN_SECRET_CHARS = 16;

export interface UnsealIdentity {
  nodeId: string;
  clusterId: string;
  /** How the node was initialized; absent = key file (nodes created before external secrets). */
  unseal?: 'file' | 'external' | undefined;
}

/** Derive a node's unseal key from an external secret (scrypt N=2^15, r=8, p=1). */
export function deriveUnsealKey(secret: string, identity: UnsealIdentity): Buffer {
  if (secret.length < MIN_SECRET_CHARS) {
    throw new StrongroomError('INVALID_ARGUMENT', `the unseal secret must be at least ${MIN_SECRET_CHARS} characters (generate one with: openssl rand -base64 32)`);
  }
  return scryptSync(secret, `strongroom-hsm unseal ${identity.clusterId}/${identity.nodeId}`, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
}

/** The external secret from the environment, if set (empty = unset). */
export function unsealSecretFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = env[UNSEAL_SECRET_ENV];
  return v ? v : undefined;
}

/**
 * Read a secret from a file descriptor or a file outside the data directory (one trailing newline
 * removed). A file inside the data directory is refused: it would travel with every copy of it.
 */
export function readUnsealSecret(source: { fd?: number; file?: string }, dataDir: string): string {
  let text: string;
  if (source.fd !== undefined) {
    if (!Number.isInteger(source.fd) || source.fd < 0) throw new StrongroomError('INVALID_ARGUMENT', '--unseal-fd must be a file descriptor number');
    text = readBoundedFdSync(source.fd, { what: '--unseal-fd', maxBytes: MAX_BYTES.secret }).toString('utf8');
  } else if (source.file !== undefined) {
    const rel = relative(resolve(dataDir), resolve(source.file));
    if (!rel.startsWith('..') && !isAbsolute(rel)) {
      throw new StrongroomError('INVALID_ARGUMENT', `--unseal-file ${source.file} is inside the data directory; keep the unseal secret elsewhere (a copy of the directory must not carry it)`);
    }
    text = readBoundedTextFileSync(source.file, { what: '--unseal-file', maxBytes: MAX_BYTES.secret });
  } else throw new StrongroomError('INVALID_ARGUMENT', 'no unseal secret source given');
  return text.replace(/\r?\n$/, '');
}

/**
 * The node's unseal key: from `secret` (or the environment) when given, else from the key file.
 * @throws StrongroomError INVALID_ARGUMENT when a node initialized with an external secret gets none.
 */
export function resolveUnsealKey(dataDir: string, identity: UnsealIdentity, secret: string | undefined = unsealSecretFromEnv()): Buffer {
  if (identity.unseal === 'external') {
    if (!secret) {
      throw new StrongroomError('INVALID_ARGUMENT', `node ${identity.nodeId} was initialized with an external unseal secret: supply it via ${UNSEAL_SECRET_ENV}, --unseal-fd or --unseal-file`);
    }
    return deriveUnsealKey(secret, identity);
  }
  const path = join(dataDir, UNSEAL_KEY_FILE);
  if (!existsSync(path)) {
    if (secret) return deriveUnsealKey(secret, identity);
    throw new StrongroomError('IO_ERROR', `${path} is missing and no unseal secret was supplied (${UNSEAL_SECRET_ENV})`);
  }
  const key = readFileSync(path);
  if (key.length !== 32) throw new StrongroomError('IO_ERROR', `${path} must hold 32 bytes`);
  return key;
}
