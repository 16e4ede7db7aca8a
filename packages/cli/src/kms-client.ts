/**
 * The KMSClient of the dev stack's KMS section, apart from ./clients.ts so that commands without KMS
 * (an hsm:// or raw-aes:// key, `strongroom hsm`) never load the KMS SDK. Same deadlines as every CLI
 * client (./clients.ts).
 */
import { Agent } from 'node:https';
import { KMSClient } from '@aws-sdk/client-kms';
import { MAX_BYTES, readBoundedTextFileSync } from '@strongroom/node-files';
import { deadlines } from './clients';
import type { DevKmsSection } from './dev-config';

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
    requestHandler: { ...deadlines(), ...(kms.caPath === undefined ? {} : { httpsAgent: new Agent({ ca: readBoundedTextFileSync(kms.caPath, { what: 'dev config kms.caPath', maxBytes: MAX_BYTES.pem }), keepAlive: true }) }) },
  });
}
