/**
 * The web entry (built dist/web.mjs) reads the published ESDK decrypt vectors written by ESDK-NET
 * (packages/testing fixtures: raw AES and RSA keys, Default and Required Encryption Context CMM),
 * one-shot and streamed; every negative vector fails with a typed error. RSA PKCS#1 v1.5 vectors are
 * counted apart: Web Crypto has no RSAES-PKCS1-v1_5 (the provider refuses them with UNSUPPORTED).
 */
import { loadRequiredEcDecryptVectors, type RequiredEcDecryptVector, type RequiredEcMasterKey } from '@strongroom/testing';
import { describe, expect, it } from 'vitest';
import { readAll, streamOf, web } from './web-entry';

const runnable = loadRequiredEcDecryptVectors().filter((v) => v.rawOnly && v.ciphertext !== undefined);
const pkcs1 = (v: RequiredEcDecryptVector) => v.masterKeys.some((mk) => mk.padding === 'pkcs1');

function providerFor(mk: RequiredEcMasterKey, all: readonly RequiredEcMasterKey[]) {
  if (mk.encryptionAlgorithm === 'aes') return web.RawAesKeyProvider({ namespace: mk.providerId, name: mk.key.keyId, key: mk.key.material as Uint8Array });
  const privateKey = mk.key.type === 'private' ? (mk.key.material as string) : undefined;
  const publicKey = (all.find((m) => m.key.type === 'public')?.key.material as string | undefined) ?? undefined;
  return web.RawRsaKeyProvider({ namespace: mk.providerId, name: mk.key.keyId, publicKey, privateKey, padding: mk.padding as 'oaep-sha1' });
}

async function open(v: RequiredEcDecryptVector, streaming: boolean): Promise<{ plaintext: Uint8Array; encryptionContext: Record<string, string> }> {
  const client = web.createClient({
    keyProviders: v.masterKeys.map((mk) => providerFor(mk, v.masterKeys)),
    commitmentPolicy: web.CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT,
  });
  const options = v.cmm === 'RequiredEncryptionContext' ? { encryptionContext: v.encryptionContext, requiredEncryptionContextKeys: Object.keys(v.encryptionContext) } : {};
  if (!streaming) return client.decrypt(v.ciphertext!, options);
  const stream = client.decryptStream(streamOf(v.ciphertext!, 1000), options);
  const plaintext = await readAll(stream.readable);
  return { plaintext, encryptionContext: (await stream.header).encryptionContext };
}

describe('published ESDK-NET decrypt vectors on the web entry', () => {
  it(`${runnable.filter((v) => !pkcs1(v)).length} vectors (raw AES, RSA-OAEP), one-shot and streamed`, async () => {
    const failures: string[] = [];
    let positives = 0;
    let negatives = 0;
    for (const v of runnable.filter((x) => !pkcs1(x))) {
      for (const streaming of [false, true]) {
        let result: Awaited<ReturnType<typeof open>> | undefined;
        let error: unknown;
        try {
          result = await open(v, streaming);
        } catch (e) {
          error = e;
        }
        const how = `${v.id} (${streaming ? 'stream' : 'one-shot'})`;
        if (error !== undefined && !web.StrongroomError.isInstance(error)) failures.push(`${how}: untyped ${String(error)}`);
        else if (v.expect === 'failure') {
          if (error === undefined) failures.push(`${how}: decrypted, but ${v.reason}`);
          else negatives++;
        } else if (error !== undefined) failures.push(`${how}: ${(error as Error).message}`);
        else if (Buffer.compare(Buffer.from(result!.plaintext), Buffer.from(v.plaintext)) !== 0) failures.push(`${how}: plaintext differs`);
        else if (Object.entries(v.encryptionContext).some(([k, val]) => result!.encryptionContext[k] !== val)) failures.push(`${how}: context differs`);
        else positives++;
      }
    }
    console.log(`web entry, ESDK-NET vectors: ${positives} positive and ${negatives} negative decryptions as expected; ${runnable.filter(pkcs1).length} RSA PKCS#1 v1.5 vectors not run (no RSAES-PKCS1-v1_5 in Web Crypto)`);
    expect(failures.slice(0, 10)).toEqual([]);
    expect(positives).toBeGreaterThan(0);
    expect(negatives).toBeGreaterThan(0);
  }, 600_000);
});
