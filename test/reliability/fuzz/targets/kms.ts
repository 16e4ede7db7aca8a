/**
 * kms-local's request parsing (AWS KMS API, JSON 1.1 protocol:
 * https://docs.aws.amazon.com/kms/latest/APIReference/Welcome.html) over real HTTP with real SigV4
 * signatures: for every operation, valid bodies with one field replaced (wrong types, prototype names in
 * every name-like field, name-like map keys), fields dropped, JSON text mutated, and arbitrary JSON.
 * And its ciphertext blobs: parseCiphertext and Decrypt of mutated blobs and of real blobs under a
 * different encryption context. An answer is a 200 or a modeled 4xx (`__type`), never a 5xx; a
 * mutated blob or a changed context never decrypts.
 */
import { KmsError, parseCiphertext } from '@strongroom/kms-local';
import fc from 'fast-check';
import { defineTarget, Untyped, type FuzzSession } from '../harness';
import { byteEdits, mutateBytes, mutateString, replaceAt, stringEdits, type ByteEdit } from '../mutate';
import { nameLike, nameLikeMap, PROTOTYPE_NAMES } from '../names';
import { startFuzzKms, type FuzzKms } from './kms-client';

/** The KMS operations (kms-local answers the ones it implements, UnknownOperationException for the rest). */
export const KMS_OPERATIONS = [
  'CreateKey', 'DescribeKey', 'ListKeys', 'EnableKey', 'DisableKey', 'ScheduleKeyDeletion', 'CancelKeyDeletion', 'UpdateKeyDescription',
  'CreateAlias', 'UpdateAlias', 'DeleteAlias', 'ListAliases', 'TagResource', 'UntagResource', 'ListResourceTags',
  'EnableKeyRotation', 'DisableKeyRotation', 'GetKeyRotationStatus', 'RotateKeyOnDemand', 'ListKeyRotations',
  'Encrypt', 'Decrypt', 'ReEncrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext',
  'GenerateRandom', 'GenerateMac', 'VerifyMac', 'Sign', 'Verify', 'GetPublicKey',
  'CreateCustomKeyStore', 'DescribeCustomKeyStores', 'UpdateCustomKeyStore', 'DeleteCustomKeyStore', 'ConnectCustomKeyStore', 'DisconnectCustomKeyStore',
] as const;

interface Fixture {
  readonly kms: FuzzKms;
  readonly ids: Record<'K' | 'V' | 'H' | 'E' | 'R', string>;
  readonly blob: string;
  readonly mac: string;
  readonly signature: string;
}

const MESSAGE = Buffer.from('fuzz message').toString('base64');

async function fixture(): Promise<Fixture> {
  const kms = await startFuzzKms();
  const create = async (input: Record<string, unknown>) => (await kms.call<{ KeyMetadata: { KeyId: string } }>('CreateKey', input)).KeyMetadata.KeyId;
  const ids = {
    K: await create({ Description: 'fuzz' }),
    V: await create({ Description: 'victim of lifecycle operations' }),
    H: await create({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }),
    E: await create({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }),
    R: await create({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }),
  };
  await kms.call('CreateAlias', { AliasName: 'alias/fuzz', TargetKeyId: ids.K });
  const blob = (await kms.call<{ CiphertextBlob: string }>('Encrypt', { KeyId: ids.K, Plaintext: MESSAGE, EncryptionContext: { a: 'b' } })).CiphertextBlob;
  const mac = (await kms.call<{ Mac: string }>('GenerateMac', { KeyId: ids.H, Message: MESSAGE, MacAlgorithm: 'HMAC_SHA_256' })).Mac;
  const signature = (await kms.call<{ Signature: string }>('Sign', { KeyId: ids.E, Message: MESSAGE, SigningAlgorithm: 'ECDSA_SHA_256', MessageType: 'RAW' })).Signature;
  return { kms, ids, blob, mac, signature };
}

/** A valid body per operation (placeholders @K … filled from the fixture). */
function template(op: string, f: Fixture): Record<string, unknown> {
  const { K, V, H, E, R } = f.ids;
  const cks = 'cks-1234567890abcdef0';
  const t: Record<string, Record<string, unknown>> = {
    CreateKey: { Description: 'd', KeyUsage: 'ENCRYPT_DECRYPT', KeySpec: 'SYMMETRIC_DEFAULT', Tags: [{ TagKey: 't', TagValue: 'v' }] },
    DescribeKey: { KeyId: K }, ListKeys: { Limit: 10 }, EnableKey: { KeyId: V }, DisableKey: { KeyId: V },
    ScheduleKeyDeletion: { KeyId: V, PendingWindowInDays: 7 }, CancelKeyDeletion: { KeyId: V }, UpdateKeyDescription: { KeyId: V, Description: 'x' },
    CreateAlias: { AliasName: 'alias/x', TargetKeyId: K }, UpdateAlias: { AliasName: 'alias/fuzz', TargetKeyId: K }, DeleteAlias: { AliasName: 'alias/x' },
    ListAliases: { KeyId: K, Limit: 5 }, TagResource: { KeyId: V, Tags: [{ TagKey: 'k', TagValue: 'v' }] }, UntagResource: { KeyId: V, TagKeys: ['k'] },
    ListResourceTags: { KeyId: V }, EnableKeyRotation: { KeyId: V, RotationPeriodInDays: 90 }, DisableKeyRotation: { KeyId: V },
    GetKeyRotationStatus: { KeyId: V }, RotateKeyOnDemand: { KeyId: V }, ListKeyRotations: { KeyId: V },
    Encrypt: { KeyId: K, Plaintext: MESSAGE, EncryptionContext: { a: 'b' } },
    Decrypt: { CiphertextBlob: f.blob, EncryptionContext: { a: 'b' } },
    ReEncrypt: { CiphertextBlob: f.blob, SourceEncryptionContext: { a: 'b' }, DestinationKeyId: K, DestinationEncryptionContext: { c: 'd' } },
    GenerateDataKey: { KeyId: K, KeySpec: 'AES_256', EncryptionContext: { a: 'b' } }, GenerateDataKeyWithoutPlaintext: { KeyId: K, NumberOfBytes: 32 },
    GenerateDataKeyPair: { KeyId: K, KeyPairSpec: 'ECC_NIST_P256' }, GenerateDataKeyPairWithoutPlaintext: { KeyId: K, KeyPairSpec: 'ECC_NIST_P256' },
    GenerateRandom: { NumberOfBytes: 32 }, GenerateMac: { KeyId: H, Message: MESSAGE, MacAlgorithm: 'HMAC_SHA_256' },
    VerifyMac: { KeyId: H, Message: MESSAGE, Mac: f.mac, MacAlgorithm: 'HMAC_SHA_256' },
    Sign: { KeyId: E, Message: MESSAGE, SigningAlgorithm: 'ECDSA_SHA_256', MessageType: 'RAW' },
    Verify: { KeyId: E, Message: MESSAGE, Signature: f.signature, SigningAlgorithm: 'ECDSA_SHA_256', MessageType: 'RAW' },
    GetPublicKey: { KeyId: R },
    CreateCustomKeyStore: { CustomKeyStoreName: 'cks', CloudHsmClusterId: 'cluster-1234567abcd', TrustAnchorCertificate: '-----BEGIN CERTIFICATE-----', KeyStorePassword: 'password1' },
    DescribeCustomKeyStores: { CustomKeyStoreName: 'cks' }, UpdateCustomKeyStore: { CustomKeyStoreId: cks, NewCustomKeyStoreName: 'n' },
    DeleteCustomKeyStore: { CustomKeyStoreId: cks }, ConnectCustomKeyStore: { CustomKeyStoreId: cks }, DisconnectCustomKeyStore: { CustomKeyStoreId: cks },
  };
  return Object.hasOwn(t, op) ? t[op]! : {};
}

const FIELDS = ['KeyId', 'AliasName', 'TargetKeyId', 'Description', 'Tags', 'TagKeys', 'EncryptionContext', 'SourceEncryptionContext', 'DestinationEncryptionContext', 'GrantTokens',
  'CiphertextBlob', 'Plaintext', 'NumberOfBytes', 'KeySpec', 'KeyUsage', 'KeyPairSpec', 'DestinationKeyId', 'SourceKeyId', 'Limit', 'Marker', 'PendingWindowInDays',
  'RotationPeriodInDays', 'Message', 'MessageType', 'Mac', 'MacAlgorithm', 'Signature', 'SigningAlgorithm', 'EncryptionAlgorithm', 'CustomKeyStoreId', 'CustomKeyStoreName',
  'NewCustomKeyStoreName', 'CloudHsmClusterId', 'KeyStorePassword', 'TrustAnchorCertificate', 'Origin', 'MultiRegion', 'DryRun', 'IncludeKeysPendingDeletion'];

/** `@K` etc. stand for the fixture's ids (known only once the server runs). */
const ID_REFS = ['@K', '@V', '@H', '@E', '@R'];
const nameString = nameLike(fc.string({ maxLength: 16 }), ['alias/', 'arn:aws:kms:us-east-1:111122223333:key/', 'arn:aws:kms:us-east-1:111122223333:alias/', 'alias/aws/']);
const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  nameString,
  fc.constantFrom(...ID_REFS, 'alias/fuzz'),
  fc.constantFrom('SYMMETRIC_DEFAULT', 'HMAC_256', 'ECC_NIST_P256', 'AES_256', 'AES_128', 'RAW', 'DIGEST', 'HMAC_SHA_256', 'ECDSA_SHA_256', 'RSAES_OAEP_SHA_256', 'ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'),
  fc.integer(), fc.constantFrom(0, -1, 1, 7, 30, 1024, 2 ** 31, 1e308, 0.5), fc.double(), fc.boolean(), fc.constant(null),
  fc.base64String({ maxLength: 64 }),
  nameLikeMap(),
  fc.array(nameString, { maxLength: 3 }),
  fc.array(fc.record({ TagKey: nameString, TagValue: nameString }, { requiredKeys: [] }), { maxLength: 3 }),
  fc.dictionary(nameString, fc.anything({ maxDepth: 1 }), { maxKeys: 2 }),
);

type BodyCase =
  | { readonly kind: 'replace'; readonly path: number[]; readonly value: unknown }
  | { readonly kind: 'add'; readonly name: string; readonly value: unknown }
  | { readonly kind: 'drop'; readonly field: number }
  | { readonly kind: 'text'; readonly edits: Array<[number, string]> }
  | { readonly kind: 'record'; readonly value: Record<string, unknown> }
  | { readonly kind: 'json'; readonly text: string };

const bodyCase: fc.Arbitrary<BodyCase> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('replace' as const), path: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), value: fieldValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('add' as const), name: nameLike(fc.constantFrom(...FIELDS)), value: fieldValue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), field: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('text' as const), edits: stringEdits }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('record' as const), value: fc.dictionary(fc.constantFrom(...FIELDS), fieldValue, { maxKeys: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('json' as const), text: fc.oneof(fc.json({ maxDepth: 2 }), fc.string({ maxLength: 60 })) }) },
);

function fill(value: unknown, f: Fixture): unknown {
  if (typeof value === 'string' && ID_REFS.includes(value)) return f.ids[value.slice(1) as keyof Fixture['ids']];
  if (Array.isArray(value)) return value.map((v) => fill(v, f));
  if (value !== null && typeof value === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(value)) Object.defineProperty(o, k, { value: fill((value as Record<string, unknown>)[k], f), enumerable: true, writable: true, configurable: true });
    return o;
  }
  return value;
}

function buildBody(op: string, c: BodyCase, f: Fixture): string {
  const base = template(op, f);
  switch (c.kind) {
    case 'replace':
      return JSON.stringify(replaceAt(base, c.path, fill(c.value, f)));
    case 'add': {
      const o = replaceAt(base, [], base) as Record<string, unknown>;
      Object.defineProperty(o, c.name, { value: fill(c.value, f), enumerable: true, writable: true, configurable: true });
      return JSON.stringify(o);
    }
    case 'drop': {
      const keys = Object.keys(base);
      if (keys.length) delete base[keys[c.field % keys.length]!];
      return JSON.stringify(base);
    }
    case 'text':
      return mutateString(JSON.stringify(base), c.edits);
    case 'record':
      return JSON.stringify(fill(c.value, f));
    case 'json':
      return c.text;
  }
}

/**
 * Operations whose input has no `KeyId` member (AWS KMS API reference): the JSON 1.1 protocol ignores
 * members an operation does not model, so a `KeyId` sent to them names nothing and a 200 is right.
 */
const NO_KEY_ID = new Set([
  'CreateKey', 'CreateAlias', 'UpdateAlias', 'DeleteAlias', 'ListKeys', 'GenerateRandom', 'ReEncrypt',
  'CreateCustomKeyStore', 'ConnectCustomKeyStore', 'DisconnectCustomKeyStore', 'DescribeCustomKeyStores',
  'UpdateCustomKeyStore', 'DeleteCustomKeyStore',
]);

function checkAnswer(op: string, body: string, r: { status: number; text: string }): void {
  if (r.status >= 500) throw new Untyped(`${op} answered ${r.status}: ${r.text.slice(0, 200)}`);
  if (r.status !== 200 && !/"__type"/.test(r.text)) throw new Untyped(`${op} answered ${r.status} without a modeled error`);
  if (r.status === 200) {
    let keyId: unknown;
    try {
      // An empty body is the empty request, {} (kms-local accepts it, as the JSON 1.1 protocol allows).
      keyId = body === '' ? undefined : (JSON.parse(body) as Record<string, unknown>)['KeyId'];
    } catch {
      throw new Untyped(`${op} answered 200 to a body that is not JSON`);
    }
    if (!NO_KEY_ID.has(op) && typeof keyId === 'string' && (PROTOTYPE_NAMES as readonly string[]).includes(keyId)) throw new Untyped(`${op} answered 200 for KeyId ${keyId}, which names no key`);
  }
}

const EPOCH = 20_000; // cases per server: a fresh data directory bounds the state that CreateKey grows

export const kmsRequestBodies = defineTarget({
  name: 'kms-local-requests',
  description: `kms-local over HTTP with SigV4: every operation (${KMS_OPERATIONS.length} + unknown and prototype-named ones), valid bodies with a field replaced/added/dropped, JSON text mutated, random records and JSON; a fresh server every ${EPOCH.toLocaleString('en-US')} cases`,
  async: true,
  ciCases: 400,
  async open(): Promise<FuzzSession<{ op: string; body: BodyCase; sent?: string }>> {
    let f = await fixture();
    let n = 0;
    return {
      arbitrary: fc.record({ op: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...KMS_OPERATIONS) }, { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES, 'NoSuchOperation', '') }), body: bodyCase }),
      async run(c) {
        if (++n % EPOCH === 0) {
          await f.kms.close();
          f = await fixture();
        }
        const body = buildBody(c.op, c.body, f);
        c.sent = `${c.op}\n${body}`;
        checkAnswer(c.op, body, await f.kms.post(c.op, body));
      },
      bytes: (c) => Buffer.from(c.sent ?? c.op),
      async check() {
        await f.kms.call('DescribeKey', { KeyId: f.ids.K });
      },
      checkEvery: 5_000,
      async close() {
        await f.kms.close();
      },
    };
  },
});

interface Blob {
  readonly blob: Buffer;
  readonly context: Record<string, string>;
}

function sameContext(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

function ownMap(pairs: Array<[string, string]>): Record<string, string> {
  const o: Record<string, string> = {};
  for (const [k, v] of pairs) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

export const kmsCiphertextBlobs = defineTarget({
  name: 'kms-local-ciphertext',
  description: 'kms-local parseCiphertext in-process, and Decrypt over HTTP (SigV4) of mutated blobs and of real blobs under changed encryption contexts (prototype-name keys); only the unchanged pair decrypts',
  async: true,
  ciCases: 400,
  async open(): Promise<FuzzSession<{ which: number; edits: ByteEdit[] | null; context: Record<string, string> | null; sent?: string }>> {
    const f = await fixture();
    const contexts = [ownMap([['a', 'b']]), ownMap([['__proto__', 'tenant-A']]), ownMap([['constructor', 'x'], ['toString', 'y']]), ownMap([['hasOwnProperty', 'h'], ['prototype', 'p']]), ownMap([])];
    const blobs: Blob[] = [];
    for (const context of contexts) {
      const r = await f.kms.call<{ CiphertextBlob: string }>('Encrypt', { KeyId: f.ids.K, Plaintext: MESSAGE, EncryptionContext: context });
      blobs.push({ blob: Buffer.from(r.CiphertextBlob, 'base64'), context });
    }
    return {
      arbitrary: fc.record({
        which: fc.nat(),
        edits: fc.option(byteEdits, { freq: 4 }),
        context: fc.option(nameLikeMap(fc.oneof(fc.constantFrom('b', 'tenant-A', 'tenant-B', 'x', 'y'), fc.string({ maxLength: 4 })), nameLike(fc.constantFrom('a', 'b', 'tenant'))), { freq: 2 }),
      }),
      async run(c) {
        const b = blobs[c.which % blobs.length]!;
        const blob = c.edits ? mutateBytes(b.blob, c.edits) : b.blob;
        const context = c.context ?? b.context;
        try {
          parseCiphertext(blob);
        } catch (e) {
          if (!(e instanceof KmsError) || e.type !== 'InvalidCiphertextException') throw new Untyped(`parseCiphertext: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        }
        const body = JSON.stringify({ CiphertextBlob: blob.toString('base64'), EncryptionContext: context });
        c.sent = body;
        const r = await f.kms.post('Decrypt', body);
        checkAnswer('Decrypt', body, r);
        if (r.status === 200) {
          if (!blob.equals(b.blob)) throw new Untyped('a mutated ciphertext blob decrypted');
          if (!sameContext(context, b.context)) throw new Untyped(`decrypted under encryption context ${JSON.stringify(context)}, encrypted under ${JSON.stringify(b.context)}`);
          if ((JSON.parse(r.text) as { Plaintext: string }).Plaintext !== MESSAGE) throw new Untyped('Decrypt returned other plaintext');
        }
      },
      bytes: (c) => Buffer.from(c.sent ?? ''),
      async check() {
        await f.kms.call('Decrypt', { CiphertextBlob: blobs[0]!.blob.toString('base64'), EncryptionContext: blobs[0]!.context });
      },
      checkEvery: 5_000,
      async close() {
        await f.kms.close();
      },
    };
  },
});
