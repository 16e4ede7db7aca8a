import { project } from '../../vitest.shared.ts';
// A fresh process per test file: SoftHSMv2 reads SOFTHSM2_CONF once per process (test/softhsm.ts),
// and several files here open PKCS#11 with a token directory of their own.
export default project('provider-hsm', { isolate: true });
