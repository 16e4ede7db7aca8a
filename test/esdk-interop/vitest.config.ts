import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt } from 'node:crypto';
import { project } from '../../vitest.shared.ts';

/**
 * Whether this Node decrypts RSA PKCS#1 v1.5 (RSAES-PKCS1-v1_5, RFC 8017 §7.2). Node 20 refuses it
 * (CVE-2023-46809, https://nodejs.org/en/blog/vulnerability/february-2024-security-releases) unless
 * started with `--security-revert=CVE-2023-46809`; Node 22 and 24 link an OpenSSL with implicit
 * rejection and allow it, and they reject the revert flag as an unknown CVE. So ask this Node.
 */
function decryptsPkcs1(): boolean {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const ciphertext = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.from('probe'));
  try {
    return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, ciphertext).toString() === 'probe';
  } catch {
    return false;
  }
}

// The vector manifests include PKCS#1 v1.5 scenarios: on a Node that refuses them, this one project
// runs its workers with the documented revert flag.
export default project('esdk-interop', {
  include: ['*.test.ts'],
  execArgv: decryptsPkcs1() ? [] : ['--security-revert=CVE-2023-46809'],
  testTimeout: 600_000,
});
