/**
 * SDK clients and backend connections for the dev stack's endpoints (dev.json). Kept in one place
 * so the CLI, `npm start` and the examples configure the AWS SDK the same way — including the
 * s3rver settings of docs/s3.md#testing-against-s3rver: path-style URLs and
 * no aws-chunked request bodies.
 *
 * Every remote request has a deadline (docs/cli.md#timeouts): env STRONGROOM_TIMEOUT seconds
 * (default 30) bound the TCP connect and each silence of an S3 or KMS socket (the AWS SDK's
 * NodeHttpHandler `connectionTimeout`/`socketTimeout`: an idle timer, so a long upload that keeps
 * moving is never cut), each KMS attempt (provider-kms `retry.attemptTimeoutMs`), and each HSM call
 * (hsm-protocol `callTimeoutMs`). A hung peer — one that accepts the connection and never answers —
 * fails the command with a typed error instead of hanging it.
 */
import { StrongroomError } from '@strongroom/core';
import { MAX_BYTES, readBoundedTextFileSync } from '@strongroom/node-files';
import { connectHsmCluster, type HsmClusterClient } from '@strongroom/provider-hsm';
import type { DevConfig, DevHsmSection } from './dev-config';

/** The env variable holding the request deadline in seconds. */
export const TIMEOUT_ENV = 'STRONGROOM_TIMEOUT';
const DEFAULT_TIMEOUT_SECONDS = 30;

/**
 * The deadline of one remote request in ms, from env STRONGROOM_TIMEOUT (seconds, default 30).
 * @throws StrongroomError INVALID_ARGUMENT for a value that is not a positive number of seconds.
 */
export function requestTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[TIMEOUT_ENV];
  if (raw === undefined || raw === '') return DEFAULT_TIMEOUT_SECONDS * 1000;
  const seconds = /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!(seconds > 0) || seconds > 86_400) throw new StrongroomError('INVALID_ARGUMENT', `env ${TIMEOUT_ENV}: expected seconds between 0 and 86400 (e.g. 30), not ${JSON.stringify(raw.slice(0, 20))}`);
  return Math.ceil(seconds * 1000);
}

/** The AWS SDK transport settings every CLI client uses: connect and socket-silence deadlines. */
export function deadlines(): { connectionTimeout: number; socketTimeout: number } {
  const ms = requestTimeoutMs();
  return { connectionTimeout: ms, socketTimeout: ms };
}

/** The PEMs named by an `hsm` section (regular files of at most 256 KiB each: @strongroom/node-files). */
export function hsmPems(hsm: DevHsmSection): { trustAnchor: string; clientCert: { certPem: string; keyPem: string } } {
  const pem = (path: string, field: string) => readBoundedTextFileSync(path, { what: `dev config hsm.${field}`, maxBytes: MAX_BYTES.pem });
  return {
    trustAnchor: pem(hsm.trustAnchorPath, 'trustAnchorPath'),
    clientCert: { certPem: pem(hsm.clientCertPath, 'clientCertPath'), keyPem: pem(hsm.clientKeyPath, 'clientKeyPath') },
  };
}

/**
 * Connect to the dev HSM cluster as its crypto user.
 * @throws StrongroomError from connectHsmCluster (PROVIDER_ERROR when no node answers).
 */
export function connectDevHsm(config: Pick<DevConfig, 'hsm'>, options: { abortSignal?: AbortSignal; user?: string; password?: string } = {}): Promise<HsmClusterClient> {
  const { hsm } = config;
  return connectHsmCluster({
    nodes: hsm.nodes,
    az: hsm.az,
    ...hsmPems(hsm),
    user: options.user ?? hsm.user,
    password: options.password ?? hsm.password,
    failoverTimeoutMs: 3000,
    callTimeoutMs: requestTimeoutMs(),
    ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
  });
}
