/**
 * kms-local driven through the AWS CLI (Debian `awscli`) with `--endpoint-url` (must-show 1):
 * create-key, encrypt, decrypt, generate-data-key and error cases. Skips with a printed reason when
 * `aws` is missing, unless STRONGROOM_REQUIRE_ALL_SUITES=1.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KmsServer } from '../src/index';
import { CREDENTIALS, startTestServer } from './helpers';

const run = promisify(execFile);

/** The AWS CLI's version line; undefined only when `aws` is not installed (any other failure throws). */
async function awsVersion(): Promise<string | undefined> {
  try {
    // A generous deadline: the Python CLI starts slowly on a loaded machine (test files run concurrently).
    const { stdout, stderr } = await run('aws', ['--version'], { timeout: 120_000 });
    return (stdout || stderr).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`\`aws --version\` failed: ${(e as Error).message}`, { cause: e });
  }
}

const version = await awsVersion();
if (!version) {
  const reason = 'AWS CLI (`aws`) not found; install Debian package awscli';
  if (process.env.STRONGROOM_REQUIRE_ALL_SUITES === '1') throw new Error(`${reason} (STRONGROOM_REQUIRE_ALL_SUITES=1)`);
  console.warn(`skipping AWS CLI suite: ${reason}`);
}
// CLI v2 treats blob arguments as base64 unless told otherwise; v1 takes them raw.
const binaryFormat = version?.startsWith('aws-cli/1.') ? [] : ['--cli-binary-format', 'raw-in-base64-out'];

describe.skipIf(!version)(`AWS CLI (${version ?? 'missing'}) against kms-local`, () => {
  let server: KmsServer;
  let dataDir: string;
  let cleanup: () => Promise<void>;

  function aws(args: string[], credentials = CREDENTIALS) {
    return run('aws', ['kms', ...args, '--endpoint-url', server.endpoint, '--output', 'json'], {
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        HOME: dataDir,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_CONFIG_FILE: join(dataDir, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(dataDir, 'no-credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_PAGER: '',
      },
    });
  }
  const json = async (args: string[]) => JSON.parse((await aws(args)).stdout);

  beforeAll(async () => {
    ({ server, dataDir, cleanup } = await startTestServer());
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it('create-key, encrypt, decrypt, generate-data-key', async () => {
    const created = await json(['create-key', '--description', 'from the cli']);
    const keyId: string = created.KeyMetadata.KeyId;
    expect(created.KeyMetadata).toMatchObject({ KeyState: 'Enabled', Description: 'from the cli', KeySpec: 'SYMMETRIC_DEFAULT' });
    expect(typeof created.KeyMetadata.CreationDate).toBe('number');

    const plaintextFile = join(dataDir, 'pt.bin');
    await writeFile(plaintextFile, 'hello from the aws cli');
    const enc = await json(['encrypt', '--key-id', keyId, '--plaintext', `fileb://${plaintextFile}`, '--encryption-context', 'app=cli,stage=test']);
    expect(enc.KeyId).toBe(created.KeyMetadata.Arn);

    const ctFile = join(dataDir, 'ct.bin');
    await writeFile(ctFile, Buffer.from(enc.CiphertextBlob, 'base64'));
    const dec = await json(['decrypt', '--ciphertext-blob', `fileb://${ctFile}`, '--encryption-context', 'stage=test,app=cli', ...binaryFormat]);
    expect(Buffer.from(dec.Plaintext, 'base64').toString()).toBe('hello from the aws cli');
    expect(dec.KeyId).toBe(created.KeyMetadata.Arn);

    const dk = await json(['generate-data-key', '--key-id', keyId, '--key-spec', 'AES_256']);
    expect(Buffer.from(dk.Plaintext, 'base64')).toHaveLength(32);
    const dkFile = join(dataDir, 'dk.bin');
    await writeFile(dkFile, Buffer.from(dk.CiphertextBlob, 'base64'));
    const dkDec = await json(['decrypt', '--ciphertext-blob', `fileb://${dkFile}`]);
    expect(dkDec.Plaintext).toBe(dk.Plaintext);
  }, 180_000); // each `aws` run starts a Python interpreter: seconds apiece on a loaded machine

  it('reports KMS errors by their exception name', async () => {
    await expect(aws(['describe-key', '--key-id', '00000000-1111-2222-3333-444444444444'])).rejects.toMatchObject({
      stderr: expect.stringContaining('(NotFoundException)'),
    });
    const created = await json(['create-key']);
    const plaintextFile = join(dataDir, 'pt2.bin');
    await writeFile(plaintextFile, 'x');
    const enc = await json(['encrypt', '--key-id', created.KeyMetadata.KeyId, '--plaintext', `fileb://${plaintextFile}`, '--encryption-context', 'a=1']);
    const ctFile = join(dataDir, 'ct2.bin');
    await writeFile(ctFile, Buffer.from(enc.CiphertextBlob, 'base64'));
    await expect(aws(['decrypt', '--ciphertext-blob', `fileb://${ctFile}`, '--encryption-context', 'a=2'])).rejects.toMatchObject({
      stderr: expect.stringContaining('(InvalidCiphertextException)'),
    });
    await expect(aws(['list-keys'], { ...CREDENTIALS, secretAccessKey: 'wrong' })).rejects.toMatchObject({
      stderr: expect.stringContaining('(InvalidSignatureException)'),
    });
  }, 180_000);
});
