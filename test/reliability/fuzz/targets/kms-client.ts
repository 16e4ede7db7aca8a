/**
 * A raw AWS JSON 1.1 client for kms-local that sends any body, SigV4-signed (AWS Signature Version 4:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html) for the server's own
 * host, region and the `kms` service — so the fuzz cases pass authentication and reach the parsers.
 * The AWS SDK cannot send malformed bodies, hence this client.
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { startKmsServer, type KmsServer } from '@strongroom/kms-local';

const CREDENTIALS = { accessKeyId: 'AKIAFUZZFUZZFUZZFUZZ', secretAccessKey: 'fuzz-secret-access-key-000000000000000000' };

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytesOf = (d: SourceData): string | Uint8Array => (typeof d === 'string' ? d : ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d));

/** SHA-256 / HMAC-SHA-256 for the signer, from node:crypto. */
class Sha256 {
  private readonly h;
  constructor(secret?: SourceData) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(secret));
  }
  update(data: SourceData): void {
    this.h.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

export interface KmsAnswer {
  readonly status: number;
  readonly text: string;
}

export interface FuzzKms {
  readonly server: KmsServer;
  /** POST one body to `TrentService.<op>`, signed. */
  post(op: string, body: string | Uint8Array): Promise<KmsAnswer>;
  /** As post, for a JSON value; throws unless 200. */
  call<T = Record<string, unknown>>(op: string, input: unknown): Promise<T>;
  close(): Promise<void>;
}

/** Start a strict (SigV4) kms-local in this process on a fresh data directory. */
export async function startFuzzKms(): Promise<FuzzKms> {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-fuzz-kms-'));
  const server = await startKmsServer({ dataDir: dir, credentials: CREDENTIALS, region: 'us-east-1' });
  const signer = new SignatureV4({ credentials: CREDENTIALS, region: server.region, service: 'kms', sha256: Sha256 });
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const host = `127.0.0.1:${server.port}`;

  async function post(op: string, body: string | Uint8Array): Promise<KmsAnswer> {
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: server.port,
      path: '/',
      query: {},
      headers: { host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${op}` },
      body,
    });
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/', headers: signed.headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  return {
    server,
    post,
    async call<T>(op: string, input: unknown): Promise<T> {
      const r = await post(op, JSON.stringify(input));
      if (r.status !== 200) throw new Error(`${op}: ${r.status} ${r.text}`);
      return JSON.parse(r.text) as T;
    },
    async close() {
      agent.destroy();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
