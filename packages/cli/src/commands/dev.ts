/**
 * `strongroom dev [--dir DIR] [--s3 s3rver|rgw] [--s3-endpoint URL] [--cors ORIGIN]...`: start the dev stack in the foreground, print the endpoints, run
 * until Ctrl-C, then stop every part (HSM node processes included). The default DIR is the config
 * file's directory (docs/cli.md#which-config-file: the user's config directory), so the other
 * commands find the dev.json it writes without being told.
 */
import { dirname } from 'node:path';
import { parseList, parsePositiveInt } from '../args';
import { DEFAULT_DEV_PORTS, DEV_BUCKET, startDevStack, type DevExternalS3 } from '../dev-stack';
import { UsageError } from '../exit';
import type { CliContext } from './context';

export interface DevOptions {
  dir?: string;
  hsmPorts?: string;
  kmsPort?: string;
  s3Port?: string;
  s3?: string;
  hsmShaping?: string;
  kmsSeed?: string;
  s3Endpoint?: string;
  s3Bucket?: string;
  s3Region?: string;
  cors?: string[];
}

/** Page origins `strongroom dev` lets call kms-local and the local S3 unless told otherwise (examples/browser-upload serves there). */
export const DEFAULT_DEV_CORS = ['http://localhost:5173', 'http://127.0.0.1:5173'] as const;

/** `--cors`: the origins given (checked by the stack), `none` for no CORS, the defaults when absent. */
export function devCorsOrigins(given: readonly string[] | undefined): string[] {
  if (given === undefined || given.length === 0) return [...DEFAULT_DEV_CORS];
  if (given.includes('none')) {
    if (given.length > 1) throw new UsageError('--cors none turns CORS off; give it alone');
    return [];
  }
  return [...given];
}

/**
 * `--s3-endpoint`: a real S3 instead of the local one (s3rver need not be installed). Its credentials come
 * from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY — never from argv, which other users
 * can read) and are written to dev.json (0600) like the local stack's.
 */
export function externalS3(o: DevOptions, env: NodeJS.ProcessEnv = process.env): DevExternalS3 | undefined {
  if (o.s3Endpoint === undefined) {
    if (o.s3Bucket !== undefined || o.s3Region !== undefined) throw new UsageError('--s3-bucket and --s3-region go with --s3-endpoint');
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(o.s3Endpoint);
  } catch {
    // Not echoed: a mistyped value may hold a credential (https://KEY:SECRET@host with a / in the secret).
    throw new UsageError('--s3-endpoint: not a URL (e.g. https://s3.eu-west-1.amazonaws.com)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--s3-endpoint: give an http:// or https:// URL');
  if (url.username || url.password) throw new UsageError('--s3-endpoint: no credentials in the URL; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new UsageError('--s3-endpoint needs credentials in the environment: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  return {
    endpoint: url.href.replace(/\/$/, ''),
    region: o.s3Region ?? env.AWS_REGION ?? 'us-east-1',
    bucket: o.s3Bucket ?? DEV_BUCKET,
    accessKeyId,
    secretAccessKey,
  };
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
  const s3 = externalS3(o);
  if (s3 && o.s3Port) throw new UsageError('--s3-port is for the local S3; with --s3-endpoint there is none');
  const localS3 = o.s3 ?? 's3rver';
  if (localS3 !== 's3rver' && localS3 !== 'rgw') throw new UsageError('--s3: s3rver or rgw');
  if (s3 && o.s3 !== undefined) throw new UsageError('--s3 picks the local S3; with --s3-endpoint there is none');
  const cors = devCorsOrigins(o.cors);
  process.stderr.write(`starting the dev stack in ${dir} …\n`);
  const stack = await startDevStack({
    dir,
    ports: { hsm, kms: o.kmsPort ? port(o.kmsPort, '--kms-port') : DEFAULT_DEV_PORTS.kms, s3: o.s3Port ? port(o.s3Port, '--s3-port') : DEFAULT_DEV_PORTS.s3 },
    ...(o.hsmShaping ? { hsmShaping: o.hsmShaping } : {}),
    ...(o.kmsSeed ? { kmsSeed: o.kmsSeed } : {}),
    ...(s3 ? { s3 } : { localS3 }),
    cors,
    log: (line) => process.stderr.write(`  ${line}\n`),
  });
  ctx.print(`strongroom dev stack ${stack.created ? 'created' : 'resumed'} in ${stack.dir}`);
  for (const line of describeStack(stack)) ctx.print(line);
  if (cors.length > 0) ctx.print(`CORS          pages at ${cors.join(', ')} may call kms-local${s3 || localS3 === 'rgw' ? '' : ' and the local S3'} (--cors ORIGIN to change, --cors none for off)`);
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
