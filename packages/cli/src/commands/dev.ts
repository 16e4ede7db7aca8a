/**
 * `strongroom dev [--dir DIR] [--s3 s3rver|rgw]`: start the dev stack in the foreground, print the endpoints, run
 * until Ctrl-C, then stop every part (HSM node processes included). The default DIR is the config
 * file's directory (docs/cli.md#which-config-file: the user's config directory), so the other
 * commands find the dev.json it writes without being told.
 */
import { dirname } from 'node:path';
import { parseList, parsePositiveInt } from '../args';
import { DEFAULT_DEV_PORTS, startDevStack } from '../dev-stack';
import { UsageError } from '../exit';
import type { CliContext } from './context';

export interface DevOptions {
  dir?: string;
  hsmPorts?: string;
  kmsPort?: string;
  s3Port?: string;
  s3?: string;
  hsmShaping?: string;
}

export function describeStack(stack: { configPath: string; endpoints: { hsm: readonly string[]; kms: string; s3: string }; config: { kms: { alias: string; keyArn: string }; keyLabel: string; s3: { bucket: string }; cks: { available: boolean; reason?: string; alias?: string } } }): string[] {
  const c = stack.config;
  return [
    `HSM cluster   ${stack.endpoints.hsm.join('  ')}   (AZs az-a, az-b, az-c)`,
    `KMS           ${stack.endpoints.kms}   key ${c.kms.alias} (${c.kms.keyArn})`,
    `custom store  ${c.cks.available ? `key ${c.cks.alias}` : `not available: ${c.cks.reason}`}`,
    `S3            ${stack.endpoints.s3}   bucket ${c.s3.bucket}`,
    `config        ${stack.configPath}`,
    '',
    'try:',
    `  strongroom encrypt -i README.md -o /tmp/readme.enc --key kms://${c.kms.alias}`,
    `  strongroom decrypt -i /tmp/readme.enc -o - --key hsm://${c.keyLabel}   # fails: encrypted under KMS`,
    `  strongroom s3 cp README.md s3://${c.s3.bucket}/readme --key hsm://${c.keyLabel}`,
  ];
}

export async function runDev(ctx: CliContext, o: DevOptions): Promise<void> {
  const dir = o.dir ?? dirname(ctx.configPath);
  const port = (v: string, flag: string) => (v === '0' ? 0 : parsePositiveInt(v, flag, 65535));
  const hsm = o.hsmPorts ? parseList(o.hsmPorts, '--hsm-ports', (s) => port(s, '--hsm-ports'), 3) : [...DEFAULT_DEV_PORTS.hsm];
  if (hsm.length !== 3) throw new UsageError('--hsm-ports: give three ports, e.g. 7301,7302,7303');
  const s3 = o.s3 ?? 's3rver';
  if (s3 !== 's3rver' && s3 !== 'rgw') throw new UsageError('--s3: s3rver or rgw');
  process.stderr.write(`starting the dev stack in ${dir} …\n`);
  const stack = await startDevStack({
    dir,
    ports: { hsm, kms: o.kmsPort ? port(o.kmsPort, '--kms-port') : DEFAULT_DEV_PORTS.kms, s3: o.s3Port ? port(o.s3Port, '--s3-port') : DEFAULT_DEV_PORTS.s3 },
    ...(o.hsmShaping ? { hsmShaping: o.hsmShaping } : {}),
    s3,
    log: (line) => process.stderr.write(`  ${line}\n`),
  });
  ctx.print(`strongroom dev stack ${stack.created ? 'created' : 'resumed'} in ${stack.dir}`);
  for (const line of describeStack(stack)) ctx.print(line);
  if (stack.configPath !== ctx.configPath) ctx.print(`\nother commands read ${ctx.configPath}: pass --config ${stack.configPath} or export STRONGROOM_CONFIG=${stack.configPath}`);
  ctx.print('\nCtrl-C stops it; the next start reuses the state.');
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  process.stderr.write('stopping the dev stack …\n');
  await stack.stop();
  process.stderr.write('stopped.\n');
}
