// The same minimal app with @aws-crypto/client-browser (raw AES keyring over Web Crypto). Its browser
// build has no streaming API (encrypt/decrypt take and return whole buffers), so this is its nearest
// equivalent: https://docs.aws.amazon.com/encryption-sdk/latest/developer-guide/javascript-example.html
import { buildClient, CommitmentPolicy, RawAesKeyringWebCrypto, RawAesWrappingSuiteIdentifier } from '@aws-crypto/client-browser';

const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const wrappingSuite = RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING;

export async function roundTrip(keyBytes, plaintext) {
  const masterKey = await RawAesKeyringWebCrypto.importCryptoKey(keyBytes, wrappingSuite);
  const keyring = new RawAesKeyringWebCrypto({ keyName: 'key-1', keyNamespace: 'app', wrappingSuite, masterKey });
  const { result } = await encrypt(keyring, plaintext, { encryptionContext: { purpose: 'bundle-bench' } });
  const { plaintext: back } = await decrypt(keyring, result);
  return back;
}
