#!/usr/bin/env node
/**
 * `strongroom` — the command line (docs/cli.md). Every error is one line on stderr and a documented
 * exit code (./exit.ts); `--verbose` adds stacks. Data goes to stdout only when asked (`-o -`).
 */
import { setMaxListeners } from 'node:events';
import { Command, CommanderError } from 'commander';
import { parseSize } from './args';
import { EXIT, exitCodeFor, formatError, formatVerbose } from './exit';
import { registerCompare } from './commands/compare-options';
import { createCliContext, type CliContext } from './commands/context';

// Each command's implementation (and with it the AWS SDK, the S3 and HSM clients, the dev stack) is
// imported when that command runs, not at start: `--help`, a usage error or one command load only
// what they use (docs/cli.md#start-up).
const crypt = () => import('./commands/crypt');
const dev = () => import('./commands/dev');
const hsmCommands = () => import('./commands/hsm');
const kms = () => import('./commands/kms');
const s3Cp = () => import('./commands/s3');
const s3Cleanup = () => import('./commands/s3-cleanup');
const s3Rewrap = () => import('./commands/s3-rewrap');
const compare = () => import('./commands/compare');

// The AWS SDK prints a NodeVersionSupportWarning on every run under Node 20 (its releases after early
// January 2027 need Node 22; docs/compatibility.md#nodejs); a CLI user cannot act on it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const controller = new AbortController();
// Every in-flight operation listens on it (compare runs up to 256 at once).
setMaxListeners(0, controller.signal);
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (interrupted) process.exit(EXIT.INTERRUPTED); // second Ctrl-C: leave now
    interrupted = true;
    controller.abort(new Error(`received ${sig}`));
  });
}

// `strongroom … | head`: the reader closed the pipe. Stop quietly with 128 + SIGPIPE, as a shell
// reports a tool killed by SIGPIPE (Node ignores the signal, so the write fails with EPIPE instead).
// Only stdout's own EPIPE: a backend socket's EPIPE is an error worth a message.
let stdoutClosed = false;
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') return;
  stdoutClosed = true;
  process.exit(EXIT.BROKEN_PIPE);
});

const collect = (value: string, previous: string[] = []) => [...previous, value];

function build(run: (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>): Command {
  const program = new Command('strongroom')
    .description('Client-side encryption with keys in KMS, an HSM cluster or a KMS custom key store')
    .option('--config <path>', 'dev config file (default: env STRONGROOM_CONFIG, else $XDG_CONFIG_HOME/strongroom/dev.json or ~/.config/strongroom/dev.json; never ./.strongroom)')
    .option('--verbose', 'print stacks and causes on errors')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: () => {} });

  const keyOpts = (c: Command) =>
    c
      .requiredOption('--key <uri>', 'key URI: kms://<key-id|alias/name>, hsm://<label>, cks://<key-id|alias/name>, raw-aes://<ns>/<name>, pkcs11://<label>')
      .option('--context <k=v>', 'encryption context pair (repeatable)', collect)
      .option('--key-file <path>', 'raw-aes:// key bytes (raw, base64 or hex); or env STRONGROOM_RAW_AES_KEY');

  for (const mode of ['encrypt', 'decrypt'] as const) {
    keyOpts(
      program
        .command(mode)
        .description(`${mode} a file or a pipe (AWS Encryption SDK message format)`)
        .requiredOption('-i, --input <file>', 'input file, or - for stdin')
        .requiredOption('-o, --output <file>', 'output file, or - for stdout'),
    ).action((o) => run(async (ctx) => (await crypt()).runCrypt(ctx, mode, o)));
  }

  const s3 = program.command('s3').description('encrypted S3 transfers');
  keyOpts(
    s3
      .command('cp <source> <destination>')
      .description('copy a local file (or -) to s3://bucket/key, encrypting it, or back, decrypting it')
      .option('--format <format>', 'object format written: framed (default: streamed and ranged reads authenticated, bound to bucket/key), v3 or v2 (S3 Encryption Client, for its readers)')
      .option('--part-size <size>', 'multipart part size (default 5MiB, more for inputs over 48 GiB), or plaintext per ranged GET of a framed download (default 2MiB)')
      .option('--concurrency <n>', 'parts uploaded (default 2), or ranged GETs of a framed download (default 4), at once'),
  ).action((source: string, destination: string, o) =>
    run(async (ctx) => (await s3Cp()).runS3Cp(ctx, source, destination, { ...o, ...(o.partSize ? { partSize: parseSize(o.partSize, '--part-size') } : {}) })),
  );

  s3
    .command('cleanup <target>')
    .description('abort stale multipart uploads that strongroom started under s3://bucket[/prefix] (not uploads of other clients)')
    .option('--older-than <age>', 'only uploads started at least this long ago, e.g. 12h or 7d (default 1d; 0 = all)')
    .option('--dry-run', 'list what would be aborted, abort nothing')
    .action((target: string, o) => run(async (ctx) => (await s3Cleanup()).runS3Cleanup(ctx, target, o)));

  keyOpts(
    s3
      .command('rewrap <target>')
      .description('re-wrap the data key of s3://bucket/key from --key to --to, without rewriting the body (key rotation)')
      .requiredOption('--to <uri>', 'the key URI to wrap the data key with from now on')
      .option('--to-context <k=v>', 'encryption context of the new wrap (kms:// and cks:// only; default: --context)', collect)
      .option('--to-key-file <path>', 'raw-aes:// key bytes of --to (default: --key-file)'),
  ).action((target: string, o) => run(async (ctx) => (await s3Rewrap()).runS3Rewrap(ctx, target, o)));

  program
    .command('dev')
    .description('start the local dev stack: 3-node HSM cluster, kms-local, custom key store, local S3')
    .option('--dir <dir>', 'state directory (default: the config file’s directory, ~/.config/strongroom)')
    .option('--hsm-ports <p1,p2,p3>', 'HSM node ports (default 7301,7302,7303)')
    .option('--kms-port <port>', 'kms-local port (default 4599)')
    .option('--s3-port <port>', 'local S3 port (default 4569)')
    .option('--s3 <server>', 'local S3: s3rver (default, built in) or rgw (Ceph RADOS Gateway, a real S3; needs apt-get install radosgw ceph-mon ceph-osd)')
    .option('--s3-endpoint <url>', 'use this S3 (a real one) instead of the local s3rver; credentials from env AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY')
    .option('--s3-bucket <name>', 'bucket on --s3-endpoint (default strongroom-dev; must exist)')
    .option('--s3-region <region>', 'region of --s3-endpoint (default env AWS_REGION, else us-east-1)')
    .option('--hsm-shaping <profile>', 'shape the HSM nodes like hsm1.medium or hsm2m.medium')
    .option('--kms-seed <file>', 'kms-local seed file: keys with fixed ids/aliases, account and Region (docs/kms-local.md)')
    .option('--cors <origin>', 'page origin allowed to call kms-local and the local S3 from a browser (repeatable; default http://localhost:5173 and http://127.0.0.1:5173; "none" turns CORS off)', (v: string, prev: string[] = []) => [...prev, v])
    .action((o) => run(async (ctx) => (await dev()).runDev(ctx, o)));

  const hsm = program.command('hsm').description('administer the dev HSM cluster');
  hsm
    .command('users <action> [name]')
    .description('list | create <name> | delete <name> | unlock <name> (create: the password from --password-file, env STRONGROOM_HSM_NEW_PASSWORD or a no-echo prompt)')
    .option('--role <role>', 'crypto-user (default) or admin')
    .option('--password-file <file>', 'file holding the new password (one line)')
    .option('--password-env <var>', 'env variable holding the new password (default STRONGROOM_HSM_NEW_PASSWORD)')
    .option('--approver <admin=keyfile>', 'quorum approval: an admin and its quorum key file (repeat for M of N)', collect, [])
    .action((action: string, name: string | undefined, o) => run(async (ctx) => (await hsmCommands()).hsmUsers(ctx, action, name, o)));
  hsm
    .command('keys <action>')
    .description('list | create --label L | delete --label L')
    .option('--label <label>', 'key label')
    .action((action: string, o) => run(async (ctx) => (await hsmCommands()).hsmKeys(ctx, action, o)));
  hsm
    .command('quorum <action> [service] [value]')
    .description('get | set <service> <m> | register-key --key-file F (generate or read an admin quorum key and register its public key)')
    .option('--key-file <path>', 'register-key: the admin\'s quorum private key (created 0600 when missing, never overwritten)')
    .option('--user <admin>', 'act as this admin instead of the config\'s (password from --password-env)')
    .option('--password-env <var>', 'env variable holding that admin\'s password (default STRONGROOM_HSM_ADMIN_PASSWORD)')
    .option('--approver <admin=keyfile>', 'quorum approval: an admin and its quorum key file (repeat for M of N)', collect, [])
    .action((action: string, service: string | undefined, value: string | undefined, o) => run(async (ctx) => (await hsmCommands()).hsmQuorum(ctx, action, service, value, o)));
  hsm.command('backup').description('write an encrypted backup on a node').action(() => run(async (ctx) => (await hsmCommands()).hsmBackup(ctx)));
  hsm
    .command('restore')
    .description('restore a node from a backup (dev stack stopped)')
    .requiredOption('--backup <file>', 'backup file')
    .option('--node <index>', 'node index counted from 0, in dev.json order: 0, 1, 2 = az-a, az-b, az-c (default 0)')
    .action((o) => run(async (ctx) => (await hsmCommands()).hsmRestore(ctx, o)));
  hsm
    .command('audit <action> [file]')
    .description('verify [file]: check the audit logs’ MAC chains and sealed heads (every node by default)')
    .action((action: string, file?: string) =>
      run(async (ctx) => {
        if (action !== 'verify') throw new CommanderError(EXIT.USAGE, 'strongroom.usage', `hsm audit: unknown action ${action} (verify)`);
        return (await (await hsmCommands()).hsmAuditVerify(ctx, file)) ? EXIT.OK : EXIT.DATA;
      }),
    );
  hsm
    .command('sync <action>')
    .description('status: per-node health and replication state')
    .action((action: string) =>
      run(async (ctx) => {
        if (action !== 'status') throw new CommanderError(EXIT.USAGE, 'strongroom.usage', `hsm sync: unknown action ${action} (status)`);
        return (await hsmCommands()).hsmSyncStatus(ctx);
      }),
    );

  program
    .command('kms <action> [args...]')
    .description('create-key [--alias A] [--custom-key-store ID] | list-keys | aliases [list|create|delete] | custom-key-stores [list|create|connect|disconnect]')
    .option('--alias <alias>', 'alias/<name> for create-key')
    .option('--description <text>', 'key description')
    .option('--custom-key-store <id>', 'create the key in this custom key store')
    .option('--kmsuser-password-file <file>', 'custom-key-stores create: file holding the kmsuser password (else env STRONGROOM_KMSUSER_PASSWORD or a prompt)')
    .action((action: string, args: string[], o) => run(async (ctx) => (await kms()).kmsCommand(ctx, action, args, o)));

  registerCompare(program, (o) => run(async (ctx) => (await compare()).runCompareCommand(ctx, o)));
  return program;
}

async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.OK;
  let verbose = argv.includes('--verbose');
  const run = async (fn: (ctx: CliContext) => Promise<number | void>) => {
    const opts = program.opts<{ config?: string; verbose?: boolean }>();
    verbose = opts.verbose === true;
    const ctx = createCliContext(opts, controller.signal);
    const result = await fn(ctx);
    if (typeof result === 'number') code = result;
  };
  const program = build(run);
  try {
    await program.parseAsync(argv, { from: 'user' });
    if (interrupted && code === EXIT.OK && !argv.includes('dev')) code = EXIT.INTERRUPTED;
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.OK;
      if (error.code === 'commander.executeSubCommandAsync') return EXIT.OK;
      process.stderr.write(`strongroom: ${error.message.replace(/^error: /, '').replace(/\s+/g, ' ').trim()} (see --help) [USAGE]\n`);
      return EXIT.USAGE;
    }
    if (stdoutClosed) return EXIT.BROKEN_PIPE;
    const exit = interrupted ? EXIT.INTERRUPTED : exitCodeFor(error);
    process.stderr.write(`strongroom: ${interrupted ? 'interrupted [ABORTED]' : formatError(error)}\n`);
    if (verbose) process.stderr.write(`${formatVerbose(error)}\n`);
    return exit;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Open handles (SDK keep-alive sockets) must not keep a finished command alive.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (error: unknown) => {
    process.stderr.write(`strongroom: ${formatError(error)}\n`);
    process.exit(EXIT.INTERNAL);
  },
);
