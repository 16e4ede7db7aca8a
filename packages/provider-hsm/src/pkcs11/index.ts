export { openPkcs11, type OpenPkcs11Options, type Pkcs11Backend } from './client';
