export type * from './backend';
export * from './pkcs11/index';
