/**
 * `strongroom kms …`: keys, aliases and custom key stores on the dev stack's KMS endpoint (any AWS
 * KMS-compatible endpoint: the commands are plain @aws-sdk/client-kms calls).
 */
import { CreateAliasCommand, CreateKeyCommand, DeleteAliasCommand, ListAliasesCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { StrongroomError } from '@strongroom/core';
import { createCustomKeyStoreAdmin } from '@strongroom/provider-custom-key-store';
import { hsmPems } from '../clients';
import { kmsClientFor } from '../kms-client';
import { cliKmsRetry, sendKms } from '../kms-call';
import { UsageError } from '../exit';
import { readSecret } from '../secret-input';
import type { CliContext } from './context';

function unsupported(error: unknown): never {
  const name = (error as { name?: string }).name;
  if (name === 'UnknownOperationException') {
    throw new StrongroomError('UNSUPPORTED', 'this KMS endpoint does not support custom key stores yet (kms-local: issue 6)', { cause: error });
  }
  throw error;
}

export async function kmsCommand(ctx: CliContext, action: string, args: string[], o: { description?: string; alias?: string; customKeyStore?: string; kmsuserPasswordFile?: string }): Promise<void> {
  const config = ctx.config();
  const kms = kmsClientFor(config.kms);
  // A deadline per attempt (env STRONGROOM_TIMEOUT); reads are retried, creates and deletes are not (kms-call.ts).
  const retry = cliKmsRetry();
  const send = <T>(operation: string, cmd: unknown, idempotent = false) => sendKms<T>(kms, operation, cmd, { abortSignal: ctx.signal, idempotent });
  try {
    switch (action) {
      case 'create-key': {
        const out = await send<{ KeyMetadata: { Arn: string; KeyId: string } }>(
          'CreateKey',
          new CreateKeyCommand({
            Description: o.description ?? 'created by strongroom kms create-key',
            KeyUsage: 'ENCRYPT_DECRYPT',
            KeySpec: 'SYMMETRIC_DEFAULT',
            ...(o.customKeyStore ? { CustomKeyStoreId: o.customKeyStore, Origin: 'AWS_CLOUDHSM' } : {}),
          }),
        ).catch(unsupported);
        if (o.alias) await send('CreateAlias', new CreateAliasCommand({ AliasName: o.alias, TargetKeyId: out.KeyMetadata.KeyId }));
        ctx.print(`${out.KeyMetadata.Arn}${o.alias ? `  ${o.alias}` : ''}`);
        ctx.print(`use it as ${o.customKeyStore ? 'cks' : 'kms'}://${o.alias ?? out.KeyMetadata.Arn}`);
        return;
      }
      case 'list-keys': {
        const out = await send<{ Keys?: Array<{ KeyArn?: string }> }>('ListKeys', new ListKeysCommand({}), true);
        for (const k of out.Keys ?? []) ctx.print(k.KeyArn ?? '');
        return;
      }
      case 'aliases': {
        const [sub, alias, key] = args;
        if (!sub || sub === 'list') {
          const out = await send<{ Aliases?: Array<{ AliasName?: string; TargetKeyId?: string }> }>('ListAliases', new ListAliasesCommand({}), true);
          for (const a of out.Aliases ?? []) ctx.print(`${a.AliasName}  ${a.TargetKeyId ?? ''}`);
          return;
        }
        if (!alias?.startsWith('alias/')) throw new UsageError('kms aliases create|delete alias/<name> [key-id]');
        if (sub === 'create') {
          if (!key) throw new UsageError('kms aliases create alias/<name> <key-id>');
          // An alias cannot point at another alias (AWS KMS CreateAlias: TargetKeyId is a key ID or key ARN).
          if (key.startsWith('alias/') || /^arn:[^:]+:kms:[^:]*:[^:]*:alias\//.test(key)) {
            throw new UsageError(`kms aliases create: the target must be a key ID or key ARN, not an alias (${key}); \`strongroom kms aliases list\` shows the key each alias points at`);
          }
          await send('CreateAlias', new CreateAliasCommand({ AliasName: alias, TargetKeyId: key }));
          return ctx.print(`created ${alias} → ${key}`);
        }
        if (sub === 'delete') {
          await send('DeleteAlias', new DeleteAliasCommand({ AliasName: alias }));
          return ctx.print(`deleted ${alias}`);
        }
        throw new UsageError(`kms aliases: unknown action ${sub} (list, create, delete)`);
      }
      case 'custom-key-stores': {
        // The admin API of @strongroom/provider-custom-key-store: connect waits for CONNECTED and
        // every failure names the fix (ConnectionErrorCode → what to do).
        const admin = createCustomKeyStoreAdmin({ client: kms, retry });
        const o2 = { abortSignal: ctx.signal };
        const [sub, id] = args;
        if (!sub || sub === 'list') {
          const stores = await admin.describe(undefined, o2).catch(unsupported);
          for (const st of stores) ctx.print(`${st.customKeyStoreId}  ${st.name}  ${st.connectionState}${st.connectionErrorCode ? ` (${st.connectionErrorCode})` : ''}  ${st.clusterId ?? ''}`);
          if (stores.length === 0) ctx.print('(none)');
          return;
        }
        if (sub === 'create') {
          if (!id) throw new UsageError('kms custom-key-stores create <name> (uses the dev HSM cluster; the kmsuser password from --kmsuser-password-file, env STRONGROOM_KMSUSER_PASSWORD or a prompt)');
          const password = await readSecret({ what: 'kmsuser password', fileFlag: '--kmsuser-password-file', file: o.kmsuserPasswordFile, env: 'STRONGROOM_KMSUSER_PASSWORD' });
          const storeId = await admin
            .createCustomKeyStore({ name: id, clusterId: config.hsm.clusterId, trustAnchorPem: hsmPems(config.hsm).trustAnchor, kmsuserPassword: password, ...o2 })
            .catch(unsupported);
          return ctx.print(storeId);
        }
        if (!id) throw new UsageError(`kms custom-key-stores ${sub} <custom-key-store-id>`);
        if (sub === 'connect') {
          const st = await admin.connect(id, o2).catch(unsupported);
          return ctx.print(`${id} ${st.connectionState}`);
        }
        if (sub === 'disconnect') return (await admin.disconnect(id, o2).catch(unsupported), ctx.print(`${id} DISCONNECTED`));
        throw new UsageError(`kms custom-key-stores: unknown action ${sub} (list, create, connect, disconnect)`);
      }
      default:
        throw new UsageError(`kms: unknown command ${action} (create-key, list-keys, aliases, custom-key-stores)`);
    }
  } finally {
    kms.destroy();
  }
}
