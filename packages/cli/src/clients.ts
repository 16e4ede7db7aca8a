/**
 * SDK clients and backend connections for the dev stack's endpoints (dev.json). Kept in one place
 * so the CLI, `npm start` and the examples configure the AWS SDK the same way — including the
 * s3rver settings of docs/s3.md#testing-against-s3rver: path-style URLs and
 * no aws-chunked request bodies.
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { connectHsmCluster, type HsmClusterClient } from '@strongroom/provider-hsm';
import type { DevConfig, DevHsmSection, DevKmsSection, DevS3Section } from './dev-config';

/** An S3Client for the dev stack's local S3 (or any endpoint of the same shape). */
export function s3ClientFor(s3: DevS3Section): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    // s3rver stores aws-chunked (streamed, checksummed) bodies verbatim: send plain bodies.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/**
 * A KMSClient for kms-local (SigV4 with the dev credentials; SDK retries left to the provider). Over
 * HTTPS the section's `caPath` is the only certificate trusted: the dev stack's kms-local serves a
 * certificate it generated, and no public CA can vouch for 127.0.0.1.
 */
export function kmsClientFor(kms: DevKmsSection): KMSClient {
  return new KMSClient({
    endpoint: kms.endpoint,
    region: kms.region,
    credentials: { accessKeyId: kms.accessKeyId, secretAccessKey: kms.secretAccessKey },
    maxAttempts: 1,
    ...(kms.caPath === undefined ? {} : { requestHandler: { httpsAgent: new Agent({ ca: readFileSync(kms.caPath, 'utf8'), keepAlive: true }) } }),
  });
}

/** The PEMs named by an `hsm` section. */
export function hsmPems(hsm: DevHsmSection): { trustAnchor: string; clientCert: { certPem: string; keyPem: string } } {
  return {
    trustAnchor: readFileSync(hsm.trustAnchorPath, 'utf8'),
    clientCert: { certPem: readFileSync(hsm.clientCertPath, 'utf8'), keyPem: readFileSync(hsm.clientKeyPath, 'utf8') },
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
    ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
  });
}
