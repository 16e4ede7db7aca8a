/**
 * The qualitative side of `strongroom compare`: what each backend is, in production, beyond speed
 * and price. Statements follow AWS's public documentation (KMS and CloudHSM developer guides,
 * FIPS 140 certificates as listed on the pricing/FAQ pages) — see docs/choosing-a-backend.md.
 */
export interface MatrixRow {
  readonly aspect: string;
  readonly kms: string;
  readonly hsm: string;
  readonly cks: string;
  readonly pkcs11: string;
}

/** Display title of each `strongroom compare` backend, by backend name. */
export const BACKEND_TITLES: Readonly<Record<string, string>> = {
  kms: 'AWS KMS',
  hsm: 'HSM cluster (CloudHSM-style)',
  cks: 'KMS custom key store',
  pkcs11: 'PKCS#11 HSM',
};

export const LOCAL_STAND_INS: Readonly<Record<string, string>> = {
  kms: 'kms-local (KMS JSON 1.1 over HTTP, SigV4)',
  hsm: 'hsm-local 3-node cluster (mutual TLS, 3 AZ labels)',
  cks: 'kms-local custom key store on the hsm-local cluster',
  pkcs11: 'SoftHSMv2 through pkcs11js',
};

/**
 * The qualitative comparison matrix (tenancy, FIPS level, who holds the keys, availability) that `strongroom compare` prints next to its measurements.
 */
export const MATRIX: readonly MatrixRow[] = [
  {
    aspect: 'tenancy',
    kms: 'multi-tenant service; keys isolated per account',
    hsm: 'single-tenant HSMs in your VPC',
    cks: 'KMS front end (multi-tenant); key material on your single-tenant HSMs',
    pkcs11: 'whatever the module is (CloudHSM: single-tenant)',
  },
  {
    aspect: 'FIPS 140 level',
    kms: 'FIPS 140-3 Level 3 HSMs',
    hsm: 'FIPS 140-3 Level 3 (hsm2m.medium); hsm1.medium: 140-2 Level 3',
    cks: 'as the CloudHSM cluster (Level 3)',
    pkcs11: 'as the module; SoftHSMv2 is software, not validated',
  },
  {
    aspect: 'who holds the keys',
    kms: 'AWS KMS; plaintext key material never leaves its HSMs; access via IAM and key policies',
    hsm: 'you: crypto users own keys; AWS cannot use them; you manage users, quorum and backups',
    cks: 'your cluster holds the material (kmsuser); KMS uses it on your behalf, governed by key policies',
    pkcs11: 'you (token users and PINs)',
  },
  {
    aspect: 'HA model',
    kms: 'Regional, managed by AWS across AZs; multi-Region keys optional',
    hsm: 'you run ≥ 2 HSMs in ≥ 2 AZs; the client load-balances and fails over; keys replicate across the cluster',
    cks: 'needs ≥ 2 active HSMs in ≥ 2 AZs and a connected store; otherwise KMS requests fail',
    pkcs11: 'per vendor; one token locally',
  },
  {
    aspect: 'integrations',
    kms: 'most AWS services (S3 SSE-KMS, EBS, RDS, …), CloudTrail, the Encryption SDKs',
    hsm: 'PKCS#11, JCE, OpenSSL engine, KSP/CNG; AWS services only through a custom key store',
    cks: 'the KMS API: AWS services that use symmetric KMS keys; no asymmetric/HMAC keys, no automatic rotation',
    pkcs11: 'any PKCS#11 application',
  },
  {
    aspect: 'cost shape',
    kms: 'per key-month + per request (a data-key cache cuts requests)',
    hsm: 'per HSM-hour, flat; requests free up to the cluster’s capacity',
    cks: 'HSM-hours + KMS key-months + KMS requests',
    pkcs11: 'per HSM (CloudHSM: per HSM-hour)',
  },
];
