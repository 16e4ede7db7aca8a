/**
 * Clicks through the browser-upload page in headless Chromium (Debian's, driven by playwright-core)
 * against a real dev stack whose kms-local and s3rver allow the page's origin (CORS): pick a 12 MiB
 * file, "Encrypt & upload" (a framed multipart upload of 5 MiB parts through @strongroom/s3's and
 * @strongroom/provider-kms's web entries), "Download & decrypt". Checks: the page showed one progress
 * event per part up to the file's size; S3 holds ciphertext only, from a multipart upload; Node's
 * EncryptedS3Client opens what the page wrote, byte for byte; the page's decrypted SHA-256 is the
 * file's; a V3 object written in the page opens in Node, and V3 and framed objects written in Node
 * open in the page.
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { keyProviderFromUri, s3ClientFor, startDevStack, type DevStack } from '@strongroom/cli';
import { EncryptedS3Client, FRAMED_FORMAT_METADATA, UPLOAD_METADATA } from '@strongroom/s3';
import type { BrowserContext, Page } from 'playwright-core';
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

async function waitFor(tab: Page, selector: string, what: string, errors: string[]): Promise<void> {
  await tab.waitForSelector(selector, { timeout: 180_000 }).catch(async () => {
    throw new Error(`${what} did not finish: ${await tab.textContent('#status')} ${errors.join('; ')}`);
  });
}

/** Click an upload button with the file chosen; the new object's key and the progress events shown. */
async function uploadWith(tab: Page, button: string, errors: string[]): Promise<{ key: string; progress: Array<{ loaded: number; total: number; part: number }> }> {
  await tab.evaluate('delete document.body.dataset.uploadedKey');
  await tab.click(button);
  await waitFor(tab, 'body[data-uploaded-key]', `upload (${button})`, errors);
  return {
    key: (await tab.getAttribute('body', 'data-uploaded-key'))!,
    progress: JSON.parse((await tab.getAttribute('body', 'data-progress'))!),
  };
}

describe('examples/browser-upload in headless Chromium against the dev stack', () => {
  it('encrypts a file in the page into a multipart upload with progress, downloads and decrypts it: same bytes; Node opens it, and the page opens Node\'s objects', async () => {
    const tab = await browser!.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    await tab.goto(page!.url);
    await waitFor(tab, 'body[data-ready="true"]', 'the page start', errors);
    const file = randomBytes(12 * 1024 * 1024 + 7); // three parts: two of 5 MiB of plaintext (whole 64 KiB frames) and a short last one
    const context = { purpose: 'browser-upload', file: 'report.bin' };
    // From a file on disk: a 12 MiB buffer sent over the DevTools protocol is slow on a loaded machine.
    const path = join(tmp, 'report.bin');
    writeFileSync(path, file);
    await tab.setInputFiles('#file', path, { timeout: 120_000 });
    const { key, progress } = await uploadWith(tab, '#upload', errors);

    // The page showed progress: one event per part, growing to the file's size.
    expect(progress.length).toBe(3);
    expect(progress.every((p) => p.total === file.length)).toBe(true);
    expect(progress.map((p) => p.loaded)).toEqual(progress.map((p) => p.loaded).sort((a, b) => a - b));
    expect(progress.at(-1)!.loaded).toBe(file.length);
    expect(await tab.textContent('#progress-text')).toContain(`${file.length} / ${file.length} bytes`);

    // Outside the page: S3 holds ciphertext only, from a multipart upload, and Node's EncryptedS3Client opens it.
    const s3 = s3ClientFor(stack!.config.s3);
    const opened = await keyProviderFromUri('kms://alias/strongroom-dev', { config: stack!.config });
    try {
      const bucket = stack!.config.s3.bucket;
      const raw = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const stored = await raw.Body!.transformToByteArray();
      expect(raw.Metadata?.[FRAMED_FORMAT_METADATA]).toBe('esdk-framed');
      expect(raw.Metadata?.[UPLOAD_METADATA]).toBe('1'); // written by a multipart upload (one PutObject has no such mark)
      expect(stored.length).toBeGreaterThan(file.length);
      expect(Buffer.from(stored).includes(file.subarray(0, 64))).toBe(false);
      const node = new EncryptedS3Client({ client: s3, keyProvider: opened.provider, kmsKeyIds: [stack!.config.kms.keyArn!] });
      const fromNode = await node.getObject({ Bucket: bucket, Key: key }, { encryptionContext: context });
      expect(sha(await fromNode.Body!.transformToByteArray())).toBe(sha(file));

      await tab.click('#download');
      await waitFor(tab, 'body[data-decrypted-sha256]', 'download', errors);
      expect(await tab.getAttribute('body', 'data-decrypted-sha256')).toBe(sha(file));
      expect(await tab.textContent('#status')).toMatch(/identical to the file uploaded/);

      // V3 written in the page opens in Node.
      const v3 = await uploadWith(tab, '#upload-v3', errors);
      const v3Head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: v3.key }));
      expect(v3Head.Metadata?.['x-amz-c']).toBe('115');
      const v3FromNode = await node.getObject({ Bucket: bucket, Key: v3.key }, { encryptionContext: context });
      expect(sha(await v3FromNode.Body!.transformToByteArray())).toBe(sha(file));

      // V3 and framed objects written in Node open in the page.
      const small = randomBytes(200 * 1024 + 3);
      for (const format of ['v3', 'framed'] as const) {
        const writer = new EncryptedS3Client({ client: s3, keyProvider: opened.provider, format, kmsKeyIds: [stack!.config.kms.keyArn!] });
        const nodeKey = `browser-upload/from-node-${format}`;
        await writer.putObject({ Bucket: bucket, Key: nodeKey, Body: small }, { encryptionContext: context });
        expect(await tab.evaluate(`readObject(${JSON.stringify(nodeKey)}, ${JSON.stringify(context)})`)).toBe(sha(small));
      }
    } finally {
      s3.destroy();
      await opened.close();
    }
    expect(errors).toEqual([]);
  });
});
