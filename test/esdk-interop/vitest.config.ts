import { project } from '../../vitest.shared.ts';

// Node 20 refuses RSA PKCS#1 v1.5 private decryption (CVE-2023-46809). The vector manifests include
// PKCS#1 scenarios, so this one project runs its workers with the documented revert flag.
export default project('esdk-interop', {
  include: ['*.test.ts'],
  execArgv: ['--security-revert=CVE-2023-46809'],
  testTimeout: 600_000,
});
