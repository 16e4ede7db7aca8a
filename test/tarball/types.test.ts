/**
 * A small TypeScript consumer type-checks against the shipped .d.ts (strict, `skipLibCheck: false`) under
 * both module resolutions users have: `nodenext` (an ESM .mts file through the `import` condition and a
 * CommonJS .cts file through `require`) and `bundler`
 * (https://www.typescriptlang.org/docs/handbook/modules/reference.html#module-resolution). Each
 * `@ts-expect-error` line must be an error: if a package's types were missing or `any`, tsc would
 * report the directive as unused, so this cannot pass on untyped packages.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, inject, it } from 'vitest';
import { node } from './consumer';

const { app } = inject('tarball');

const CONSUMER = `import { randomBytes } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { KMSClient } from '@aws-sdk/client-kms';
import { createClient, RawAesKeyProvider, StrongroomError, type DecryptResult, type KeyProvider } from '@strongroom/core';
import { nobleBackend } from '@strongroom/core/noble';
import { EncryptedS3Client } from '@strongroom/s3';
import { KmsKeyProvider } from '@strongroom/provider-kms';
import { connectHsmCluster, HsmKeyProvider } from '@strongroom/provider-hsm';
import { CustomKeyStoreKeyProvider } from '@strongroom/provider-custom-key-store';
import { parseNodeUrl } from '@strongroom/hsm-protocol';
import { startHsmNode } from '@strongroom/hsm-local';
import { startKmsServer } from '@strongroom/kms-local';
import { parseKeyUri, startDevStack } from '@strongroom/cli';

const keyProvider: KeyProvider = RawAesKeyProvider({ namespace: 'app', name: 'k1', key: randomBytes(32), backend: nobleBackend });
const client = createClient({ keyProvider, backend: nobleBackend });

export async function roundTrip(): Promise<string> {
  const { ciphertext } = await client.encrypt('hello', { encryptionContext: { tenant: 'acme' } });
  const result: DecryptResult = await client.decrypt(ciphertext);
  return new TextDecoder().decode(result.plaintext);
}
export const s3 = new EncryptedS3Client({ client: new S3Client({ region: 'us-east-1' }), keyProvider });
export const kms: KeyProvider = KmsKeyProvider({ generatorKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k', clientProvider: () => new KMSClient({}) });
export const cks = CustomKeyStoreKeyProvider({ client: new KMSClient({}), generatorKeyId: 'alias/k' });
export const nodeUrl: { host: string; port: number } = parseNodeUrl('tls://127.0.0.1:7301');
export const uri = parseKeyUri('kms://alias/k');
export const isMalformed = (e: unknown): boolean => StrongroomError.isInstance(e, 'MALFORMED');
export const starters = [startHsmNode, startKmsServer, startDevStack, connectHsmCluster, HsmKeyProvider] as const;

// The shipped types are real: each line below must not compile.
// @ts-expect-error a key provider is not a number
createClient({ keyProvider: 42 });
// @ts-expect-error error codes are a closed union
StrongroomError.isInstance(new Error('x'), 'NOT_A_CODE');
// @ts-expect-error the S3 client is an S3Client
new EncryptedS3Client({ client: 'not a client', keyProvider });
// @ts-expect-error a key id is a string
KmsKeyProvider({ generatorKeyId: 1 });
// @ts-expect-error the client is a KMSClient
CustomKeyStoreKeyProvider({ client: 1 });
// @ts-expect-error a node URL is a string
parseNodeUrl(7301);
// @ts-expect-error options are an object
startKmsServer('x');
// @ts-expect-error options are an object
startHsmNode(1);
// @ts-expect-error dir is required
startDevStack({});
// @ts-expect-error a backend is an HsmBackend
HsmKeyProvider({ backend: 1 });
`;

const COMMON = { strict: true, noEmit: true, skipLibCheck: false, target: 'es2022', lib: ['es2023'], types: ['node'] };

function check(name: string, compilerOptions: Record<string, unknown>, files: Record<string, string>) {
  const dir = join(app, `types-${name}`);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...COMMON, ...compilerOptions }, files: Object.keys(files) }, null, 2));
  const r = node(dir, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--pretty', 'false']);
  expect(r.stdout + r.stderr).toBe('');
  expect(r.code).toBe(0);
}

it('a strict consumer type-checks with moduleResolution nodenext (ESM .mts and CommonJS .cts)', () => {
  check('nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }, { 'consumer.mts': CONSUMER, 'consumer.cts': CONSUMER });
});

it('a strict consumer type-checks with moduleResolution bundler', () => {
  check('bundler', { module: 'esnext', moduleResolution: 'bundler' }, { 'consumer.ts': CONSUMER });
});
