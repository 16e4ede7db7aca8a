/**
 * TLS for kms-local (RFC 8446 via node:https): a certificate and key given by the caller, or a
 * development certificate generated once into the data directory (`tls-dev-cert.pem`, and
 * `tls-dev-key.pem` created exclusively with mode 0600) and reused, so clients keep trusting it
 * across restarts. It is regenerated when it no longer names the listen address or has expired.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { writeFileAtomic } from './data-dir';
import { createDevCertificate } from './dev-certificate';

/** The development certificate's file in the data directory (clients trust it as their CA). */
export const DEV_CERT_FILE = 'tls-dev-cert.pem';

/** HTTPS for kms-local: a PEM certificate and key, or `'dev'` for a self-signed development certificate. */
export type TlsOption = { readonly certPem: string; readonly keyPem: string } | 'dev';

export interface TlsMaterial {
  readonly certPem: string;
  readonly keyPem: string;
}

function covers(certPem: string, names: readonly string[], now: number): boolean {
  try {
    const x = new X509Certificate(certPem);
    if (Date.parse(x.validTo) <= now + 86_400_000) return false;
    return names.every((n) => (isIP(n) ? x.checkIP(n) !== undefined : x.checkHost(n) !== undefined));
  } catch {
    return false;
  }
}

/** The certificate and key to serve. @throws when a given pair is not PEM of a certificate. */
export async function tlsMaterial(option: TlsOption, dataDir: string, names: readonly string[]): Promise<TlsMaterial> {
  if (option !== 'dev') {
    new X509Certificate(option.certPem); // fail at start, with Node's message, on a malformed certificate
    return option;
  }
  const certPath = join(dataDir, DEV_CERT_FILE);
  const keyPath = join(dataDir, 'tls-dev-key.pem');
  const wildcard = names.filter((n) => n !== '0.0.0.0' && n !== '::' && n !== '');
  const existing = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]).catch(() => undefined);
  if (existing && covers(existing[0], wildcard, Date.now())) return { certPem: existing[0], keyPem: existing[1] };
  const made = createDevCertificate({ hostNames: wildcard });
  await writeFileAtomic(keyPath, made.keyPem, 0o600);
  await writeFileAtomic(certPath, made.certPem, 0o644);
  return made;
}
