/**
 * HsmKeyProvider (SoftHSMv2 over PKCS#11): the S3EC AES/GCM wrap runs inside the HSM, for V2 and V3
 * objects and instruction files; SSE-C keys come from the HSM's random number generator.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { HsmKeyProvider, openPkcs11, type Pkcs11Backend } from '@strongroom/provider-hsm';
import { EncryptedS3Client, generateSseCKey, recoverSseCKey } from '../src/index';
import { startS3, type LocalS3 } from './helpers/s3rver';
import { requireOrSkip } from './helpers/ruby';
import { softHsmToken, softHsmUnavailable } from './helpers/softhsm';

const available = requireOrSkip(softHsmUnavailable(), 's3 over HsmKeyProvider (SoftHSMv2)');

describe.runIf(available)('EncryptedS3Client with HsmKeyProvider (SoftHSMv2)', () => {
  let s3: LocalS3;
  let hsm: Pkcs11Backend;
  let token: ReturnType<typeof softHsmToken>;
  beforeAll(async () => {
    token = softHsmToken('s3-tests');
    s3 = await startS3();
    hsm = await openPkcs11({ library: token.library, tokenLabel: token.tokenLabel, pin: token.pin });
    await hsm.generateAesKey({ label: 's3-kek', bits: 256 });
    await hsm.generateAesKey({ label: 'other-kek', bits: 256 });
  });
  afterAll(async () => {
    await hsm?.close();
    await s3?.close();
    token?.cleanup();
  });

  it.each([
    ['v3', 'metadata'],
    ['v2', 'metadata'],
    ['v3', 'instruction-file'],
    ['v2', 'instruction-file'],
  ] as const)('%s / %s round-trips with the AES/GCM wrap done in the HSM', async (format, envelopeLocation) => {
    const provider = HsmKeyProvider({ backend: hsm, keyLabel: 's3-kek' });
    const c = new EncryptedS3Client({ client: s3.client, keyProvider: provider, format, envelopeLocation });
    const key = `hsm/${format}/${envelopeLocation}`;
    const pt = randomBytes(40_000);
    await c.putObject({ Bucket: s3.bucket, Key: key, Body: pt });
    if (envelopeLocation === 'metadata') {
      const raw = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
      await raw.Body!.transformToByteArray();
      const md = raw.Metadata!;
      expect(format === 'v3' ? md['x-amz-w'] : md['x-amz-wrap-alg']).toBe(format === 'v3' ? '02' : 'AES/GCM');
      expect(Buffer.from(format === 'v3' ? md['x-amz-3']! : md['x-amz-key-v2']!, 'base64')).toHaveLength(60);
    }
    const got = await c.getObject({ Bucket: s3.bucket, Key: key });
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(pt)).toBe(true);
    const other = new EncryptedS3Client({ client: s3.client, keyProvider: HsmKeyProvider({ backend: hsm, keyLabel: 'other-kek' }) });
    await expect(other.getObject({ Bucket: s3.bucket, Key: key })).rejects.toMatchObject({ code: 'NO_DECRYPTION_KEY' });
  });

  it('generates SSE-C keys with the HSM and recovers them from the wrapped copy', async () => {
    const provider = HsmKeyProvider({ backend: hsm, keyLabel: 's3-kek' });
    const k = await generateSseCKey(provider, { encryptionContext: { bucket: 'b' } });
    expect(k.key).toHaveLength(32);
    expect(k.keyMD5).toBe(createHash('md5').update(k.key).digest('base64'));
    const back = await recoverSseCKey(provider, { wrappedKey: k.wrappedKey, encryptionContext: { bucket: 'b' }, keyMD5: k.keyMD5 });
    expect(Buffer.from(back.key).equals(Buffer.from(k.key))).toBe(true);
    await expect(recoverSseCKey(provider, { wrappedKey: k.wrappedKey, encryptionContext: { bucket: 'x' } })).rejects.toMatchObject({ code: 'NO_DECRYPTION_KEY' });
  });
});
