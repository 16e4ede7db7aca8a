/**
 * Seeded kms-local over a real socket with the real @aws-sdk/client-kms: fixed ids, ARNs and
 * aliases in the seed's account and Region, fixed symmetric material (proved by opening a
 * kms-local ciphertext offline with it), states, idempotent re-seeding, conflicts that change
 * nothing, the account/Region binding, and the seed file's permission warning.
 */
import {
  CreateAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  GenerateMacCommand,
  GetPublicKeyCommand,
  KMSClient,
  ListAliasesCommand,
  ListResourceTagsCommand,
  SignCommand,
} from '@aws-sdk/client-kms';
import { StrongroomError } from '@strongroom/core';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmod, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCiphertext, serializeEncryptionContext, startKmsServer, type KmsServer } from '../src/index';
import { CREDENTIALS, tempDir } from './helpers';

const ACCOUNT = '658956600833';
const REGION = 'us-west-2';
const SYM = 'b3537ef1-d8dc-4780-9f5a-55776cbb2f7f';
const RSA = '1d2c3b4a-5f6e-4d7c-8b9a-0f1e2d3c4b5a';
const ECC = '2e3d4c5b-6a7f-4e8d-9c0b-1a2f3e4d5c6b';
const HMAC = '3f4e5d6c-7b8a-4f9e-8d1c-2b3a4f5e6d7c';
const DIS = '4a5b6c7d-8e9f-4a1b-9c2d-3e4f5a6b7c8d';
const DEL = '5b6c7d8e-9f0a-4b2c-8d3e-4f5a6b7c8d9e';
const arn = (id: string) => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`;

let dirs: string[] = [];
let servers: KmsServer[] = [];
let clients: KMSClient[] = [];
afterEach(async () => {
  for (const c of clients) c.destroy();
  for (const s of servers) await s.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  dirs = [];
  servers = [];
  clients = [];
});

async function dir() {
  const d = await tempDir();
  dirs.push(d);
  return d;
}
async function seedFile(text: string, mode = 0o600): Promise<string> {
  const file = join(await dir(), 'seed.yaml');
  await writeFile(file, text, { mode });
  await chmod(file, mode);
  return file;
}
async function start(dataDir: string, seed: string | Record<string, unknown>, log: string[] = [], extra: Record<string, unknown> = {}) {
  const server = await startKmsServer({ dataDir, seed, credentials: CREDENTIALS, log: (l) => log.push(l), ...extra });
  servers.push(server);
  return server;
}
function client(server: KmsServer, region = server.region) {
  const c = new KMSClient({ endpoint: server.endpoint, region, credentials: CREDENTIALS, maxAttempts: 1 });
  clients.push(c);
  return c;
}
async function stop(server: KmsServer) {
  servers = servers.filter((s) => s !== server);
  await server.close();
}

const material = randomBytes(32);
const seedText = (m = material) => `version: 1
account: "${ACCOUNT}"
region: ${REGION}
keys:
  - arn: ${arn(SYM)}
    description: fixed material
    material: ${m.toString('base64')}
    aliases: [alias/EncryptDecrypt, alias/__proto__, alias/constructor]
    tags: { __proto__: polluted?, constructor: c, owner: seed }
  - id: ${RSA}
    spec: RSA_2048
  - id: ${ECC}
    spec: ECC_NIST_P256
  - id: ${HMAC}
    spec: HMAC_256
  - id: ${DIS}
    state: Disabled
  - id: ${DEL}
    state: PendingDeletion
    pendingWindowInDays: 7
`;

async function snapshot(dataDir: string) {
  const read = (f: string) => readFile(join(dataDir, f)).catch(() => Buffer.alloc(0));
  return { json: await read('state.json'), log: await read('state.log') };
}

describe('kms-local seeded from a file', () => {
  it('serves the seeded keys under their fixed ARNs and aliases, in the seed account and Region', async () => {
    const server = await start(await dir(), await seedFile(seedText()));
    expect([server.accountId, server.region]).toEqual([ACCOUNT, REGION]);
    expect(server.seeded!.createdKeys).toHaveLength(6);
    const kms = client(server);
    const byAlias = await kms.send(new DescribeKeyCommand({ KeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:alias/EncryptDecrypt` }));
    expect(byAlias.KeyMetadata).toMatchObject({ KeyId: SYM, Arn: arn(SYM), AWSAccountId: ACCOUNT, Description: 'fixed material', KeyState: 'Enabled' });
    const enc = await kms.send(new EncryptCommand({ KeyId: 'alias/EncryptDecrypt', Plaintext: Buffer.from('seeded'), EncryptionContext: { a: 'b' } }));
    expect(enc.KeyId).toBe(arn(SYM));

    // The seed's material is the key: open kms-local's ciphertext offline with it.
    const parsed = parseCiphertext(enc.CiphertextBlob!);
    const d = createDecipheriv('aes-256-gcm', material, parsed.iv);
    d.setAAD(Buffer.concat([parsed.header, serializeEncryptionContext({ a: 'b' })]));
    d.setAuthTag(parsed.tag);
    expect(Buffer.concat([d.update(parsed.ciphertext), d.final()]).toString()).toBe('seeded');

    expect((await kms.send(new GetPublicKeyCommand({ KeyId: arn(RSA) }))).KeySpec).toBe('RSA_2048');
    const sig = await kms.send(new SignCommand({ KeyId: ECC, Message: Buffer.from('m'), SigningAlgorithm: 'ECDSA_SHA_256' }));
    expect(sig.Signature!.length).toBeGreaterThan(0);
    const mac = await kms.send(new GenerateMacCommand({ KeyId: HMAC, Message: Buffer.from('m'), MacAlgorithm: 'HMAC_SHA_256' }));
    expect(mac.Mac).toHaveLength(32);
    await expect(kms.send(new EncryptCommand({ KeyId: DIS, Plaintext: Buffer.from('x') }))).rejects.toMatchObject({ name: 'DisabledException' });
    await expect(kms.send(new EncryptCommand({ KeyId: DEL, Plaintext: Buffer.from('x') }))).rejects.toMatchObject({ name: 'KMSInvalidStateException' });
    const del = await kms.send(new DescribeKeyCommand({ KeyId: DEL }));
    expect(del.KeyMetadata).toMatchObject({ KeyState: 'PendingDeletion', PendingDeletionWindowInDays: 7 });
  });

  it('prototype names as aliases and tag keys are ordinary entries and pollute nothing', async () => {
    const server = await start(await dir(), await seedFile(seedText()));
    const kms = client(server);
    const aliases = (await kms.send(new ListAliasesCommand({ KeyId: SYM }))).Aliases!.map((a) => a.AliasName);
    expect(aliases.sort()).toEqual(['alias/EncryptDecrypt', 'alias/__proto__', 'alias/constructor']);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/__proto__' }))).KeyMetadata!.KeyId).toBe(SYM);
    const tags = (await kms.send(new ListResourceTagsCommand({ KeyId: SYM }))).Tags!;
    expect(Object.fromEntries(tags.map((t) => [t.TagKey, t.TagValue]))).toEqual(JSON.parse('{"__proto__":"polluted?","constructor":"c","owner":"seed"}'));
    // an alias name never seeded does not resolve through the prototype chain
    await expect(kms.send(new DescribeKeyCommand({ KeyId: 'alias/toString' }))).rejects.toMatchObject({ name: 'NotFoundException' });
    expect(({} as Record<string, unknown>)['polluted?']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('owner');
  });

  it('the same seed twice changes nothing (not a byte of the data directory)', async () => {
    const dataDir = await dir();
    const file = await seedFile(seedText());
    await stop(await start(dataDir, file));
    const before = await snapshot(dataDir);
    const again = await start(dataDir, file);
    expect(again.seeded).toEqual({ createdKeys: [], createdAliases: [] });
    await stop(again);
    const after = await snapshot(dataDir);
    expect(after.json.equals(before.json) && after.log.equals(before.log)).toBe(true);
  });

  it('an existing key keeps its state; a new key or alias in the seed is added', async () => {
    const dataDir = await dir();
    const first = await start(dataDir, await seedFile(seedText()));
    await client(first).send(new DisableKeyCommand({ KeyId: SYM }));
    await stop(first);
    const log: string[] = [];
    const extra = seedText().replace('aliases: [alias/EncryptDecrypt,', 'aliases: [alias/Added, alias/EncryptDecrypt,');
    const second = await start(dataDir, await seedFile(`${extra}  - id: 6c7d8e9f-0a1b-4c3d-9e4f-5a6b7c8d9e0f\n`), log);
    expect(second.seeded).toEqual({ createdKeys: ['6c7d8e9f-0a1b-4c3d-9e4f-5a6b7c8d9e0f'], createdAliases: ['alias/Added'] });
    expect(log.join('\n')).toMatch(/key b3537ef1-d8dc-4780-9f5a-55776cbb2f7f exists; kept the data directory's state Disabled \(seed: Enabled\)/);
    expect((await client(second).send(new DescribeKeyCommand({ KeyId: 'alias/Added' }))).KeyMetadata).toMatchObject({ KeyId: SYM, KeyState: 'Disabled' });
  });

  it('conflicts with the data directory are typed errors and change nothing: material, spec, alias target', async () => {
    const dataDir = await dir();
    const first = await start(dataDir, await seedFile(seedText()));
    const kms = client(first);
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/Taken', TargetKeyId: RSA }));
    const enc = await kms.send(new EncryptCommand({ KeyId: SYM, Plaintext: Buffer.from('kept') }));
    await stop(first);
    const before = await snapshot(dataDir);

    const attempts: Array<[string, string]> = [
      [seedText(randomBytes(32)), 'with different key material'],
      [seedText().replace(`id: ${RSA}\n    spec: RSA_2048`, `id: ${RSA}\n    spec: RSA_3072`), 'with KeySpec RSA_2048, but the seed says RSA_3072'],
      [seedText().replace(`id: ${ECC}\n    spec: ECC_NIST_P256`, `id: ${ECC}\n    spec: ECC_NIST_P256\n    aliases: [alias/Taken]`), `alias/Taken already exists in ${dataDir} and points at key ${RSA}`],
    ];
    for (const [text, message] of attempts) {
      const err = await startKmsServer({ dataDir, seed: await seedFile(text), credentials: CREDENTIALS, log: () => {} }).then(
        (s) => {
          servers.push(s);
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(StrongroomError.isInstance(err, 'INVALID_ARGUMENT'), String(err)).toBe(true);
      expect((err as StrongroomError).details).toMatchObject({ problem: 'conflict' });
      expect((err as Error).message).toContain(message);
    }
    const after = await snapshot(dataDir);
    expect(after.json.equals(before.json) && after.log.equals(before.log)).toBe(true);
    // the data directory opens again (the refused starts released it) and the old material still decrypts
    const reopened = await start(dataDir, await seedFile(seedText()));
    const { DecryptCommand } = await import('@aws-sdk/client-kms');
    const dec = await client(reopened).send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext!).toString()).toBe('kept');
  });

  it('requests are bound to the seed account and Region', async () => {
    const server = await start(await dir(), await seedFile(seedText()));
    // A key ARN of another account or Region is not this key.
    await expect(client(server).send(new DescribeKeyCommand({ KeyId: `arn:aws:kms:${REGION}:111122223333:key/${SYM}` }))).rejects.toMatchObject({ name: 'NotFoundException' });
    await expect(client(server).send(new DescribeKeyCommand({ KeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${SYM}` }))).rejects.toMatchObject({ name: 'NotFoundException' });
    await expect(client(server).send(new DescribeKeyCommand({ KeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/EncryptDecrypt` }))).rejects.toMatchObject({ name: 'NotFoundException' });
    // A request signed for another Region is refused (strict SigV4).
    await expect(client(server, 'us-east-1').send(new DescribeKeyCommand({ KeyId: SYM }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
  });

  it('region/accountId options that disagree with the seed are refused before the data directory is touched', async () => {
    const file = await seedFile(seedText());
    for (const extra of [{ region: 'us-east-1' }, { accountId: '111122223333' }]) {
      const err = await startKmsServer({ dataDir: await dir(), seed: file, credentials: CREDENTIALS, log: () => {}, ...extra }).catch((e: unknown) => e);
      expect(StrongroomError.isInstance(err, 'INVALID_ARGUMENT'), String(err)).toBe(true);
    }
    const same = await start(await dir(), file, [], { region: REGION, accountId: ACCOUNT });
    expect(same.region).toBe(REGION);
  });

  it('warns when the seed file is group/world readable; follows a symbolic link to it', async () => {
    const log: string[] = [];
    const open = await seedFile(seedText(), 0o644);
    await stop(await start(await dir(), open, log));
    expect(log.join('\n')).toContain(`seed file ${open} holds key material and is readable or writable by group/others (mode 644)`);
    const quiet: string[] = [];
    await stop(await start(await dir(), await seedFile(seedText(), 0o600), quiet));
    expect(quiet.join('\n')).not.toContain('seed file');
    // A link (a Kubernetes ConfigMap or secret mount is one) is followed; the warning is the target's.
    const link = join(await dir(), 'link.yaml');
    await symlink(open, link);
    const linked: string[] = [];
    const server = await start(await dir(), link, linked);
    expect(linked.join('\n')).toContain(`seed file ${link} holds key material and is readable or writable by group/others (mode 644)`);
    await stop(server);
  });

  it('refuses at once a seed path that is a FIFO with no writer, or leads to a device', async () => {
    // Before: open(2) without O_NONBLOCK waited for a writer that never came, and kms-local never started.
    const fifo = join(await dir(), 'seed.yaml');
    execFileSync('mkfifo', [fifo]);
    const toDevice = join(await dir(), 'zero.yaml');
    await symlink('/dev/zero', toDevice);
    for (const path of [fifo, toDevice]) {
      const err = await startKmsServer({ dataDir: await dir(), seed: path, log: () => {} }).catch((e: unknown) => e);
      expect(StrongroomError.isInstance(err, 'MALFORMED'), String(err)).toBe(true);
      expect((err as StrongroomError).details).toMatchObject({ problem: 'not-a-file' });
    }
  }, 10_000);

  it('a seed document given as an object is validated the same way', async () => {
    const err = await startKmsServer({ dataDir: await dir(), seed: { version: 1, account: ACCOUNT, region: REGION, keys: [{ id: SYM, materail: 'x' }] }, log: () => {} }).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err, 'MALFORMED')).toBe(true);
    expect((err as StrongroomError).details).toMatchObject({ source: '<options.seed>', path: 'keys[0].materail', problem: 'unknown-field' });
    const server = await start(await dir(), { version: 1, account: ACCOUNT, region: REGION, keys: [{ id: SYM, aliases: ['alias/x'] }] });
    expect((await client(server).send(new DescribeKeyCommand({ KeyId: 'alias/x' }))).KeyMetadata!.Arn).toBe(arn(SYM));
  });
});
