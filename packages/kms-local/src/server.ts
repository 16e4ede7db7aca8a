/**
 * The HTTP endpoint: AWS JSON 1.1 as KMS speaks it (AWS KMS API Reference, "Common parameters" and
 * the Smithy awsJson1_1 protocol) — `POST /` with `X-Amz-Target: TrentService.<Op>`, JSON bodies,
 * base64 blobs, epoch-second timestamps, and errors as `{"__type", "message"}` plus
 * `x-amzn-errortype`. SigV4 is verified in strict mode (when credentials are configured), bound to
 * this server's host, Region and clock; otherwise any (or no) signature is accepted, the server says
 * so at start, and every response carries `x-strongroom-auth: none` (docs/security.md).
 */
import { randomUUID } from 'node:crypto';
import { StrongroomError } from '@strongroom/core';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createContext } from './context';
import { createCustomKeyStoreConnections, type HsmClusterRegistration } from './custom-key-store/connections';
import { routeMaterialStore } from './custom-key-store/material';
import { parseHsmClusterRegistrations } from './custom-key-store/registrations';
import { openDataDir } from './data-dir';
import { KmsError } from './errors';
import type { Input } from './input';
import { createLocalKeyMaterialStore, type KeyMaterialStore } from './key-material';
import { parseJsonDict } from './dict';
import { openStateStore } from './state-store';
import { OPERATIONS, rotateDueKeys } from './ops/index';
import { createSealer, type Sealer } from './seal';
import { applySeed, type SeedOutcome } from './seed/apply';
import { readSeedFile } from './seed/file';
import { validateSeed, type KmsSeed } from './seed/parse';
import { ownHost, type OwnHost } from './own-host';
import { tlsMaterial, type TlsOption } from './tls';
import { kmsCorsOptions, parseCorsOrigins, withCors } from './cors';
import { createSigV4Verifier, type Credentials } from './sigv4';

/**
 * Options of {@link startKmsServer}: address, data directory, credentials, Region and account, key material store, TLS, HSM clusters.
 */
export interface KmsServerOptions {
  /** TCP port; 0 (default) picks a free one. */
  readonly port?: number;
  /** Listen address; default 127.0.0.1. */
  readonly host?: string;
  /** Directory for `master.key`, `state.json` (snapshot) and `state.log` (changes since); created if missing. See data-dir.ts. */
  readonly dataDir: string;
  /** Strict mode: requests must be SigV4-signed by one of these. Default: accept any. */
  readonly credentials?: readonly Credentials[] | Credentials;
  /** Default: the seed's, else `us-east-1`. */
  readonly region?: string;
  /** Default: the seed's, else `111122223333`. */
  readonly accountId?: string;
  /**
   * Keys, aliases, account and Region to make exist before the server answers (docs/kms-local.md,
   * "Seed file"): a seed file path (YAML, or JSON when it ends in `.json`), or the seed document
   * itself. The server takes the seed's account and Region; `region`/`accountId`, when also given,
   * must be the same. Seeding is idempotent and never changes an existing key: a conflict is a
   * StrongroomError and the server does not start.
   */
  readonly seed?: string | Record<string, unknown>;
  /** Where symmetric key material lives; default in-process, sealed under `master.key`. */
  readonly materialStore?: (sealer: Sealer) => KeyMaterialStore;
  /** Injectable clock (ms since epoch). */
  readonly now?: () => number;
  /** How often automatic key rotation and deletion purges are checked. Default 60 000 ms. */
  readonly maintenanceIntervalMs?: number;
  /**
   * Extra host names a signed `Host` header may carry (e.g. behind a proxy); the listen address is
   * always accepted (and localhost/127.0.0.1/[::1] for a loopback listener).
   */
  readonly hostNames?: readonly string[];
  /**
   * Serve HTTPS: a certificate and key (PEM), or `'dev'` for a self-signed development certificate
   * kept in the data directory (`tls-dev-cert.pem`; clients trust it as their CA — see
   * `KmsServer.tlsCertificatePem`). Default: plain HTTP.
   */
  readonly tls?: TlsOption;
  /** Where operational messages go (one line each); default standard error. */
  readonly log?: (line: string) => void;
  /**
   * hsm-local clusters that CreateCustomKeyStore may name by CloudHsmClusterId (the local stand-in
   * for "a CloudHSM cluster in this account and Region"). `<dataDir>/hsm-clusters.json` adds more
   * (see parseHsmClusterRegistrations); the option wins for the same cluster id. See docs/custom-key-stores.md.
   */
  readonly hsmClusters?: readonly HsmClusterRegistration[];
  /**
   * Answer CORS for these exact origins (e.g. `['http://localhost:5173']`), so a page there can call
   * the server from a browser: preflights for `POST` with the SDK's headers, the allowed origin echoed
   * (never `*`, never with credentials). Default: no CORS (browsers keep responses from pages). See cors.ts.
   */
  readonly cors?: readonly string[];
}

/** A running kms-local: endpoint, port, Region, account, TLS certificate, request counts, `close()`. */
export interface KmsServer {
  /** `http://127.0.0.1:<port>`, or `https://…` with TLS. */
  readonly endpoint: string;
  /** With TLS: the served certificate (PEM) — what a client passes as its CA for a dev certificate. */
  readonly tlsCertificatePem: string | undefined;
  readonly port: number;
  readonly region: string;
  readonly accountId: string;
  /** With a seed: the keys and aliases this start created (empty when the data directory had them all). */
  readonly seeded: SeedOutcome | undefined;
  /** Requests answered per operation (successes and errors), e.g. `GenerateDataKey`. */
  readonly requestCounts: Readonly<Record<string, number>>;
  /** Reset the per-operation request counters. */
  resetRequestCounts(): void;
  /** Perform due automatic rotations and purge keys past their deletion date now (also runs on a timer). */
  runMaintenance(): Promise<void>;
  /** Stop accepting requests, finish the ones in flight, and close the state. */
  close(): Promise<void>;
}

const MAX_BODY = 256 * 1024;
const JSON_TYPE = 'application/x-amz-json-1.1';

/** `x-strongroom-auth`: `sigv4` in strict mode, `none` when any signature is accepted. */
const AUTH_HEADER = 'x-strongroom-auth';
const defaultLog = (line: string) => void process.stderr.write(`${line}\n`);

function send(res: ServerResponse, status: number, body: string, extra?: Record<string, string>): void {
  res.writeHead(status, {
    'content-type': JSON_TYPE,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
    ...extra,
  });
  res.end(body);
}

function sendError(res: ServerResponse, error: KmsError): void {
  send(res, error.status, JSON.stringify({ __type: error.type, message: error.message }), { 'x-amzn-errortype': error.type });
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new KmsError('ValidationException', `Request body exceeds ${MAX_BODY} bytes.`, 413));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Start a KMS-compatible endpoint.
 * @throws when the data directory cannot be opened or the port cannot be bound.
 * @example
 * const kms = await startKmsServer({ dataDir: './.kms' });
 * const client = new KMSClient({ endpoint: kms.endpoint, region: 'us-east-1', credentials });
 */
export async function startKmsServer(options: KmsServerOptions): Promise<KmsServer> {
  const log = options.log ?? defaultLog;
  const corsOrigins = options.cors === undefined ? undefined : parseCorsOrigins(options.cors, 'cors');
  const seed: KmsSeed | undefined =
    options.seed === undefined ? undefined : typeof options.seed === 'string' ? await readSeedFile(options.seed, log) : validateSeed(options.seed, '<options.seed>');
  for (const [name, given, seeded] of [['region', options.region, seed?.region], ['accountId', options.accountId, seed?.account]] as const) {
    if (given !== undefined && seeded !== undefined && given !== seeded) {
      throw new StrongroomError('INVALID_ARGUMENT', `kms-local: ${name} ${given} differs from the seed's ${seeded} (${seed!.source}); give the same value or leave ${name} out`, {
        details: { source: seed!.source, path: name === 'region' ? 'region' : 'account', problem: 'arn-mismatch' },
      });
    }
  }
  const region = options.region ?? seed?.region ?? 'us-east-1';
  const accountId = options.accountId ?? seed?.account ?? '111122223333';
  const now = options.now ?? Date.now;
  const dir = await openDataDir(options.dataDir);
  let store;
  try {
    store = await openStateStore(dir, log);
  } catch (e) {
    await dir.close();
    throw new Error(`${options.dataDir}: ${(e as Error).message}`);
  }
  const state = store.state;
  const sealer = createSealer(dir.masterKey);
  // Registered clusters: the option, plus `hsm-clusters.json` in the data directory when present.
  const fromFile = await readFile(join(options.dataDir, 'hsm-clusters.json'), 'utf8').then(parseHsmClusterRegistrations, (e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [];
    throw e;
  });
  const customKeyStores = createCustomKeyStoreConnections([...(options.hsmClusters ?? []), ...fromFile.filter((r) => !options.hsmClusters?.some((o) => o.clusterId === r.clusterId))]);
  const ctx = createContext({
    customKeyStores,
    region,
    accountId,
    state,
    sealer,
    materialStore: routeMaterialStore((options.materialStore ?? createLocalKeyMaterialStore)(sealer), customKeyStores),
    now,
    save: () => store.commit(),
  });
  let seeded: SeedOutcome | undefined;
  if (seed) {
    try {
      seeded = await applySeed(ctx, seed, options.dataDir, log);
    } catch (e) {
      await customKeyStores.closeAll().catch(() => {});
      await dir.close();
      throw e;
    }
  }
  const credentials = options.credentials === undefined ? [] : Array.isArray(options.credentials) ? options.credentials : [options.credentials as Credentials];
  const listenHost = options.host ?? '127.0.0.1';
  let hosts: OwnHost | undefined; // known once the port is bound
  const verifier =
    credentials.length > 0
      ? createSigV4Verifier(credentials, {
          region,
          now,
          isOwnHost: (h) => hosts?.isOwnHost(h) ?? false,
          describeHosts: () => hosts?.describeHosts() ?? '',
        })
      : undefined;
  let counts: Record<string, number> = Object.create(null);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      send(res, 404, JSON.stringify({ __type: 'UnknownOperationException', message: 'kms-local answers POST / only' }));
      return;
    }
    const body = await readBody(req);
    const target = req.headers['x-amz-target'];
    const op = typeof target === 'string' && target.startsWith('TrentService.') ? target.slice(13) : undefined;
    const handler = op === undefined ? undefined : Object.hasOwn(OPERATIONS, op) ? OPERATIONS[op] : undefined;
    // Counted by known operation only: a caller's made-up names must not grow the table.
    const counted = handler ? op! : '(unknown)';
    counts[counted] = (counts[counted] ?? 0) + 1;
    verifier?.verify({ method: req.method, url: req.url ?? '/', headers: req.headers, body });
    if (!handler) throw new KmsError('UnknownOperationException', `Unknown operation ${String(target)}`);
    let input: unknown;
    try {
      input = body.length === 0 ? {} : parseJsonDict(body.toString('utf8'));
    } catch {
      throw new KmsError('SerializationException', 'Request body is not valid JSON.');
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new KmsError('SerializationException', 'Request body must be a JSON object.');
    if ((input as Input)['DryRun'] === true) {
      // KMS validates and answers DryRunOperationException (HTTP 412) instead of acting.
      throw new KmsError('DryRunOperationException', 'The request would have succeeded, but the DryRun option is set.', 412);
    }
    const output = await handler(ctx, input as Input);
    send(res, 200, JSON.stringify(output));
  }

  const tls = options.tls === undefined ? undefined : await tlsMaterial(options.tls, options.dataDir, [listenHost, ...(options.hostNames ?? [])]);
  const onRequest = withCors(corsOrigins && kmsCorsOptions(corsOrigins), (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader(AUTH_HEADER, verifier ? 'sigv4' : 'none');
    // The server clock, as AWS endpoints send it: clients correct their clock skew from it.
    res.setHeader('date', new Date(now()).toUTCString());
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return;
      if (e instanceof KmsError) sendError(res, e);
      else sendError(res, new KmsError('KMSInternalException', 'An internal error occurred.'));
    });
  });
  const server: Server = tls ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, onRequest) : createServer(onRequest);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const scheme = tls ? 'https' : 'http';
  hosts = ownHost(listenHost, port, scheme, options.hostNames);
  if (corsOrigins?.length) log(`kms-local: CORS on for ${corsOrigins.join(', ')} (pages there can call ${scheme}://${listenHost}:${port} from a browser)`);
  if (!verifier) {
    log(
      `kms-local WARNING: no credentials configured — ${listenHost}:${port} accepts any signature or none, from anyone who can reach it ` +
        `(every response carries ${AUTH_HEADER}: none). Give credentials (--access-key-id with --secret-access-key-file, or KMS_LOCAL_ACCESS_KEY_ID/KMS_LOCAL_SECRET_ACCESS_KEY) for strict SigV4.`,
    );
  }
  let maintenance: Promise<void> = Promise.resolve();
  const runMaintenance = () => (maintenance = maintenance.then(() => rotateDueKeys(ctx)).catch(() => {}));
  await runMaintenance();
  const timer = setInterval(runMaintenance, options.maintenanceIntervalMs ?? 60_000);
  timer.unref();
  return {
    endpoint: `${scheme}://${listenHost.includes(':') ? `[${listenHost}]` : listenHost}:${port}`,
    port,
    region,
    accountId,
    seeded,
    tlsCertificatePem: tls?.certPem,
    get requestCounts() {
      return { ...counts };
    },
    resetRequestCounts() {
      counts = Object.create(null);
    },
    runMaintenance,
    async close() {
      clearInterval(timer);
      await maintenance;
      await customKeyStores.closeAll();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await dir.close();
    },
  };
}
