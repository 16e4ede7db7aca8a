/**
 * `@strongroom/provider-custom-key-store` — KMS keys in CloudHSM custom key stores
 * (https://docs.aws.amazon.com/kms/latest/developerguide/keystore-cloudhsm.html): `CustomKeyStoreKeyProvider` (the KMS provider plus store awareness) and
 * `createCustomKeyStoreAdmin` (create/connect/disconnect/describe/update/delete stores, create keys).
 * See docs/custom-key-stores.md.
 *
 * @module \@strongroom/provider-custom-key-store
 */
export { CustomKeyStoreKeyProvider, type CustomKeyStoreKeyProviderOptions } from './provider';
export {
  createCustomKeyStoreAdmin,
  type CustomKeyStoreAdmin,
  type CustomKeyStoreDescription,
  type CreateCustomKeyStoreInput,
  type ConnectOptions,
} from './admin';
export { storeNotReadyMessage, toAdminError, type StoreFacts } from './errors';
