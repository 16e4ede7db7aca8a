/**
 * Quorum approval keys for `strongroom hsm quorum …`: an admin's ECDSA P-256 key pair (the private
 * half stays with the admin, the public half is registered on the HSM), and the approvals the CLI
 * collects for one quorum-governed operation: a token for that exact operation and its arguments,
 * signed by each approver's key. AWS CloudHSM's flow:
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/quorum-auth-chsm-cli.html
 */
import { closeSync, constants, fsyncSync, linkSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { MAX_BYTES, readBoundedTextFileSync } from '@strongroom/node-files';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { StrongroomError } from '@strongroom/core';
import type { HsmNodeConnection, QuorumArgs, QuorumTokenRequest } from '@strongroom/hsm-protocol';
import { UsageError } from '../exit';

/**
 * Write `pem` to `path` without ever replacing an existing file: a temp file with an unpredictable
 * name in the same directory, created O_CREAT|O_EXCL|O_NOFOLLOW with mode 0600, synced, then linked
 * into place (link fails if `path` exists), so a crash leaves either nothing or the whole key.
 */
function writeSecretFile(path: string, pem: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(12).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, pem);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
  } finally {
    unlinkSync(tmp);
  }
}

function readPrivateKey(path: string): string {
  // A regular file of PEM size: a FIFO or device named as the key cannot hang the command.
  const pem = readBoundedTextFileSync(path, { what: 'quorum key', maxBytes: MAX_BYTES.pem });
  try {
    const k = createPrivateKey(pem);
    if (k.asymmetricKeyType !== 'ec') throw new Error('not an EC key');
  } catch (cause) {
    throw new StrongroomError('INVALID_ARGUMENT', `${path} is not an EC private key (PKCS#8 PEM); give a key written by "strongroom hsm quorum register-key"`, { cause });
  }
  return pem;
}

/**
 * The admin's quorum key at `path`: read it when the file exists, otherwise generate a P-256 pair and
 * write the private key there (0600, never over an existing file). Returns the public key (SPKI PEM).
 */
export function loadOrCreateQuorumKey(path: string): { publicKeyPem: string; created: boolean } {
  let created = false;
  let pem: string;
  try {
    pem = readPrivateKey(path);
  } catch (e) {
    if (!StrongroomError.isInstance(e, 'IO_ERROR')) throw e;
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    writeSecretFile(path, pem);
    created = true;
  }
  const publicKeyPem = createPublicKey(createPrivateKey(pem)).export({ type: 'spki', format: 'pem' }) as string;
  return { publicKeyPem, created };
}

/** `--approver user=keyfile` values → approvers. */
export function parseApprovers(values: readonly string[] | undefined): Array<{ user: string; keyFile: string }> {
  return (values ?? []).map((v) => {
    const eq = v.indexOf('=');
    if (eq <= 0 || eq === v.length - 1) throw new UsageError(`--approver ${v}: expected <admin>=<quorum key file>`);
    return { user: v.slice(0, eq), keyFile: v.slice(eq + 1) };
  });
}

/**
 * Approvals for `request` (none when no approver is named): a token for the exact operation and
 * arguments from the node, signed with each approver's key.
 */
export async function collectApprovals(c: HsmNodeConnection, request: QuorumTokenRequest, approvers: ReadonlyArray<{ user: string; keyFile: string }>): Promise<QuorumArgs> {
  if (approvers.length === 0) return {};
  const { token } = await c.call('quorum.tokenGenerate', request);
  return {
    quorumToken: token,
    approvals: approvers.map((a) => ({ user: a.user, signature: sign('sha256', token, { key: readPrivateKey(a.keyFile), dsaEncoding: 'der' }) })),
  };
}
