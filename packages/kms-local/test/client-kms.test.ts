/**
 * kms-local driven only through the real @aws-sdk/client-kms over HTTP (must-show 1).
 */
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateMacCommand,
  GenerateRandomCommand,
  GetKeyRotationStatusCommand,
  GetPublicKeyCommand,
  KMSClient,
  ListAliasesCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  ReEncryptCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  VerifyCommand,
  VerifyMacCommand,
  type KeySpec,
  type KeyUsageType,
} from '@aws-sdk/client-kms';
import { constants, createHash, createPrivateKey, createPublicKey, publicEncrypt, verify } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKmsServer, type KmsServer } from '../src/index';
import { CREDENTIALS, clientFor, startTestServer } from './helpers';

let server: KmsServer;
let dataDir: string;
let cleanup: () => Promise<void>;
let kms: KMSClient;
const text = (s: string) => new TextEncoder().encode(s);

async function createKey(KeySpec: KeySpec = 'SYMMETRIC_DEFAULT', KeyUsage?: KeyUsageType, extra: Record<string, unknown> = {}) {
  const out = await kms.send(new CreateKeyCommand({ KeySpec, ...(KeyUsage && { KeyUsage }), ...extra }));
  return out.KeyMetadata!;
}

beforeAll(async () => {
  ({ server, dataDir, cleanup } = await startTestServer());
  kms = clientFor(server);
});
afterAll(async () => {
  kms?.destroy();
  await cleanup?.();
});

describe('symmetric keys', () => {
  it('creates and describes a key with epoch timestamps parsed to Date', async () => {
    const meta = await createKey();
    expect(meta.Arn).toBe(`arn:aws:kms:us-east-1:111122223333:key/${meta.KeyId}`);
    expect(meta.CreationDate).toBeInstanceOf(Date);
    expect(Math.abs(meta.CreationDate!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(meta).toMatchObject({ KeyState: 'Enabled', Enabled: true, KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' });
    const described = await kms.send(new DescribeKeyCommand({ KeyId: meta.Arn }));
    expect(described.KeyMetadata!.KeyId).toBe(meta.KeyId);
  });

  it('encrypts and decrypts with the encryption context bound order-independently', async () => {
    const { KeyId, Arn } = await createKey();
    const enc = await kms.send(new EncryptCommand({ KeyId, Plaintext: text('hello'), EncryptionContext: { tenant: 'acme', purpose: 'test' } }));
    expect(enc.KeyId).toBe(Arn);
    // Decrypt needs no KeyId: the blob names its key. Context given in another order.
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { purpose: 'test', tenant: 'acme' } }));
    expect(new TextDecoder().decode(dec.Plaintext)).toBe('hello');
    expect(dec.KeyId).toBe(Arn);
    expect(dec.EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
    for (const EncryptionContext of [{ tenant: 'acme' }, { tenant: 'acme', purpose: 'TEST' }, undefined] as Array<Record<string, string> | undefined>) {
      await expect(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, ...(EncryptionContext && { EncryptionContext }) }))).rejects.toMatchObject({
        name: 'InvalidCiphertextException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      });
    }
  });

  it('rejects a tampered ciphertext and a wrong KeyId', async () => {
    const a = await createKey();
    const b = await createKey();
    const enc = await kms.send(new EncryptCommand({ KeyId: a.KeyId, Plaintext: text('x') }));
    const blob = Uint8Array.from(enc.CiphertextBlob!);
    for (const i of [0, 1, 5, blob.length - 20, blob.length - 1]) {
      const t = Uint8Array.from(blob);
      t[i]! ^= 1;
      await expect(kms.send(new DecryptCommand({ CiphertextBlob: t }))).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    }
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: b.Arn }))).rejects.toMatchObject({ name: 'IncorrectKeyException' });
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: a.Arn }))).resolves.toMatchObject({ KeyId: a.Arn });
  });

  it('generates data keys that decrypt to the same bytes, and re-encrypts', async () => {
    const a = await createKey();
    const b = await createKey();
    const ctx = { bucket: 'b1' };
    const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: a.KeyId, NumberOfBytes: 32, EncryptionContext: ctx }));
    expect(dk.Plaintext).toHaveLength(32);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ctx }));
    expect(Buffer.from(dec.Plaintext!)).toEqual(Buffer.from(dk.Plaintext!));
    const spec = await kms.send(new GenerateDataKeyCommand({ KeyId: a.KeyId, KeySpec: 'AES_128' }));
    expect(spec.Plaintext).toHaveLength(16);
    const np = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: a.KeyId, KeySpec: 'AES_256' }));
    expect((await kms.send(new DecryptCommand({ CiphertextBlob: np.CiphertextBlob }))).Plaintext).toHaveLength(32);
    await expect(kms.send(new GenerateDataKeyCommand({ KeyId: a.KeyId }))).rejects.toMatchObject({ name: 'ValidationException' });

    const re = await kms.send(
      new ReEncryptCommand({ CiphertextBlob: dk.CiphertextBlob, SourceEncryptionContext: ctx, DestinationKeyId: b.KeyId, DestinationEncryptionContext: { other: '1' } }),
    );
    expect(re).toMatchObject({ SourceKeyId: a.Arn, KeyId: b.Arn });
    const dec2 = await kms.send(new DecryptCommand({ CiphertextBlob: re.CiphertextBlob, EncryptionContext: { other: '1' } }));
    expect(Buffer.from(dec2.Plaintext!)).toEqual(Buffer.from(dk.Plaintext!));
  });

  it('generates data key pairs whose private key is recoverable through Decrypt', async () => {
    const a = await createKey();
    const pair = await kms.send(new GenerateDataKeyPairCommand({ KeyId: a.KeyId, KeyPairSpec: 'ECC_NIST_P256', EncryptionContext: { k: 'v' } }));
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: { k: 'v' } }));
    expect(Buffer.from(dec.Plaintext!)).toEqual(Buffer.from(pair.PrivateKeyPlaintext!));
    const priv = createPrivateKey({ key: Buffer.from(pair.PrivateKeyPlaintext!), format: 'der', type: 'pkcs8' });
    const pub = createPublicKey(priv).export({ type: 'spki', format: 'der' });
    expect(pub).toEqual(Buffer.from(pair.PublicKey!));
  });

  it('generates random bytes', async () => {
    const a = await kms.send(new GenerateRandomCommand({ NumberOfBytes: 32 }));
    const b = await kms.send(new GenerateRandomCommand({ NumberOfBytes: 32 }));
    expect(a.Plaintext).toHaveLength(32);
    expect(Buffer.from(a.Plaintext!)).not.toEqual(Buffer.from(b.Plaintext!));
    await expect(kms.send(new GenerateRandomCommand({ NumberOfBytes: 2000 }))).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('key states', () => {
  it('disable, enable, schedule and cancel deletion, with the KMS errors', async () => {
    const { KeyId, Arn } = await createKey();
    const enc = await kms.send(new EncryptCommand({ KeyId, Plaintext: text('s') }));
    await kms.send(new DisableKeyCommand({ KeyId }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId }))).KeyMetadata).toMatchObject({ KeyState: 'Disabled', Enabled: false });
    await expect(kms.send(new EncryptCommand({ KeyId, Plaintext: text('s') }))).rejects.toMatchObject({ name: 'DisabledException' });
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).rejects.toMatchObject({ name: 'DisabledException' });
    await kms.send(new EnableKeyCommand({ KeyId }));
    await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));

    const sched = await kms.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 }));
    expect(sched).toMatchObject({ KeyId: Arn, KeyState: 'PendingDeletion', PendingWindowInDays: 7 });
    expect(sched.DeletionDate!.getTime() - Date.now()).toBeGreaterThan(6 * 86_400_000);
    await expect(kms.send(new EncryptCommand({ KeyId, Plaintext: text('s') }))).rejects.toMatchObject({ name: 'KMSInvalidStateException' });
    await expect(kms.send(new ScheduleKeyDeletionCommand({ KeyId }))).rejects.toMatchObject({ name: 'KMSInvalidStateException' });
    await expect(kms.send(new EnableKeyCommand({ KeyId }))).rejects.toMatchObject({ name: 'KMSInvalidStateException' });
    await kms.send(new CancelKeyDeletionCommand({ KeyId }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId }))).KeyMetadata!.KeyState).toBe('Disabled');
    await expect(kms.send(new CancelKeyDeletionCommand({ KeyId }))).rejects.toMatchObject({ name: 'KMSInvalidStateException' });
  });

  it('answers NotFoundException for unknown keys and aliases, ValidationException for bad input', async () => {
    await expect(kms.send(new DescribeKeyCommand({ KeyId: '11111111-2222-3333-4444-555555555555' }))).rejects.toMatchObject({ name: 'NotFoundException' });
    await expect(kms.send(new EncryptCommand({ KeyId: 'alias/nope', Plaintext: text('x') }))).rejects.toMatchObject({ name: 'NotFoundException' });
    await expect(kms.send(new DescribeKeyCommand({ KeyId: 'arn:aws:kms:eu-west-1:111122223333:key/abc' }))).rejects.toMatchObject({ name: 'NotFoundException' });
    const { KeyId } = await createKey();
    await expect(kms.send(new EncryptCommand({ KeyId, Plaintext: new Uint8Array(4097) }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'ENCRYPT_DECRYPT' }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it("another account's ARN of an existing key or alias is NotFound in every key operation (aliases, rotation, state, data)", async () => {
    // kms-local serves one account; an ARN naming another account (same Region, real key id or
    // alias name) must not reach this account's key through any operation.
    const { KeyId, Arn } = await createKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/tenant-a', TargetKeyId: KeyId }));
    const foreignKey = Arn!.replace(':111122223333:', ':999988887777:');
    const foreignAlias = 'arn:aws:kms:us-east-1:999988887777:alias/tenant-a';
    expect(foreignKey).not.toBe(Arn);
    for (const id of [foreignKey, foreignAlias]) {
      for (const command of [
        new DescribeKeyCommand({ KeyId: id }),
        new EncryptCommand({ KeyId: id, Plaintext: text('x') }),
        new GenerateDataKeyCommand({ KeyId: id, KeySpec: 'AES_256' }),
        new EnableKeyRotationCommand({ KeyId: id }),
        new RotateKeyOnDemandCommand({ KeyId: id }),
        new GetKeyRotationStatusCommand({ KeyId: id }),
        new DisableKeyCommand({ KeyId: id }),
        new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 }),
        new CreateAliasCommand({ AliasName: 'alias/through-foreign', TargetKeyId: id }),
        new UpdateAliasCommand({ AliasName: 'alias/tenant-a', TargetKeyId: id }),
      ]) {
        // An alias is never a valid alias target (as in AWS KMS): refused before any lookup.
        const refusal = id === foreignAlias && 'AliasName' in command.input ? 'ValidationException' : 'NotFoundException';
        await expect(kms.send(command as never), `${command.constructor.name} ${id}`).rejects.toMatchObject({ name: refusal });
      }
    }
    // Nothing changed on the real key or its alias.
    const meta = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/tenant-a' }))).KeyMetadata!;
    expect(meta).toMatchObject({ KeyId, Enabled: true, KeyState: 'Enabled' });
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId }))).KeyRotationEnabled).toBe(false);
  });

  it('keeps old ciphertexts decryptable after rotation', async () => {
    const { KeyId, Arn } = await createKey();
    const before = await kms.send(new EncryptCommand({ KeyId, Plaintext: text('old') }));
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId }))).KeyRotationEnabled).toBe(false);
    await kms.send(new EnableKeyRotationCommand({ KeyId, RotationPeriodInDays: 90 }));
    const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId }));
    expect(status).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 90, KeyId: Arn });
    expect(status.NextRotationDate).toBeInstanceOf(Date);
    await kms.send(new RotateKeyOnDemandCommand({ KeyId }));
    const after = await kms.send(new EncryptCommand({ KeyId, Plaintext: text('new') }));
    expect(Buffer.from(after.CiphertextBlob!).subarray(0, 42)).not.toEqual(Buffer.from(before.CiphertextBlob!).subarray(0, 42));
    expect(new TextDecoder().decode((await kms.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob }))).Plaintext)).toBe('old');
    expect(new TextDecoder().decode((await kms.send(new DecryptCommand({ CiphertextBlob: after.CiphertextBlob }))).Plaintext)).toBe('new');
    const rsa = await createKey('ECC_NIST_P256', 'SIGN_VERIFY');
    await expect(kms.send(new RotateKeyOnDemandCommand({ KeyId: rsa.KeyId }))).rejects.toMatchObject({ name: 'UnsupportedOperationException' });
  });
});

describe('aliases, listing and tags', () => {
  it('creates, uses, lists, updates and deletes aliases', async () => {
    const a = await createKey();
    const b = await createKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/app', TargetKeyId: a.KeyId }));
    await expect(kms.send(new CreateAliasCommand({ AliasName: 'alias/app', TargetKeyId: b.KeyId }))).rejects.toMatchObject({ name: 'AlreadyExistsException' });
    await expect(kms.send(new CreateAliasCommand({ AliasName: 'app', TargetKeyId: b.KeyId }))).rejects.toMatchObject({ name: 'InvalidAliasNameException' });
    const viaAlias = await kms.send(new EncryptCommand({ KeyId: 'alias/app', Plaintext: text('a') }));
    expect(viaAlias.KeyId).toBe(a.Arn);
    const viaAliasArn = await kms.send(new EncryptCommand({ KeyId: 'arn:aws:kms:us-east-1:111122223333:alias/app', Plaintext: text('a') }));
    expect(viaAliasArn.KeyId).toBe(a.Arn);
    const listed = await kms.send(new ListAliasesCommand({ KeyId: a.KeyId }));
    expect(listed.Aliases).toEqual([expect.objectContaining({ AliasName: 'alias/app', TargetKeyId: a.KeyId, AliasArn: 'arn:aws:kms:us-east-1:111122223333:alias/app' })]);
    await kms.send(new UpdateAliasCommand({ AliasName: 'alias/app', TargetKeyId: b.KeyId }));
    expect((await kms.send(new EncryptCommand({ KeyId: 'alias/app', Plaintext: text('a') }))).KeyId).toBe(b.Arn);
    await kms.send(new DeleteAliasCommand({ AliasName: 'alias/app' }));
    await expect(kms.send(new DeleteAliasCommand({ AliasName: 'alias/app' }))).rejects.toMatchObject({ name: 'NotFoundException' });
  });

  it('pages ListKeys', async () => {
    await createKey();
    await createKey();
    const seen = new Set<string>();
    let Marker: string | undefined;
    let pages = 0;
    do {
      const page = await kms.send(new ListKeysCommand({ Limit: 2, ...(Marker && { Marker }) }));
      for (const k of page.Keys!) seen.add(k.KeyId!);
      Marker = page.Truncated ? page.NextMarker : undefined;
      pages++;
    } while (Marker);
    const all = await kms.send(new ListKeysCommand({}));
    expect(seen.size).toBe(all.Keys!.length);
    expect(pages).toBeGreaterThan(1);
  });

  it('tags and untags', async () => {
    const { KeyId } = await createKey('SYMMETRIC_DEFAULT', undefined, { Tags: [{ TagKey: 'team', TagValue: 'sec' }] });
    await kms.send(new TagResourceCommand({ KeyId, Tags: [{ TagKey: 'env', TagValue: 'dev' }] }));
    let tags = (await kms.send(new ListResourceTagsCommand({ KeyId }))).Tags!;
    expect(tags).toEqual(expect.arrayContaining([{ TagKey: 'team', TagValue: 'sec' }, { TagKey: 'env', TagValue: 'dev' }]));
    await kms.send(new UntagResourceCommand({ KeyId, TagKeys: ['team'] }));
    tags = (await kms.send(new ListResourceTagsCommand({ KeyId }))).Tags!;
    expect(tags).toEqual([{ TagKey: 'env', TagValue: 'dev' }]);
    await expect(kms.send(new TagResourceCommand({ KeyId, Tags: [{ TagKey: 'aws:x', TagValue: '' }] }))).rejects.toMatchObject({ name: 'TagException' });
  });
});

describe('asymmetric and HMAC keys', () => {
  it('creates every supported key spec with the KMS metadata for it', async () => {
    const specs: Array<[KeySpec, KeyUsageType, Record<string, unknown>]> = [
      // RSA_3072 shares every code path with RSA_2048/4096; its keygen is skipped to keep the suite fast.
      ['RSA_4096', 'SIGN_VERIFY', { SigningAlgorithms: expect.arrayContaining(['RSASSA_PSS_SHA_512', 'RSASSA_PKCS1_V1_5_SHA_256']) }],
      ['ECC_NIST_P256', 'SIGN_VERIFY', { SigningAlgorithms: ['ECDSA_SHA_256'] }],
      ['HMAC_384', 'GENERATE_VERIFY_MAC', { MacAlgorithms: ['HMAC_SHA_384'] }],
      ['HMAC_512', 'GENERATE_VERIFY_MAC', { MacAlgorithms: ['HMAC_SHA_512'] }],
    ];
    const created = await Promise.all(specs.map(([spec, usage]) => createKey(spec, usage)));
    created.forEach((meta, i) => expect(meta).toMatchObject({ KeySpec: specs[i]![0], KeyUsage: specs[i]![1], ...specs[i]![2] }));
    const rsa4096 = await kms.send(new GetPublicKeyCommand({ KeyId: created[0]!.KeyId }));
    expect(createPublicKey({ key: Buffer.from(rsa4096.PublicKey!), format: 'der', type: 'spki' }).asymmetricKeyDetails!.modulusLength).toBe(4096);
    const mac = await kms.send(new GenerateMacCommand({ KeyId: created[3]!.KeyId, Message: text('m'), MacAlgorithm: 'HMAC_SHA_512' }));
    expect(mac.Mac).toHaveLength(64);
  });

  it('RSA_2048: signatures verify with the public key outside KMS; OAEP ciphertexts made outside decrypt inside', async () => {
    const signKey = await createKey('RSA_2048', 'SIGN_VERIFY');
    const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: signKey.KeyId }));
    const pub = createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' });
    const message = text('sign me');
    for (const [SigningAlgorithm, padding] of [
      ['RSASSA_PSS_SHA_256', constants.RSA_PKCS1_PSS_PADDING],
      ['RSASSA_PKCS1_V1_5_SHA_384', constants.RSA_PKCS1_PADDING],
    ] as const) {
      const { Signature } = await kms.send(new SignCommand({ KeyId: signKey.KeyId, Message: message, SigningAlgorithm }));
      const hash = `sha${SigningAlgorithm.slice(-3)}`;
      expect(verify(hash, message, { key: pub, padding, saltLength: 32 }, Signature!)).toBe(true);
      await expect(kms.send(new VerifyCommand({ KeyId: signKey.KeyId, Message: message, Signature, SigningAlgorithm }))).resolves.toMatchObject({ SignatureValid: true });
      await expect(kms.send(new VerifyCommand({ KeyId: signKey.KeyId, Message: text('other'), Signature, SigningAlgorithm }))).rejects.toMatchObject({
        name: 'KMSInvalidSignatureException',
      });
    }
    const digest = createHash('sha256').update(message).digest();
    const { Signature } = await kms.send(new SignCommand({ KeyId: signKey.KeyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' }));
    expect(verify('sha256', message, { key: pub, padding: constants.RSA_PKCS1_PADDING }, Signature!)).toBe(true);

    const encKey = await createKey('RSA_2048', 'ENCRYPT_DECRYPT');
    const encPub = (await kms.send(new GetPublicKeyCommand({ KeyId: encKey.KeyId }))).PublicKey!;
    const ct = publicEncrypt(
      { key: createPublicKey({ key: Buffer.from(encPub), format: 'der', type: 'spki' }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      text('secret'),
    );
    const dec = await kms.send(new DecryptCommand({ KeyId: encKey.KeyId, CiphertextBlob: ct, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }));
    expect(new TextDecoder().decode(dec.Plaintext)).toBe('secret');
    await expect(kms.send(new EncryptCommand({ KeyId: encKey.KeyId, Plaintext: text('x') }))).rejects.toMatchObject({ name: 'InvalidKeyUsageException' });
    await expect(kms.send(new SignCommand({ KeyId: encKey.KeyId, Message: message, SigningAlgorithm: 'RSASSA_PSS_SHA_256' }))).rejects.toMatchObject({
      name: 'InvalidKeyUsageException',
    });
  });

  it('MessageType DIGEST: PSS and ECDSA signatures over a digest verify outside KMS against the message', async () => {
    const message = text('pre-hashed elsewhere');
    const rsa = await createKey('RSA_2048', 'SIGN_VERIFY');
    const rsaPub = createPublicKey({ key: Buffer.from((await kms.send(new GetPublicKeyCommand({ KeyId: rsa.KeyId }))).PublicKey!), format: 'der', type: 'spki' });
    for (const SigningAlgorithm of ['RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_512'] as const) {
      const hash = `sha${SigningAlgorithm.slice(-3)}`;
      const digest = createHash(hash).update(message).digest();
      const { Signature } = await kms.send(new SignCommand({ KeyId: rsa.KeyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm }));
      expect(verify(hash, message, { key: rsaPub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: digest.length }, Signature!)).toBe(true);
      // And KMS verifies a RAW-mode signature given as DIGEST.
      const raw = await kms.send(new SignCommand({ KeyId: rsa.KeyId, Message: message, SigningAlgorithm }));
      await expect(kms.send(new VerifyCommand({ KeyId: rsa.KeyId, Message: digest, MessageType: 'DIGEST', Signature: raw.Signature, SigningAlgorithm }))).resolves.toMatchObject({ SignatureValid: true });
      await expect(kms.send(new VerifyCommand({ KeyId: rsa.KeyId, Message: createHash(hash).update('x').digest(), MessageType: 'DIGEST', Signature: raw.Signature, SigningAlgorithm }))).rejects.toMatchObject({ name: 'KMSInvalidSignatureException' });
    }
    const ec = await createKey('ECC_NIST_P256', 'SIGN_VERIFY');
    const ecPub = createPublicKey({ key: Buffer.from((await kms.send(new GetPublicKeyCommand({ KeyId: ec.KeyId }))).PublicKey!), format: 'der', type: 'spki' });
    const digest = createHash('sha256').update(message).digest();
    const { Signature } = await kms.send(new SignCommand({ KeyId: ec.KeyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }));
    expect(verify('sha256', message, ecPub, Signature!)).toBe(true);
    const raw = await kms.send(new SignCommand({ KeyId: ec.KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' }));
    await expect(kms.send(new VerifyCommand({ KeyId: ec.KeyId, Message: digest, MessageType: 'DIGEST', Signature: raw.Signature, SigningAlgorithm: 'ECDSA_SHA_256' }))).resolves.toMatchObject({ SignatureValid: true });
    await expect(kms.send(new SignCommand({ KeyId: ec.KeyId, Message: digest.subarray(1), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('ECC_NIST_P384 signs with ECDSA_SHA_384 (DER), verifiable outside KMS', async () => {
    const key = await createKey('ECC_NIST_P384', 'SIGN_VERIFY');
    const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }));
    const { Signature } = await kms.send(new SignCommand({ KeyId: key.KeyId, Message: text('m'), SigningAlgorithm: 'ECDSA_SHA_384' }));
    expect(verify('sha384', text('m'), createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' }), Signature!)).toBe(true);
    await expect(kms.send(new SignCommand({ KeyId: key.KeyId, Message: text('m'), SigningAlgorithm: 'ECDSA_SHA_256' }))).rejects.toMatchObject({
      name: 'InvalidKeyUsageException',
    });
  });

  it('HMAC_256 generates and verifies MACs', async () => {
    const key = await createKey('HMAC_256', 'GENERATE_VERIFY_MAC');
    expect(key.MacAlgorithms).toEqual(['HMAC_SHA_256']);
    const { Mac } = await kms.send(new GenerateMacCommand({ KeyId: key.KeyId, Message: text('m'), MacAlgorithm: 'HMAC_SHA_256' }));
    expect(Mac).toHaveLength(32);
    await expect(kms.send(new VerifyMacCommand({ KeyId: key.KeyId, Message: text('m'), Mac, MacAlgorithm: 'HMAC_SHA_256' }))).resolves.toMatchObject({ MacValid: true });
    const bad = Uint8Array.from(Mac!);
    bad[0]! ^= 1;
    await expect(kms.send(new VerifyMacCommand({ KeyId: key.KeyId, Message: text('m'), Mac: bad, MacAlgorithm: 'HMAC_SHA_256' }))).rejects.toMatchObject({
      name: 'KMSInvalidMacException',
    });
    await expect(kms.send(new GenerateMacCommand({ KeyId: key.KeyId, Message: text('m'), MacAlgorithm: 'HMAC_SHA_512' }))).rejects.toMatchObject({
      name: 'InvalidKeyUsageException',
    });
  });
});

describe('SigV4 strict mode', () => {
  it('rejects a wrong secret and an unknown access key id', async () => {
    const wrongSecret = clientFor(server, { ...CREDENTIALS, secretAccessKey: 'not-the-secret' });
    await expect(wrongSecret.send(new ListKeysCommand({}))).rejects.toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 400 } });
    const unknown = clientFor(server, { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: CREDENTIALS.secretAccessKey });
    await expect(unknown.send(new ListKeysCommand({}))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    wrongSecret.destroy();
    unknown.destroy();
  });

  it('accepts any signature in default mode', async () => {
    const { server: open, cleanup: done } = await startTestServer({ credentials: undefined });
    const anyone = clientFor(open, { accessKeyId: 'whoever', secretAccessKey: 'whatever' });
    try {
      await expect(anyone.send(new ListKeysCommand({}))).resolves.toMatchObject({ Keys: [] });
    } finally {
      anyone.destroy();
      await done();
    }
  });
});

describe('persistence', () => {
  it('keys survive a restart; material at rest is sealed', async () => {
    const { KeyId, Arn } = await createKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/persisted', TargetKeyId: KeyId }));
    const enc = await kms.send(new EncryptCommand({ KeyId, Plaintext: text('durable'), EncryptionContext: { a: 'b' } }));
    const second = await startKmsServer({ dataDir, credentials: CREDENTIALS });
    const kms2 = clientFor(second);
    try {
      const dec = await kms2.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { a: 'b' } }));
      expect(new TextDecoder().decode(dec.Plaintext)).toBe('durable');
      expect((await kms2.send(new DescribeKeyCommand({ KeyId: 'alias/persisted' }))).KeyMetadata!.Arn).toBe(Arn);
    } finally {
      kms2.destroy();
      await second.close();
    }
    expect((await stat(join(dataDir, 'master.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'state.log'))).mode & 0o777).toBe(0o600);
    // The change log holds the key's record; its material only as a sealed handle.
    const logText = await readFile(join(dataDir, 'state.log'), 'utf8');
    const line = logText.split('\n').find((l) => l.includes(`"${KeyId}":{`))!;
    const record = JSON.parse(line.slice(17)).keys[KeyId!];
    expect(record.backing[0].handle).toMatch(/^kms-local\/backing-key\//);
  });
});
