/**
 * The one-command dev stack (docs/cli.md, `strongroom dev`), as a library so that `strongroom dev`, `npm start` and
 * the examples' tests share one implementation:
 *
 *  - a 3-node hsm-local cluster (AZ labels az-a/az-b/az-c, node processes over mutual TLS), with an
 *    activated admin, a crypto user and an AES-256 wrapping key;
 *  - kms-local in this process (strict SigV4 with dev credentials) with a symmetric key and alias;
 *  - a connected custom key store on the cluster (crypto user kmsuser) with a KMS key and alias
 *    (./cks.ts; if its set-up fails, the rest of the stack still starts and dev.json says why);
 *  - a local S3 with one bucket: s3rver in this process (the zero-install default; an optional
 *    dependency loaded on demand: ./local-s3.ts), or with `localS3: 'rgw'` Ceph's RADOS Gateway, a real S3
 *    implementation (one monitor, one in-memory OSD; its objects live only as long as the stack) — or,
 *    with `s3`, an S3 endpoint of the caller's (a real S3) instead.
 *
 * The first start creates everything under `dir`; later starts reuse it (state.json records what was
 * created, so a start interrupted half-way resumes). Endpoints and dev credentials are written to
 * `<dir>/dev.json` (see dev-config.ts). `stop()` stops every part and every child process.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand } from '@aws-sdk/client-kms';
import { StrongroomError } from '@strongroom/core';
import { freeListenPort, initCluster, loadCluster, startHsmNode, type StartedHsmNode } from '@strongroom/hsm-local';
import { connectHsmNode } from '@strongroom/hsm-protocol';
import { KMS_DEV_CERT_FILE, parseCorsOrigins, startKmsServer, type KmsServer } from '@strongroom/kms-local';
import type { HsmClusterClient } from '@strongroom/provider-hsm';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { LocalRgw } from '@strongroom/testing/servers';
import { setUpCustomKeyStore, type CksState } from './cks';
import { connectDevHsm } from './clients';
import { kmsClientFor } from './kms-client';
import { s3ClientFor } from './s3-client';
import { DEV_CONFIG_FILE, parseDevConfig, type DevCksSection, type DevConfig } from './dev-config';
import { loadS3rver, startLocalS3, type LocalS3 } from './local-s3';
import { writePrivateFile } from './private-file';

/** The AZ labels of the dev cluster's three nodes. */
export const DEV_AZS = ['az-a', 'az-b', 'az-c'] as const;
/** Label of the AES key the dev stack creates in the HSM cluster (`hsm://strongroom-dev-kek`). */
export const DEV_KEY_LABEL = 'strongroom-dev-kek';
/** Alias of the KMS key the dev stack creates in kms-local (`kms://alias/strongroom-dev`). */
export const DEV_KMS_ALIAS = 'alias/strongroom-dev';
/** The bucket the dev stack creates in its local S3. */
export const DEV_BUCKET = 'strongroom-dev';
/** Fixed ports `strongroom dev` uses by default. */
export const DEFAULT_DEV_PORTS = { hsm: [7301, 7302, 7303], kms: 4599, s3: 4569 } as const;

/** Which local S3 the dev stack starts when no `s3` endpoint is given. */
export type DevS3Kind = 's3rver' | 'rgw';

/** Ports of the dev stack's servers (0 picks a free port). */
export interface DevStackPorts {
  /** One port per HSM node; 0 picks a free port. */
  hsm?: readonly [number, number, number] | readonly number[];
  kms?: number;
  s3?: number;
}

/** Options of {@link startDevStack}: its directory, ports, HSM shaping profile, log, abort signal. */
export interface DevStackOptions {
  /** State directory (created on first start). */
  dir: string;
  /** Default: all 0 (ephemeral). `strongroom dev` passes DEFAULT_DEV_PORTS. */
  ports?: DevStackPorts;
  /** The local S3 when no `s3` endpoint is given: `s3rver` (default, in this process) or `rgw` (Ceph RGW, where installed). */
  localS3?: DevS3Kind;
  /** hsm-local shaping profile for the nodes (e.g. `hsm2m.medium`); off by default. */
  hsmShaping?: string;
  /**
   * A kms-local seed file (docs/kms-local.md "Seed file"): its keys and aliases are created with
   * fixed ids, and kms-local takes its account and Region. Pass the same file on every start.
   */
  kmsSeed?: string;
  /** Progress lines ("starting HSM node az-a …"). */
  log?: (line: string) => void;
  abortSignal?: AbortSignal;
  /** Use this S3 endpoint (a real S3) instead of starting s3rver; the bucket must exist. */
  s3?: DevExternalS3;
  /**
   * Page origins (exact, e.g. `http://localhost:5173`) allowed to call kms-local and the local s3rver
   * from a browser (CORS: the origin echoed, never `*`, never credentials). Default: none. A caller's
   * own S3 (`s3`) or RGW keep their own CORS settings.
   */
  cors?: readonly string[];
}

/** An S3 endpoint of the caller's, written to dev.json's `s3` section as given. */
export interface DevExternalS3 {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** A running dev stack: its directory, config and config path, endpoints, and its kms-local and HSM nodes. */
export interface DevStack {
  readonly dir: string;
  /** `<dir>/dev.json` */
  readonly configPath: string;
  readonly config: DevConfig;
  readonly endpoints: { readonly hsm: readonly string[]; readonly kms: string; readonly s3: string };
  /** True when this start created the stack (first start). */
  readonly created: boolean;
  /** The in-process kms-local server (request counters). */
  readonly kms: KmsServer;
  readonly hsmNodes: readonly StartedHsmNode[];
  /** Stop everything (idempotent). */
  stop(): Promise<void>;
}

interface DevState {
  version: 1;
  initialAdminPassword: string;
  adminPassword?: string;
  appUser: string;
  appPassword: string;
  kmsuserPassword: string;
  kmsuserCreated?: boolean;
  kmsAccessKeyId: string;
  kmsSecretAccessKey: string;
  adminActivated?: boolean;
  appUserCreated?: boolean;
  hsmKeyCreated?: boolean;
  kmsKeyArn?: string;
  cks?: CksState;
}

/**
 * hsm-local's node binary. Resolved through its package.json rather than relative to this module,
 * so that it is found whether this code runs from source, from dist, or bundled into dist/cli.mjs.
 */
export function hsmNodeCliPath(): string {
  const req = createRequire(typeof __filename === 'string' ? pathToFileURL(__filename) : import.meta.url);
  return join(dirname(req.resolve('@strongroom/hsm-local/package.json')), 'dist', 'cli.mjs');
}

/** dev.json and state.json hold dev secrets: written through ./private-file.ts (0600, exclusive, renamed into place). */
const writeAtomic = writePrivateFile;

/**
 * A TCP port free on 127.0.0.1 that the kernel will not hand to anyone else before a node binds it
 * (drawn from below the ephemeral range: hsm-local's `freeListenPort`).
 */
export const freePort = (): Promise<number> => freeListenPort();

/** Errors of listen(2) that mean the address or port cannot be had. */
const ADDRESS_ERRORS = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL']);

/** Why a server of the stack did not start: the port when listen(2) said so, else the error itself. */
function startError(what: string, port: number, cause: unknown): StrongroomError {
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && ADDRESS_ERRORS.has(code)) {
    return new StrongroomError('IO_ERROR', `${what} could not listen on 127.0.0.1:${port} (${code}: is another dev stack running? stop it, or pick other ports)`, { cause });
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return new StrongroomError('IO_ERROR', `${what} did not start: ${message}`, { cause });
}

async function pollUntil(what: string, fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > end) throw new StrongroomError('INTERNAL', `dev stack: ${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Start (or resume) the dev stack in `dir`.
 * @example
 * const stack = await startDevStack({ dir: userConfigDir() });
 * console.log(stack.endpoints); await stack.stop();
 * @throws StrongroomError IO_ERROR when a port is taken or the directory is unusable; INTERNAL when
 *   a part does not come up; UNSUPPORTED when s3rver is not installed and no `s3` endpoint is given.
 */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  // Fail before starting anything when the requested S3 cannot run here.
  const rgwMissing = options.localS3 === 'rgw' && !options.s3 ? (await import('@strongroom/testing/servers')).rgwUnavailable() : undefined;
  if (rgwMissing) throw new StrongroomError('UNSUPPORTED', `strongroom dev --s3 rgw: ${rgwMissing}`);
  // A refused origin (`*`, a path, …) is the caller's mistake: say so before starting anything.
  if (options.cors?.length) parseCorsOrigins(options.cors);
  const dir = resolve(options.dir);
  const log = options.log ?? (() => {});
  // s3rver is optional: without it (and without an S3 of the caller's) fail now, before starting anything.
  if (!options.s3 && options.localS3 !== 'rgw') await loadS3rver();
  const clusterDir = join(dir, 'hsm');
  const statePath = join(dir, 'state.json');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const created = !existsSync(statePath);
  let state: DevState;
  if (created) {
    if (existsSync(join(clusterDir, 'cluster.json'))) {
      throw new StrongroomError('IO_ERROR', `${dir} holds an HSM cluster but no state.json (an interrupted first start?); delete ${dir} and start again`);
    }
    state = {
      version: 1,
      initialAdminPassword: `initial-${randomBytes(9).toString('base64url')}`,
      adminPassword: randomBytes(12).toString('base64url'),
      appUser: 'app',
      appPassword: randomBytes(12).toString('base64url'),
      kmsuserPassword: randomBytes(12).toString('base64url'),
      kmsAccessKeyId: 'STRONGROOMDEV',
      kmsSecretAccessKey: randomBytes(24).toString('base64url'),
    };
    await writeAtomic(statePath, JSON.stringify(state, null, 2));
  } else {
    try {
      state = JSON.parse(readFileSync(statePath, 'utf8')) as DevState;
    } catch (error) {
      throw new StrongroomError('MALFORMED', `${statePath} is not valid JSON; delete ${dir} to start afresh`, { cause: error });
    }
  }
  const save = () => writeAtomic(statePath, JSON.stringify(state, null, 2));

  const nodes: StartedHsmNode[] = [];
  let kms: KmsServer | undefined;
  let s3: LocalS3 | undefined;
  let rgw: LocalRgw | undefined;
  let hsm: HsmClusterClient | undefined;
  let cks: DevCksSection = { available: false, reason: 'not set up' };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await hsm?.close().catch(() => {});
    await Promise.allSettled([kms?.close(), s3?.close(), rgw?.close(), ...nodes.map((n) => n.stop())]);
  };

  try {
    // --- HSM cluster
    const initialAdmin = state.initialAdminPassword;
    if (!existsSync(join(clusterDir, 'cluster.json'))) {
      log('initializing a 3-node HSM cluster');
      // The users' passwords sit in state.json and dev.json beside the cluster, so a slow password hash
      // would protect nothing here: the lowest cost (docs/hsm-cluster.md §4).
      await initCluster({ dir: clusterDir, nodes: DEV_AZS.map((az) => ({ az })), initialAdminPassword: initialAdmin, limits: { passwordHashCost: 10 } });
    }
    const cluster = loadCluster(clusterDir);
    const wanted = options.ports?.hsm ?? [0, 0, 0];
    const ports = await Promise.all(cluster.nodes.map((_, i) => (wanted[i] ? Promise.resolve(wanted[i]!) : freePort())));
    const urls = ports.map((p) => `tls://127.0.0.1:${p}`);
    log(`starting HSM nodes on ${urls.join(', ')}`);
    const started = await Promise.allSettled(
      cluster.nodes.map((n, i) =>
        startHsmNode({
          dataDir: n.dataDir,
          port: ports[i]!,
          peers: urls.filter((_, j) => j !== i),
          syncIntervalMs: 500,
          cliPath: hsmNodeCliPath(),
          ...(options.hsmShaping ? { shaping: options.hsmShaping } : {}),
        }),
      ),
    );
    for (const r of started) if (r.status === 'fulfilled') nodes.push(r.value);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw new StrongroomError('IO_ERROR', `an HSM node did not start (is a port of ${ports.join('/')} taken?)`, { cause: (failed as PromiseRejectedResult).reason });
    const conn = () => connectHsmNode({ url: urls[0]!, trustAnchor: cluster.trustAnchor, clientCert: cluster.clientCert });

    if (!state.adminActivated) {
      log('activating the HSM admin');
      const admin = await conn();
      try {
        await admin.call('login', { user: 'admin', password: initialAdmin });
        await admin.call('user.changePassword', { newPassword: state.adminPassword! });
      } finally {
        admin.close();
      }
      state.adminActivated = true;
      await save();
    }
    if (!state.appUserCreated) {
      log(`creating the crypto user "${state.appUser}"`);
      const admin = await conn();
      try {
        await admin.call('login', { user: 'admin', password: state.adminPassword! });
        await admin.call('user.create', { user: state.appUser, role: 'crypto-user', password: state.appPassword });
      } finally {
        admin.close();
      }
      state.appUserCreated = true;
      await save();
    }
    if (!state.kmsuserCreated) {
      // The custom key store's crypto user (CloudHSM: kmsuser).
      log('creating the crypto user "kmsuser" for the custom key store');
      const admin = await conn();
      try {
        await admin.call('login', { user: 'admin', password: state.adminPassword! });
        await admin.call('user.create', { user: 'kmsuser', role: 'crypto-user', password: state.kmsuserPassword });
      } finally {
        admin.close();
      }
      state.kmsuserCreated = true;
      await save();
    }
    // Every node must know the crypto users before clients log in everywhere.
    for (const url of urls) {
      for (const [user, password] of [[state.appUser, state.appPassword], ['kmsuser', state.kmsuserPassword]] as const) {
        await pollUntil(`the crypto user ${user} reaching ${url}`, async () => {
          const c = await connectHsmNode({ url, trustAnchor: cluster.trustAnchor, clientCert: cluster.clientCert });
          try {
            await c.call('login', { user, password });
            return true;
          } finally {
            c.close();
          }
        });
      }
    }

    const baseConfig = {
      version: 1 as const,
      keyLabel: DEV_KEY_LABEL,
      hsm: {
        clusterId: cluster.clusterId,
        nodes: cluster.nodes.map((n, i) => ({ url: urls[i]!, az: n.az })),
        az: DEV_AZS[0],
        trustAnchorPath: join(clusterDir, 'ca.crt'),
        clientCertPath: join(clusterDir, 'client.crt'),
        clientKeyPath: join(clusterDir, 'client.key'),
        user: state.appUser,
        password: state.appPassword,
      },
      hsmAdmin: { user: 'admin', password: state.adminPassword! },
      hsmClusterDir: clusterDir,
    };
    hsm = await connectDevHsm(baseConfig);
    if (!state.hsmKeyCreated || !(await hsm.findKey({ label: DEV_KEY_LABEL, class: 'secret' }))) {
      log(`creating the HSM key "${DEV_KEY_LABEL}"`);
      if (!(await hsm.findKey({ label: DEV_KEY_LABEL, class: 'secret' }))) {
        await hsm.generateAesKey({ label: DEV_KEY_LABEL, bits: 256, token: true, extractable: false, encrypt: true, decrypt: true, wrap: true, unwrap: true });
      }
      state.hsmKeyCreated = true;
      await save();
    }

    // --- kms-local
    const kmsPort = options.ports?.kms ?? 0;
    try {
      kms = await startKmsServer({
        dataDir: join(dir, 'kms'),
        port: kmsPort,
        ...(options.kmsSeed !== undefined && { seed: options.kmsSeed }),
        ...((options.kmsSeed !== undefined || options.cors?.length) && { log }),
        credentials: { accessKeyId: state.kmsAccessKeyId, secretAccessKey: state.kmsSecretAccessKey },
        // HTTPS with a certificate generated once into kms-local's data directory; dev.json names it
        // (kms.caPath) and the stack's clients trust only it.
        tls: 'dev',
        ...(options.cors?.length && { cors: options.cors }),
        // The cluster as KMS sees it ("a CloudHSM cluster in this account"), at this start's node URLs.
        hsmClusters: [
          {
            clusterId: cluster.clusterId,
            nodes: cluster.nodes.map((n, i) => ({ url: urls[i]!, az: n.az })),
            trustAnchorPem: cluster.trustAnchor,
            clientCertPem: cluster.clientCert.certPem,
            clientKeyPem: cluster.clientCert.keyPem,
          },
        ],
      });
    } catch (error) {
      // A refused seed file says why itself.
      if (StrongroomError.isInstance(error) && (error.details as { source?: unknown } | undefined)?.source !== undefined) throw error;
      throw startError('kms-local', kmsPort, error);
    }
    const kmsSection = {
      endpoint: kms.endpoint,
      region: kms.region,
      accessKeyId: state.kmsAccessKeyId,
      secretAccessKey: state.kmsSecretAccessKey,
      keyArn: state.kmsKeyArn ?? '',
      alias: DEV_KMS_ALIAS,
      caPath: join(dir, 'kms', KMS_DEV_CERT_FILE),
    };
    const kmsClient = kmsClientFor(kmsSection);
    try {
      if (!state.kmsKeyArn) {
        log(`creating the KMS key ${DEV_KMS_ALIAS}`);
        const k = await kmsClient.send(new CreateKeyCommand({ Description: 'strongroom dev key', KeyUsage: 'ENCRYPT_DECRYPT', KeySpec: 'SYMMETRIC_DEFAULT' }));
        await kmsClient.send(new CreateAliasCommand({ AliasName: DEV_KMS_ALIAS, TargetKeyId: k.KeyMetadata!.KeyId! }));
        state.kmsKeyArn = k.KeyMetadata!.Arn!;
        await save();
      } else {
        await kmsClient.send(new DescribeKeyCommand({ KeyId: state.kmsKeyArn }));
      }
      kmsSection.keyArn = state.kmsKeyArn;

      // --- custom key store
      state.cks ??= {};
      cks = await setUpCustomKeyStore({
        kmsClient,
        clusterId: cluster.clusterId,
        trustAnchorPem: cluster.trustAnchor,
        kmsuserPassword: state.kmsuserPassword,
        state: state.cks,
        save,
        log,
        ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
      });
    } finally {
      kmsClient.destroy();
    }

    // --- local S3 (or the caller's)
    let s3Section: DevExternalS3;
    const s3Port = options.ports?.s3 ?? 0;
    if (options.s3) {
      s3Section = { ...options.s3 };
    } else if (options.localS3 === 'rgw') {
      // Throws UNSUPPORTED with the apt-get line where Ceph is not installed.
      const { startRgw } = await import('@strongroom/testing/servers');
      rgw = await startRgw({ ...(s3Port ? { port: s3Port } : {}), log });
      s3Section = { endpoint: rgw.endpoint, region: rgw.region, bucket: DEV_BUCKET, accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey };
      const client = s3ClientFor(s3Section);
      try {
        await client.send(new CreateBucketCommand({ Bucket: DEV_BUCKET }));
      } finally {
        client.destroy();
      }
    } else {
      try {
        s3 = await startLocalS3({ directory: join(dir, 's3'), port: s3Port, bucket: DEV_BUCKET, ...(options.cors?.length && { cors: options.cors }) });
      } catch (error) {
        if (StrongroomError.isInstance(error, 'UNSUPPORTED')) throw error;
        throw startError('the local S3 (s3rver)', s3Port, error);
      }
      s3Section = { endpoint: s3.endpoint, region: 'us-east-1', bucket: DEV_BUCKET, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
    }
    const s3Endpoint = s3Section.endpoint;

    const configPath = join(dir, DEV_CONFIG_FILE);
    const raw = {
      ...baseConfig,
      kms: kmsSection,
      s3: s3Section,
      cks,
    };
    await writeAtomic(configPath, `${JSON.stringify(raw, null, 2)}\n`);
    const config = parseDevConfig(raw, configPath);
    await hsm.close();
    hsm = undefined;
    const k = kms;
    return {
      dir,
      configPath,
      config,
      endpoints: { hsm: urls, kms: k.endpoint, s3: s3Endpoint },
      created,
      kms: k,
      hsmNodes: nodes,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
