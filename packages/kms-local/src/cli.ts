#!/usr/bin/env node
/**
 * `strongroom-kms` — run kms-local from the command line.
 *
 *   strongroom-kms --data-dir ./.kms-local [--port 4599] [--host 127.0.0.1] [--region us-east-1]
 *                  [--account-id 111122223333] [--access-key-id AKID --secret-access-key-file FILE]
 *                  [--tls-cert FILE --tls-key FILE | --tls-dev] [--seed FILE] [--cors ORIGIN]...
 *
 * With an access key pair the server runs in strict SigV4 mode. The id comes from `--access-key-id` or
 * env KMS_LOCAL_ACCESS_KEY_ID; the secret from `--secret-access-key-file FILE`, env
 * KMS_LOCAL_SECRET_ACCESS_KEY, or a no-echo prompt on a terminal (@strongroom/node-files readServerSecret) — `--secret-access-key`
 * still works for scripts but warns, as `ps` shows it to every local user. Without a pair the server
 * warns on standard error and marks every response `x-strongroom-auth: none`. `--tls-cert/--tls-key`
 * serve HTTPS with that PEM pair; `--tls-dev` with a self-signed development certificate kept in the data directory (`tls-dev-cert.pem`: give it to
 * clients as their CA). `--hsm-clusters FILE` registers hsm-local clusters for custom key stores
 * (format: custom-key-store/registrations.ts; `<data-dir>/hsm-clusters.json` is read too).
 * `--seed FILE` makes the seed file's keys and aliases exist (YAML, or JSON for `.json`; see
 * docs/kms-local.md "Seed file") and takes its account and Region (`--region`/`--account-id`, when
 * given too, must agree). A refused seed exits with status 2 and the reason, changing nothing.
 * `--cors ORIGIN` (repeatable) answers CORS for that exact page origin (cors.ts); off by default.
 * `--stop-on-stdin-close` stops the server when standard input ends (for a starter that holds a pipe to it).
 */
import { parseArgs } from 'node:util';
import { StrongroomError } from '@strongroom/core';
import { MAX_BYTES, readBoundedTextFileSync } from '@strongroom/node-files';
import { parseHsmClusterRegistrations } from './custom-key-store/registrations';
import { onStopRequest, readServerSecret } from '@strongroom/node-files';
import { startKmsServer } from './server';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: '.kms-local' },
    port: { type: 'string', default: '4599' },
    host: { type: 'string', default: '127.0.0.1' },
    region: { type: 'string' },
    'account-id': { type: 'string' },
    seed: { type: 'string' },
    'access-key-id': { type: 'string' },
    'secret-access-key': { type: 'string' },
    'secret-access-key-file': { type: 'string' },
    'hsm-clusters': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-dev': { type: 'boolean' },
    cors: { type: 'string', multiple: true },
    'stop-on-stdin-close': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  process.stdout.write(
    'usage: strongroom-kms [--data-dir DIR] [--port N] [--host ADDR] [--region R] [--account-id ID]\n' +
      '                      [--access-key-id AKID --secret-access-key-file FILE] [--hsm-clusters FILE]\n' +
      '                      [--tls-cert FILE --tls-key FILE | --tls-dev] [--seed FILE] [--cors ORIGIN]...\n' +
      '  --region, --account-id   default us-east-1 / 111122223333, or the seed file\'s\n' +
      '  --seed FILE              keys, aliases, account and Region to create (YAML or .json; chmod 600 when it holds key material)\n' +
      '  --cors ORIGIN            let a page at this exact origin (e.g. http://localhost:5173) call the server from a browser; repeatable; off by default\n' +
      '  --stop-on-stdin-close    stop when standard input reaches end of file: a process that starts the server for its own use\n' +
      '                           holds a pipe to it, and the server cannot outlive that process however it ends\n',
  );
  process.exit(0);
}

const accessKeyId = values['access-key-id'] ?? process.env.KMS_LOCAL_ACCESS_KEY_ID;
let secretAccessKey: string | undefined;
try {
  secretAccessKey = await readServerSecret(
    {
      what: `secret access key for ${accessKeyId ?? 'the access key id'}`,
      argvFlag: '--secret-access-key', argv: values['secret-access-key'],
      fileFlag: '--secret-access-key-file', file: values['secret-access-key-file'],
      env: 'KMS_LOCAL_SECRET_ACCESS_KEY',
      prompt: accessKeyId !== undefined,
    },
    { program: 'strongroom-kms', env: process.env, input: process.stdin, output: process.stderr },
  );
} catch (error) {
  process.stderr.write(`strongroom-kms: ${(error as Error).message}\n`);
  process.exit(2);
}
if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
  process.stderr.write('strongroom-kms: give both an access key id and a secret access key (KMS_LOCAL_SECRET_ACCESS_KEY, --secret-access-key-file FILE, or a prompt on a terminal), or neither\n');
  process.exit(2);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`strongroom-kms: invalid --port ${values.port}\n`);
  process.exit(2);
}

if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined) || (values['tls-dev'] && values['tls-cert'] !== undefined)) {
  process.stderr.write('strongroom-kms: give both --tls-cert and --tls-key, or --tls-dev, or neither\n');
  process.exit(2);
}
// Files named on the command line: regular files under a cap (@strongroom/node-files), so a FIFO or
// /dev/zero cannot hang or exhaust the server before it starts.
let tls: { certPem: string; keyPem: string } | 'dev' | undefined;
let hsmClusters;
try {
  tls =
    values['tls-cert'] !== undefined
      ? { certPem: readBoundedTextFileSync(values['tls-cert'], { what: '--tls-cert', maxBytes: MAX_BYTES.pem }), keyPem: readBoundedTextFileSync(values['tls-key']!, { what: '--tls-key', maxBytes: MAX_BYTES.pem }) }
      : values['tls-dev']
        ? 'dev'
        : undefined;
  hsmClusters = values['hsm-clusters'] === undefined ? [] : parseHsmClusterRegistrations(readBoundedTextFileSync(values['hsm-clusters'], { what: '--hsm-clusters', maxBytes: MAX_BYTES.config }));
} catch (error) {
  if (!StrongroomError.isInstance(error)) throw error;
  process.stderr.write(`strongroom-kms: ${error.message}\n`);
  process.exit(2);
}
let server;
try {
  server = await startKmsServer({
    hsmClusters,
    dataDir: values['data-dir']!,
    port,
    host: values.host!,
    ...(values.region !== undefined && { region: values.region }),
    ...(values['account-id'] !== undefined && { accountId: values['account-id'] }),
    ...(values.seed !== undefined && { seed: values.seed }),
    ...(values.cors !== undefined && { cors: values.cors }),
    ...(tls !== undefined && { tls }),
    ...(accessKeyId !== undefined && { credentials: { accessKeyId, secretAccessKey: secretAccessKey! } }),
  });
} catch (error) {
  if (!StrongroomError.isInstance(error)) throw error;
  process.stderr.write(`strongroom-kms: ${error.message}\n`);
  process.exit(2);
}
if (server.seeded) {
  process.stdout.write(`kms-local seed ${values.seed}: created ${server.seeded.createdKeys.length} key(s) and ${server.seeded.createdAliases.length} alias(es)\n`);
}
process.stdout.write(`kms-local listening on ${server.endpoint} (account ${server.accountId}, region ${server.region}, ${accessKeyId ? 'strict SigV4' : 'any signature'})\n`);
if (tls === 'dev') process.stdout.write(`kms-local TLS: development certificate ${values['data-dir']}/tls-dev-cert.pem (trust it as the client's CA)\n`);
onStopRequest(() => void server.close().then(() => process.exit(0)), { stdinClose: values['stop-on-stdin-close'] });
