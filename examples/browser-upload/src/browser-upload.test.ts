/**
 * Clicks through the browser-upload page in headless Chromium (Debian's, driven by playwright-core)
 * against a real dev stack whose kms-local and s3rver allow the page's origin (CORS): pick a file,
 * "Encrypt & upload", "Download & decrypt". Checks, outside the page: S3 holds ciphertext only; Node's
 * KmsKeyProvider (@strongroom/provider-kms) opens what the page wrote, byte for byte; the page's
 * decrypted SHA-256 is the file's.
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { keyProviderFromUri, s3ClientFor, startDevStack, type DevStack } from '@strongroom/cli';
import { createClient } from '@strongroom/core';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPageServer } from './serve.mjs';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let tmp: string;
let stack: DevStack | undefined;
let page: { url: string; close(): Promise<void> } | undefined;
let browser: BrowserContext | undefined;
let devJson: unknown;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/install-system-packages.sh)`);
  tmp = mkdtempSync(join(tmpdir(), 'example-browser-upload-'));
  // The page's origin first, so the dev stack starts with exactly that origin allowed.
  page = await startPageServer({ devConfig: () => devJson, port: 0 });
  const origin = new URL(page.url).origin;
  stack = await startDevStack({ dir: join(tmp, 'stack'), cors: [origin] });
  devJson = JSON.parse(readFileSync(stack.configPath, 'utf8'));
  // Trust exactly kms-local's dev certificate (by its public key), nothing else.
  const cert = new X509Certificate(readFileSync(stack.config.kms.caPath!, 'utf8'));
  const spki = createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
  const { chromium } = await import('playwright-core');
  browser = await chromium.launchPersistentContext(join(tmp, 'chromium-profile'), { executablePath: CHROMIUM, args: [...ARGS, `--ignore-certificate-errors-spki-list=${spki}`] });
});

afterAll(async () => {
  await browser?.close();
  await page?.close();
  await stack?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('examples/browser-upload in headless Chromium against the dev stack', () => {
  it('encrypts a file in the page, uploads ciphertext, downloads and decrypts it: same bytes; Node opens it too', async () => {
    const tab = await browser!.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    await tab.goto(page!.url);
    await tab.waitForSelector('body[data-ready="true"]', { timeout: 60_000 }).catch(async () => {
      throw new Error(`the page did not start: ${await tab.textContent('#status')} ${errors.join('; ')}`);
    });
    const file = randomBytes(300 * 1024 + 7); // several 64 KiB frames and a short last one
    await tab.setInputFiles('#file', { name: 'report.bin', mimeType: 'application/octet-stream', buffer: file });
    await tab.click('#upload');
    await tab.waitForSelector('body[data-uploaded-key]', { timeout: 120_000 }).catch(async () => {
      throw new Error(`upload did not finish: ${await tab.textContent('#status')} ${errors.join('; ')}`);
    });
    const key = (await tab.getAttribute('body', 'data-uploaded-key'))!;

    // Outside the page: S3 holds ciphertext only, and Node's KMS provider opens it.
    const s3 = s3ClientFor(stack!.config.s3);
    const stored = await (await s3.send(new GetObjectCommand({ Bucket: stack!.config.s3.bucket, Key: key }))).Body!.transformToByteArray();
    s3.destroy();
    expect(stored.length).toBeGreaterThan(file.length);
    expect(Buffer.from(stored).includes(file.subarray(0, 64))).toBe(false);
    const opened = await keyProviderFromUri('kms://alias/strongroom-dev', { config: stack!.config });
    try {
      const { plaintext, encryptionContext } = await createClient({ keyProvider: opened.provider }).decrypt(stored);
      expect(sha(plaintext)).toBe(sha(file));
      expect(encryptionContext).toMatchObject({ purpose: 'browser-upload', file: 'report.bin' });
    } finally {
      await opened.close();
    }

    await tab.click('#download');
    await tab.waitForSelector('body[data-decrypted-sha256]', { timeout: 120_000 }).catch(async () => {
      throw new Error(`download did not finish: ${await tab.textContent('#status')} ${errors.join('; ')}`);
    });
    expect(await tab.getAttribute('body', 'data-decrypted-sha256')).toBe(sha(file));
    expect(await tab.textContent('#status')).toMatch(/identical to the file uploaded/);
    expect(errors).toEqual([]);
  });
});
