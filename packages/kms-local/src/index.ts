/**
 * `@strongroom/kms-local` — a local AWS KMS-compatible endpoint (docs/kms-local.md).
 *
 * @module \@strongroom/kms-local
 */
export { startKmsServer, type KmsServer, type KmsServerOptions } from './server';
export { createDevCertificate, type DevCertificate } from './dev-certificate';
export { DEV_CERT_FILE as KMS_DEV_CERT_FILE, type TlsOption } from './tls';
export { createLocalKeyMaterialStore, type KeyMaterialStore, type GcmParts } from './key-material';
export { createSigV4Verifier, type Credentials, type SigV4Verifier, type SignedRequest } from './sigv4';
export { parseCiphertext, CIPHERTEXT_VERSION, MAX_CIPHERTEXT_BLOB, type ParsedCiphertext } from './ciphertext';
export { serializeEncryptionContext } from './encryption-context';
export { KmsError } from './errors';
export { withCors, kmsCorsOptions, parseCorsOrigins, SDK_REQUEST_HEADERS, type CorsOptions } from './cors';
export type { Sealer } from './seal';
export {
  connectionErrorCode,
  type HsmClusterRegistration,
  type ConnectionState,
  type ConnectionErrorCode,
} from './custom-key-store/connections';
export { parseHsmClusterRegistrations } from './custom-key-store/registrations';
export { parseSeed, validateSeed, MAX_SEED_BYTES, MAX_SEED_KEYS, type KmsSeed, type SeedKey } from './seed/parse';
export { readSeedFile } from './seed/file';
export type { SeedOutcome } from './seed/apply';
