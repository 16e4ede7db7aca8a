/**
 * A KeyProvider (the @strongroom/core seam) over AWS KMS for the browser, with the AWS SDK's browser
 * build of @aws-sdk/client-kms. Its encrypted data keys are those of the AWS Encryption SDK's KMS
 * keyring (https://github.com/awslabs/aws-encryption-sdk-specification/blob/master/framework/aws-kms/aws-kms-keyring.md):
 * provider id `aws-kms`, provider info = the key ARN KMS answered, ciphertext = KMS's CiphertextBlob,
 * the message's encryption context passed to KMS — so `KmsKeyProvider` from @strongroom/provider-kms
 * (Node) opens what this page writes, and the reverse.
 *
 * Why not KmsKeyProvider itself: @strongroom/provider-kms still imports node:crypto (its cache
 * identity), node:fs and node:https (its config file), so it does not bundle for a browser yet.
 */
import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { StrongroomError } from '@strongroom/core';

const PROVIDER_ID = 'aws-kms';
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

export function browserKmsKeyProvider({ client, keyArn }) {
  if (typeof keyArn !== 'string' || !keyArn.startsWith('arn:')) throw new StrongroomError('INVALID_ARGUMENT', 'keyArn: give the KMS key ARN (dev.json kms.keyArn)');
  return {
    providerId: PROVIDER_ID,
    async generateDataKey({ suite, encryptionContext, abortSignal }) {
      const out = await client.send(
        new GenerateDataKeyCommand({ KeyId: keyArn, NumberOfBytes: suite.keyLength, EncryptionContext: { ...encryptionContext } }),
        { abortSignal },
      );
      if (out.KeyId !== keyArn || !out.Plaintext || out.Plaintext.length !== suite.keyLength || !out.CiphertextBlob) {
        throw new StrongroomError('PROVIDER_ERROR', `KMS answered GenerateDataKey for ${out.KeyId}, not ${keyArn}, or without a key of ${suite.keyLength} bytes`);
      }
      return { plaintextKey: out.Plaintext, encryptedDataKey: { providerId: PROVIDER_ID, providerInfo: utf8.encode(keyArn), ciphertext: out.CiphertextBlob } };
    },
    async encryptDataKey() {
      throw new StrongroomError('UNSUPPORTED', 'this example provider generates data keys only (use it as the only or first provider)');
    },
    async decryptDataKey({ encryptedDataKey, encryptionContext, abortSignal }) {
      if (encryptedDataKey.providerId !== PROVIDER_ID) return undefined;
      let arn;
      try {
        arn = fromUtf8.decode(encryptedDataKey.providerInfo);
      } catch {
        return undefined;
      }
      if (arn !== keyArn) return undefined;
      const out = await client.send(
        new DecryptCommand({ KeyId: keyArn, CiphertextBlob: encryptedDataKey.ciphertext, EncryptionContext: { ...encryptionContext } }),
        { abortSignal },
      );
      if (out.KeyId !== keyArn || !out.Plaintext) throw new StrongroomError('PROVIDER_ERROR', `KMS decrypted under ${out.KeyId}, not ${keyArn}`);
      return out.Plaintext;
    },
  };
}
