/**
 * Key URIs: one string names a key and the backend that holds it (routing by URI prefix, after
 * tink-go's `core/registry/kms_client.go`). docs/cli.md#key-uris.
 *
 *   kms://<key-id | key ARN | alias/name | alias ARN>   AWS KMS or kms-local
 *   hsm://<label>                                       an AES key in the HSM cluster
 *   cks://<key-id | key ARN | alias/name>               a KMS key in a custom key store
 *   raw-aes://<namespace>/<name>                        a local AES key (bytes from a file or env)
 *   pkcs11://<label>                                    an AES key behind a PKCS#11 module
 *
 * The parser reads outside input, so it is strict: a length cap before any work, printable ASCII
 * only, no percent-encoding, query or fragment (so one key has exactly one spelling), an allowlist
 * of schemes and a grammar per scheme. Every failure is a StrongroomError INVALID_ARGUMENT with
 * `details.reason = 'KEY_URI'`.
 */
import { StrongroomError } from '@strongroom/core';

/** A parsed key URI: which backend holds the key and how it is named there (docs/cli.md#key-uris). */
export type KeyUri =
  | { readonly kind: 'kms'; readonly keyId: string }
  | { readonly kind: 'cks'; readonly keyId: string }
  | { readonly kind: 'hsm'; readonly label: string }
  | { readonly kind: 'pkcs11'; readonly label: string }
  | { readonly kind: 'raw-aes'; readonly namespace: string; readonly name: string };

/** The backend a key URI names: `kms`, `cks`, `hsm`, `pkcs11` or `raw-aes`. */
export type KeyUriKind = KeyUri['kind'];

/** The schemes, in the order the CLI documents them. */
export const KEY_URI_SCHEMES: readonly KeyUriKind[] = ['kms', 'hsm', 'cks', 'raw-aes', 'pkcs11'];

/** Longest key URI accepted (an alias ARN is at most ~330 characters). */
export const MAX_KEY_URI_LENGTH = 512;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MRK = /^mrk-[0-9a-f]{32}$/;
// AWS: alias names are 1–256 characters of [a-zA-Z0-9/_-] after "alias/".
const ALIAS = /^alias\/[A-Za-z0-9/_-]{1,250}$/;
const ARN = /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):kms:([a-z]{2}(-[a-z]+)+-\d):(\d{12}):(key\/.+|alias\/.+)$/;
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,126}$/;
const RAW_PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function bad(input: string, message: string): StrongroomError {
  const shown = input.length > 80 ? `${input.slice(0, 77)}...` : input;
  return new StrongroomError('INVALID_ARGUMENT', `bad key URI ${JSON.stringify(shown)}: ${message}`, { details: { reason: 'KEY_URI' } });
}

function isKmsKeyId(id: string): boolean {
  if (UUID.test(id) || MRK.test(id) || ALIAS.test(id)) return true;
  const m = ARN.exec(id);
  if (!m) return false;
  const resource = m[5]!;
  if (resource.startsWith('key/')) {
    const k = resource.slice(4);
    return UUID.test(k) || MRK.test(k);
  }
  return ALIAS.test(resource);
}

/**
 * Parse a key URI.
 * @example parseKeyUri('kms://alias/strongroom-dev') // { kind: 'kms', keyId: 'alias/strongroom-dev' }
 * @throws StrongroomError INVALID_ARGUMENT (details.reason 'KEY_URI') for anything else.
 */
export function parseKeyUri(input: unknown): KeyUri {
  if (typeof input !== 'string') throw new StrongroomError('INVALID_ARGUMENT', 'key URI: expected a string', { details: { reason: 'KEY_URI' } });
  if (input.length === 0) throw bad(input, 'empty; use e.g. kms://alias/my-key or hsm://my-label');
  if (input.length > MAX_KEY_URI_LENGTH) throw bad(input, `longer than ${MAX_KEY_URI_LENGTH} characters`);
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) throw bad(input, 'only printable ASCII without spaces is allowed');
  }
  const sep = input.indexOf('://');
  if (sep <= 0) throw bad(input, `expected <scheme>://..., with scheme one of ${KEY_URI_SCHEMES.join(', ')}`);
  const scheme = input.slice(0, sep);
  const rest = input.slice(sep + 3);
  if (!(KEY_URI_SCHEMES as readonly string[]).includes(scheme)) throw bad(input, `unknown scheme "${scheme}"; use one of ${KEY_URI_SCHEMES.join(', ')}`);
  if (/[?#%]/.test(rest)) throw bad(input, 'query strings, fragments and percent-encoding are not allowed');
  if (rest.length === 0) throw bad(input, 'nothing after the scheme');
  switch (scheme as KeyUriKind) {
    case 'kms':
    case 'cks':
      if (!isKmsKeyId(rest)) throw bad(input, 'expected a KMS key id, key ARN or alias/<name>');
      return { kind: scheme as 'kms' | 'cks', keyId: rest };
    case 'hsm':
    case 'pkcs11':
      if (!LABEL.test(rest)) throw bad(input, 'expected a key label of 1-127 characters [A-Za-z0-9._-]');
      return { kind: scheme as 'hsm' | 'pkcs11', label: rest };
    case 'raw-aes': {
      const parts = rest.split('/');
      if (parts.length !== 2 || !RAW_PART.test(parts[0]!) || !RAW_PART.test(parts[1]!)) {
        throw bad(input, 'expected raw-aes://<namespace>/<name>, each 1-128 characters [A-Za-z0-9._-]');
      }
      if (parts[0]!.startsWith('aws-kms')) throw bad(input, 'the namespace "aws-kms" is reserved for KMS');
      return { kind: 'raw-aes', namespace: parts[0]!, name: parts[1]! };
    }
  }
}

/** The canonical spelling of a key URI (`parseKeyUri(formatKeyUri(u))` equals `u`). */
export function formatKeyUri(uri: KeyUri): string {
  switch (uri.kind) {
    case 'kms':
    case 'cks':
      return `${uri.kind}://${uri.keyId}`;
    case 'hsm':
    case 'pkcs11':
      return `${uri.kind}://${uri.label}`;
    case 'raw-aes':
      return `raw-aes://${uri.namespace}/${uri.name}`;
  }
}
