/**
 * `@strongroom/cli` — the `strongroom` command's library half (docs/architecture.md#the-dev-stack-and-the-main-job): the dev stack, its
 * config file, key URIs, and the backend comparison, shared by the CLI, `npm start` and the examples.
 *
 * @module \@strongroom/cli
 */
export {
  startDevStack,
  freePort,
  DEFAULT_DEV_PORTS,
  DEV_AZS,
  DEV_BUCKET,
  DEV_KEY_LABEL,
  DEV_KMS_ALIAS,
  type DevStack,
  type DevStackOptions,
  type DevStackPorts,
  type DevExternalS3,
} from './dev-stack';
export { loadS3rver, S3RVER_MISSING } from './local-s3';
export {
  loadDevConfig,
  parseDevConfig,
  resolveDevConfigPath,
  locateDevConfig,
  userConfigDir,
  CONFIG_ENV,
  DEV_CONFIG_FILE,
  type DevConfigSource,
  type DevConfig,
  type DevCksSection,
  type DevHsmSection,
  type DevKmsSection,
  type DevS3Section,
} from './dev-config';
export { connectDevHsm, hsmPems } from './clients';
export { kmsClientFor } from './kms-client';
export { s3ClientFor } from './s3-client';
export { parseKeyUri, formatKeyUri, KEY_URI_SCHEMES, MAX_KEY_URI_LENGTH, type KeyUri, type KeyUriKind } from './key-uri';
export { keyProviderFromUri, countingHsmBackend, decodeRawKey, RAW_AES_KEY_ENV, type OpenedProvider, type ProviderOptions } from './providers';
export { DEV_CKS_ALIAS, DEV_CKS_NAME } from './cks';
export { EXIT, exitCodeFor, formatError, type ExitCode } from './exit';
export { runComparison, COMPARE_BACKENDS, COMPARE_PROFILES, type CompareOptions, type CompareBackend } from './compare/run';
export { runCell, percentile, type CellResult, type CellSpec, type WorkloadBackend } from './compare/workload';
export { renderHtml, renderText, renderResultsTable, renderCostTable, renderMatrix, type CompareReport, type BackendStatus, type CostRow } from './compare/report';
export { DEFAULT_PRICES, DEFAULT_USAGE, mergePrices, monthlyCost, type PriceInputs, type UsageInputs, type CostLine } from './compare/pricing';
export { MATRIX, BACKEND_TITLES, type MatrixRow } from './compare/matrix';
