/**
 * kms-local over HTTPS (issue 18 item 5): with a given certificate and key, or a generated dev
 * certificate kept in the data directory, through the real @aws-sdk/client-kms with the
 * certificate trusted by a custom https agent (and not trusted without it).
 */
import { CreateKeyCommand, DecryptCommand, EncryptCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createDevCertificate } from '../src/index';
import { CREDENTIALS, startTestServer, tempDir } from './helpers';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function trustingClient(endpoint: string, caPem: string | undefined): KMSClient {
  const kms = new KMSClient({
    endpoint,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    maxAttempts: 1,
    ...(caPem !== undefined && { requestHandler: { httpsAgent: new Agent({ ca: caPem }) } }),
  });
  cleanups.push(() => kms.destroy());
  return kms;
}

describe('HTTPS', () => {
  it('a generated dev certificate: the SDK works when it trusts it, and refuses the server otherwise', async () => {
    const { server, dataDir, cleanup } = await startTestServer({ tls: 'dev' });
    cleanups.push(cleanup);
    expect(server.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const caPem = server.tlsCertificatePem!;
    expect(caPem).toMatch(/BEGIN CERTIFICATE/);
    const kms = trustingClient(server.endpoint, caPem);
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const enc = await kms.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: new Uint8Array([1, 2, 3]) }));
    expect((await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).Plaintext).toEqual(new Uint8Array([1, 2, 3]));
    // Not trusted: the TLS handshake fails before any request is sent.
    await expect(trustingClient(server.endpoint, undefined).send(new ListKeysCommand({}))).rejects.toThrow(/self[- ]signed|certificate/i);
    // Plain HTTP to the TLS port gets no KMS answer.
    await expect(fetch(server.endpoint.replace('https:', 'http:'), { method: 'POST', body: '{}' }).then((r) => r.status)).rejects.toThrow();
    // The dev key is private to the owner; the certificate is reused after a restart.
    expect((await stat(join(dataDir, 'tls-dev-key.pem'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dataDir, 'tls-dev-cert.pem'), 'utf8')).toBe(caPem);
  });

  it('a given certificate and key (programmatic), and the host name it names', async () => {
    const cert = createDevCertificate({ hostNames: ['localhost'] });
    const { server, cleanup } = await startTestServer({ tls: { certPem: cert.certPem, keyPem: cert.keyPem } });
    cleanups.push(cleanup);
    const viaLocalhost = trustingClient(`https://localhost:${server.port}`, cert.certPem);
    expect((await viaLocalhost.send(new ListKeysCommand({}))).Keys).toEqual([]);
  });
});

const cli = fileURLToPath(new URL('../dist/cli.mjs', import.meta.url));

describe.runIf(existsSync(cli))('strongroom-kms --tls-cert/--tls-key', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('serves HTTPS with the given files', async () => {
    const dir = await tempDir();
    const cert = createDevCertificate();
    await writeFile(join(dir, 'cert.pem'), cert.certPem);
    await writeFile(join(dir, 'key.pem'), cert.keyPem, { mode: 0o600 });
    child = spawn(process.execPath, [cli, '--data-dir', join(dir, 'data'), '--port', '0', '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')], {
      env: { ...process.env, KMS_LOCAL_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, KMS_LOCAL_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const endpoint = await new Promise<string>((resolve, reject) => {
      let out = '';
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child!.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    expect((await trustingClient(endpoint, cert.certPem).send(new ListKeysCommand({}))).Keys).toEqual([]);
  });
});
