/** Local-server starters (no vitest dependency: usable from benchmarks and scripts too). */
export * from './hsm-cluster';
export * from './seeded-random';
export * from './kms-local';
export * from './kms-local-process';
export * from './rgw';
export { processRunning, spawnTied } from './tied-spawn';
