/**
 * The custom key store part of the dev stack (docs/custom-key-stores.md, docs/architecture.md#the-dev-stack-and-the-main-job): a KMS custom
 * key store on the dev HSM cluster, connected, with one KMS key (Origin AWS_CLOUDHSM) and an alias.
 *
 * kms-local learns the cluster through its `hsmClusters` registration (dev-stack.ts passes the
 * current node URLs at every start); the store and key are created once, through the public KMS API
 * (`createCustomKeyStoreAdmin`), and reconnected at every start — kms-local starts every store
 * DISCONNECTED after a restart, as documented. Any failure here leaves the rest of the stack usable:
 * dev.json then records `{ available: false, reason }` and every `cks` path prints that reason.
 */
import { CreateAliasCommand, type KMSClient } from '@aws-sdk/client-kms';
import { StrongroomError } from '@strongroom/core';
import { createCustomKeyStoreAdmin } from '@strongroom/provider-custom-key-store';
import type { DevCksSection } from './dev-config';

/** Name of the dev stack's custom key store in kms-local. */
export const DEV_CKS_NAME = 'strongroom-dev';
/** Alias of the KMS key the dev stack creates in its custom key store (`cks://alias/strongroom-dev-cks`). */
export const DEV_CKS_ALIAS = 'alias/strongroom-dev-cks';

/** What previous starts created (kept in the dev stack's state.json). */
export interface CksState {
  customKeyStoreId?: string;
  keyArn?: string;
  aliased?: boolean;
}

export interface CksSetUpInput {
  kmsClient: KMSClient;
  clusterId: string;
  trustAnchorPem: string;
  kmsuserPassword: string;
  state: CksState;
  save: () => Promise<void>;
  log: (line: string) => void;
  abortSignal?: AbortSignal;
}

/** Create (first start) or reconnect (later starts) the custom key store; never throws. */
export async function setUpCustomKeyStore(input: CksSetUpInput): Promise<DevCksSection> {
  const { state, log } = input;
  const admin = createCustomKeyStoreAdmin({ client: input.kmsClient });
  const o = input.abortSignal ? { abortSignal: input.abortSignal } : {};
  try {
    if (!state.customKeyStoreId) {
      log(`creating the custom key store "${DEV_CKS_NAME}" on cluster ${input.clusterId}`);
      state.customKeyStoreId = await admin.createCustomKeyStore({ name: DEV_CKS_NAME, clusterId: input.clusterId, trustAnchorPem: input.trustAnchorPem, kmsuserPassword: input.kmsuserPassword, ...o });
      await input.save();
    }
    log(`connecting the custom key store ${state.customKeyStoreId}`);
    await admin.connect(state.customKeyStoreId, o);
    if (!state.keyArn) {
      log('creating a KMS key in the custom key store');
      state.keyArn = await admin.createKey(state.customKeyStoreId, { description: 'strongroom dev key (custom key store)', ...o });
      await input.save();
    }
    if (!state.aliased) {
      await input.kmsClient.send(new CreateAliasCommand({ AliasName: DEV_CKS_ALIAS, TargetKeyId: state.keyArn }), o);
      state.aliased = true;
      await input.save();
    }
    return { available: true, customKeyStoreId: state.customKeyStoreId, keyArn: state.keyArn, alias: DEV_CKS_ALIAS };
  } catch (error) {
    const reason = `custom key store set-up failed: ${String((error as Error)?.message ?? error).replace(/\s+/g, ' ')}`;
    log(reason);
    return { available: false, reason };
  }
}

/** The one-line error every `cks` path throws when the store is not available. */
export function cksUnavailable(reason: string): StrongroomError {
  return new StrongroomError('UNSUPPORTED', `cks: ${reason}`, { details: { reason: 'CKS_NOT_AVAILABLE' } });
}
