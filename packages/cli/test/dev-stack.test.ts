/**
 * The dev stack: first start creates, a second start reuses the state (keys and ciphertexts survive),
 * stop() ends every HSM node process; and `strongroom dev` as a real child process prints the
 * endpoints, writes dev.json, and stops everything cleanly on Ctrl-C (SIGINT). Its kms-local always
 * runs strict SigV4 (unsigned and wrongly signed requests refused) over HTTPS with its own certificate.
 */
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from '@strongroom/core';
import { freePort, startDevStack } from '../src/dev-stack';
import { loadDevConfig } from '../src/dev-config';
import { keyProviderFromUri } from '../src/providers';
import { kmsClientFor } from '../src/kms-client';
import { kmsKeyProviderFromConfig } from '@strongroom/provider-kms';
import { CLI, ROOT, errorLines, runCli } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'strongroom-devstack-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function roundTrip(uri: string, config: ReturnType<typeof loadDevConfig>, ciphertext?: Uint8Array): Promise<Uint8Array> {
  const opened = await keyProviderFromUri(uri, { config });
  try {
    const client = createClient({ keyProvider: opened.provider });
    if (ciphertext) return (await client.decrypt(ciphertext, { expectedEncryptionContext: { t: '1' } })).plaintext;
    return (await client.encrypt('survives a restart', { encryptionContext: { t: '1' } })).ciphertext;
  } finally {
    await opened.close();
  }
}

/** A POST over HTTPS trusting only `ca` (fetch cannot take a CA). */
function postJson(url: string, ca: string, headers: Record<string, string>, body: string): Promise<{ status: number; auth: string | undefined; json: { __type?: string } }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: 'POST', headers, ca }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, auth: res.headers['x-strongroom-auth'] as string | undefined, json: JSON.parse(text) as { __type?: string } }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The dev stack's kms-local runs strict SigV4 over HTTPS with its own certificate: unsigned and wrongly
 * signed requests are refused, a signed one works, and a client that does not trust the certificate
 * named in dev.json (kms.caPath) does not connect at all.
 */
async function expectStrictKms(kms: ReturnType<typeof loadDevConfig>['kms']): Promise<void> {
  expect(kms.endpoint).toMatch(/^https:\/\//);
  const ca = readFileSync(kms.caPath!, 'utf8');
  const unsigned = await postJson(kms.endpoint, ca, { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' }, '{}');
  expect(unsigned.status).toBe(400);
  expect(unsigned.auth).not.toBe('none');
  expect(unsigned.json.__type).toMatch(/MissingAuthenticationToken/);
  const client = (secretAccessKey: string) => kmsClientFor({ ...kms, secretAccessKey });
  const wrong = client(`${kms.secretAccessKey}x`);
  const right = client(kms.secretAccessKey);
  const untrusting = new KMSClient({ endpoint: kms.endpoint, region: kms.region, credentials: { accessKeyId: kms.accessKeyId, secretAccessKey: kms.secretAccessKey }, maxAttempts: 1 });
  try {
    await expect(wrong.send(new DescribeKeyCommand({ KeyId: kms.keyArn }))).rejects.toMatchObject({ name: 'InvalidSignatureException' });
    expect((await right.send(new DescribeKeyCommand({ KeyId: kms.keyArn }))).KeyMetadata?.Arn).toBe(kms.keyArn);
    await expect(untrusting.send(new DescribeKeyCommand({ KeyId: kms.keyArn }))).rejects.toThrow(/self-signed certificate/);
  } finally {
    wrong.destroy();
    right.destroy();
    untrusting.destroy();
  }
}

describe('startDevStack', () => {
  it('creates on the first start, reuses on the second, and stop() ends every node process', async () => {
    const dir = join(tmp, 'lib');
    const first = await startDevStack({ dir });
    let pids: number[] = [];
    const uris = ['kms://alias/strongroom-dev', 'hsm://strongroom-dev-kek', ...(first.config.cks.available ? ['cks://alias/strongroom-dev-cks'] : [])];
    const sealed: Uint8Array[] = [];
    try {
      expect(first.created).toBe(true);
      expect(first.hsmNodes.map((n) => n.az)).toEqual(['az-a', 'az-b', 'az-c']);
      expect(loadDevConfig(first.configPath).kms.keyArn).toBe(first.config.kms.keyArn);
      for (const u of uris) sealed.push(await roundTrip(u, first.config));
      pids = first.hsmNodes.map((n) => n.pid);
      expect(pids.every(alive)).toBe(true);
    } finally {
      await first.stop();
    }
    expect(pids.some(alive)).toBe(false);

    const second = await startDevStack({ dir });
    try {
      expect(second.created).toBe(false);
      expect(second.config.kms.keyArn).toBe(first.config.kms.keyArn);
      expect(second.config.hsm.clusterId).toBe(first.config.hsm.clusterId);
      for (const [i, u] of uris.entries()) expect(Buffer.from(await roundTrip(u, second.config, sealed[i])).toString()).toBe('survives a restart');
      await expectStrictKms(second.config.kms);
      // The library's one-line loader reads the same dev.json, CA included.
      const fromConfig = await kmsKeyProviderFromConfig(second.configPath);
      const sealedByLib = await createClient({ keyProvider: fromConfig }).encrypt('via kmsKeyProviderFromConfig', { encryptionContext: { t: '2' } });
      expect(Buffer.from((await createClient({ keyProvider: fromConfig }).decrypt(sealedByLib.ciphertext)).plaintext).toString()).toBe('via kmsKeyProviderFromConfig');
    } finally {
      await second.stop();
    }
  });
});

describe('startDevStack when a port is taken', () => {
  it('names the port and listen(2)\'s error; other start failures are not reported as a port', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      await expect(startDevStack({ dir: join(tmp, 'port-taken'), ports: { kms: port } })).rejects.toMatchObject({
        code: 'IO_ERROR',
        message: expect.stringMatching(new RegExp(`kms-local could not listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE`)),
      });
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});

describe('strongroom hsm backup / restore', () => {
  it('backs up a node, refuses to restore under a running node, restores offline, and the keys still work', async () => {
    const dir = join(tmp, 'restore');
    const stack = await startDevStack({ dir });
    let sealed: Uint8Array;
    let backup: string;
    try {
      sealed = await roundTrip('hsm://strongroom-dev-kek', stack.config);
      const b = await runCli(['--config', stack.configPath, 'hsm', 'backup']);
      expect(b.code).toBe(0);
      backup = /backup written: (.+)$/m.exec(b.stdout.toString())![1]!;
      const refused = await runCli(['--config', stack.configPath, 'hsm', 'restore', '--backup', backup, '--node', '0']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/is running/);
    } finally {
      await stack.stop();
    }
    const restored = await runCli(['--config', join(dir, 'dev.json'), 'hsm', 'restore', '--backup', backup, '--node', '0']);
    expect(errorLines(restored.stderr)).toEqual([]);
    expect(restored.code).toBe(0);
    const again = await startDevStack({ dir });
    try {
      expect(Buffer.from(await roundTrip('hsm://strongroom-dev-kek', again.config, sealed)).toString()).toBe('survives a restart');
      const sync = await runCli(['--config', again.configPath, 'hsm', 'sync', 'status']);
      expect(sync.stdout.toString().match(/ACTIVE/g)).toHaveLength(3);
    } finally {
      await again.stop();
    }
  });
});

describe('strongroom dev (child process)', () => {
  it('prints the endpoints, writes dev.json and stops everything on Ctrl-C', async () => {
    const dir = join(tmp, 'cli');
    const ports = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const child = spawn(process.execPath, [CLI, 'dev', '--dir', dir, '--hsm-ports', ports.slice(0, 3).join(','), '--kms-port', String(ports[3]), '--s3-port', String(ports[4])], {
      cwd: ROOT,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`strongroom dev did not come up: ${err}`)), 45_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('Ctrl-C stops it')) {
            clearTimeout(t);
            resolve();
          }
        });
        child.on('exit', () => reject(new Error(`strongroom dev exited: ${err}`)));
      });
      expect(out).toContain(`tls://127.0.0.1:${ports[0]}`);
      expect(out).toContain(`https://127.0.0.1:${ports[3]}`);
      expect(out).toContain(`http://127.0.0.1:${ports[4]}`);
      const config = loadDevConfig(join(dir, 'dev.json'));
      expect(config.s3.endpoint).toBe(`http://127.0.0.1:${ports[4]}`);
      expect(JSON.parse(readFileSync(join(dir, 'dev.json'), 'utf8')).keyLabel).toBe('strongroom-dev-kek');
      for (const p of ports) expect(await listening(p)).toBe(true);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(err).toMatch(/stopped\./);
      for (const p of ports) expect(await listening(p)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});
