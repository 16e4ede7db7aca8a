/**
 * The flags of `strongroom compare`, registered without loading the comparison itself (./compare.ts
 * loads only when the command runs: the CLI starts fast for every other command and for --help).
 */
import type { Command } from 'commander';

export interface CompareCliOptions {
  backends?: string;
  payload?: string;
  concurrency?: string;
  cache?: string;
  duration?: string;
  trials?: string;
  profile?: string;
  html?: string;
  json?: boolean;
  stack?: string;
  workload?: string;
  peakOps?: string;
  opsPerMonth?: string;
  requestsPerMonth?: string;
  messageSize?: string;
  hitRate?: string;
  workloadCache?: string;
  keys?: string;
  regions?: string;
  keyType?: string;
  require?: string;
  keyHolder?: string;
  hsmCount?: string;
  prices?: string;
  limits?: string;
  rtt?: string;
  priceKmsKeyMonth?: string;
  priceKmsPer10k?: string;
  priceCloudhsmHour?: string;
}

/** The compare command's flags (registered here so the command and its options live together). */
export function registerCompare(program: Command, action: (o: CompareCliOptions) => Promise<void>): void {
  program
    .command('compare')
    .description('recommend a key backend for your workload: cost over volume, break-even, capacity, latency, measured locally in repeated trials')
    .option('--workload <file>', 'your workload as JSON (docs/choosing-a-backend.md#your-workload); flags below override it')
    .option('--peak-ops <n>', 'workload: peak operations per second (default 100)')
    .option('--ops-per-month <n>', 'workload: operations per month, e.g. 1e9 (default 10000000)')
    .option('--requests-per-month <n>', 'same as --ops-per-month')
    .option('--message-size <size>', 'workload: message size (default 1KiB)')
    .option('--workload-cache <on|off>', 'workload: data-key cache (default off)')
    .option('--hit-rate <rate>', 'workload: cache hit rate, 0.99 or 99% (implies --workload-cache on; default 0.99 when on)')
    .option('--keys <n>', 'workload: number of keys (default 10)')
    .option('--regions <list>', 'workload: Regions, e.g. us-east-1,eu-west-1 (default us-east-1)')
    .option('--key-type <type>', 'workload: symmetric | rsa | ecc (default symmetric)')
    .option('--require <list>', 'workload: fips-140-3-l3, single-tenancy, pkcs11, aws-integration')
    .option('--key-holder <who>', 'workload: aws (KMS may hold them) | own-hsm (material in your HSMs) | only-us (default aws)')
    .option('--prices <file>', 'price overrides (JSON; docs/cli.md#strongroom-compare)')
    .option('--limits <file>', 'quota and capacity overrides (JSON)')
    .option('--rtt <list>', 'assumed network round trip per backend, e.g. kms=5ms,hsm=1ms')
    .option('--price-kms-key-month <usd>', 'override: KMS key-month')
    .option('--price-kms-per-10k <usd>', 'override: KMS per 10,000 requests')
    .option('--price-cloudhsm-hour <usd>', 'override: CloudHSM HSM-hour')
    .option('--backends <list>', 'measure: kms,hsm,cks,pkcs11 (default kms,hsm,cks)')
    .option('--payload <sizes>', 'measure: payload sizes (default 1KiB)')
    .option('--concurrency <list>', 'measure: concurrent operations (default 1,16)')
    .option('--cache <list>', 'measure: data-key cache off,on (default off,on)')
    .option('--duration <time>', 'measure: per cell, split across the trials (default 10s)')
    .option('--trials <n>', 'measure: trials per cell (default 5)')
    .option('--profile <name>', 'measure: local | cloudhsm-hsm1 | cloudhsm-hsm2m (shaped HSM nodes)')
    .option('--stack <which>', 'measure: running (dev.json) or embedded (default: running if dev.json exists)')
    .option('--hsm-count <n>', 'measured-calls cost table: HSMs (default 2)')
    .option('--html <file>', 'write a self-contained HTML report with charts')
    .option('--json', 'print the whole report as JSON')
    .action(action);
}
