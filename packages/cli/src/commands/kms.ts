/**
 * `strongroom kms …`: keys, aliases and custom key stores on the dev stack's KMS endpoint (any AWS
 * KMS-compatible endpoint: the commands are plain @aws-sdk/client-kms calls).
 */
import {
  ConnectCustomKeyStoreCommand,
  CreateAliasCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DeleteAliasCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  ListAliasesCommand,
  ListKeysCommand,
} from '@aws-sdk/client-kms';
import { StrongroomError } from '@strongroom/core';
import { kmsClientFor, hsmPems } from '../clients';
import { UsageError } from '../exit';
import type { CliContext } from './context';

function unsupported(error: unknown): never {
  const name = (error as { name?: string }).name;
  if (name === 'UnknownOperationException') {
    throw new StrongroomError('UNSUPPORTED', 'this KMS endpoint does not support custom key stores yet (kms-local: issue 6)', { cause: error });
  }
  throw error;
}

export async function kmsCommand(ctx: CliContext, action: string, args: string[], o: { description?: string; alias?: string; customKeyStore?: string }): Promise<void> {
  const config = ctx.config();
  const kms = kmsClientFor(config.kms);
  const send = <T>(cmd: unknown) => kms.send(cmd as never, { abortSignal: ctx.signal }) as Promise<T>;
  try {
    switch (action) {
      case 'create-key': {
        const out = await send<{ KeyMetadata: { Arn: string; KeyId: string } }>(
          new CreateKeyCommand({
            Description: o.description ?? 'created by strongroom kms create-key',
            KeyUsage: 'ENCRYPT_DECRYPT',
            KeySpec: 'SYMMETRIC_DEFAULT',
            ...(o.customKeyStore ? { CustomKeyStoreId: o.customKeyStore, Origin: 'AWS_CLOUDHSM' } : {}),
          }),
        ).catch(unsupported);
        if (o.alias) await send(new CreateAliasCommand({ AliasName: o.alias, TargetKeyId: out.KeyMetadata.KeyId }));
        ctx.print(`${out.KeyMetadata.Arn}${o.alias ? `  ${o.alias}` : ''}`);
        ctx.print(`use it as ${o.customKeyStore ? 'cks' : 'kms'}://${o.alias ?? out.KeyMetadata.Arn}`);
        return;
      }
      case 'list-keys': {
        const out = await send<{ Keys?: Array<{ KeyArn?: string }> }>(new ListKeysCommand({}));
        for (const k of out.Keys ?? []) ctx.print(k.KeyArn ?? '');
        return;
      }
      case 'aliases': {
        const [sub, alias, key] = args;
        if (!sub || sub === 'list') {
          const out = await send<{ Aliases?: Array<{ AliasName?: string; TargetKeyId?: string }> }>(new ListAliasesCommand({}));
          for (const a of out.Aliases ?? []) ctx.print(`${a.AliasName}  ${a.TargetKeyId ?? ''}`);
          return;
        }
        if (!alias?.startsWith('alias/')) throw new UsageError('kms aliases create|delete alias/<name> [key-id]');
        if (sub === 'create') {
          if (!key) throw new UsageError('kms aliases create alias/<name> <key-id>');
          await send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key }));
          return ctx.print(`created ${alias} → ${key}`);
        }
        if (sub === 'delete') {
          await send(new DeleteAliasCommand({ AliasName: alias }));
          return ctx.print(`deleted ${alias}`);
        }
        throw new UsageError(`kms aliases: unknown action ${sub} (list, create, delete)`);
      }
      case 'custom-key-stores': {
        const [sub, id] = args;
        if (!sub || sub === 'list') {
          const out = await send<{ CustomKeyStores?: Array<Record<string, unknown>> }>(new DescribeCustomKeyStoresCommand({})).catch(unsupported);
          for (const s of out.CustomKeyStores ?? []) ctx.print(`${s.CustomKeyStoreId}  ${s.CustomKeyStoreName}  ${s.ConnectionState}  ${s.CloudHsmClusterId ?? ''}`);
          if (!out.CustomKeyStores?.length) ctx.print('(none)');
          return;
        }
        if (sub === 'create') {
          if (!id) throw new UsageError('kms custom-key-stores create <name> (uses the dev HSM cluster; env STRONGROOM_KMSUSER_PASSWORD)');
          const password = process.env.STRONGROOM_KMSUSER_PASSWORD;
          if (!password) throw new UsageError('set the kmsuser password in env STRONGROOM_KMSUSER_PASSWORD');
          const out = await send<{ CustomKeyStoreId: string }>(
            new CreateCustomKeyStoreCommand({
              CustomKeyStoreName: id,
              CloudHsmClusterId: config.hsm.clusterId,
              TrustAnchorCertificate: hsmPems(config.hsm).trustAnchor,
              KeyStorePassword: password,
            }),
          ).catch(unsupported);
          return ctx.print(out.CustomKeyStoreId);
        }
        if (!id) throw new UsageError(`kms custom-key-stores ${sub} <custom-key-store-id>`);
        if (sub === 'connect') return (await send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id })).catch(unsupported), ctx.print(`connecting ${id}`));
        if (sub === 'disconnect') return (await send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id })).catch(unsupported), ctx.print(`disconnected ${id}`));
        throw new UsageError(`kms custom-key-stores: unknown action ${sub} (list, create, connect, disconnect)`);
      }
      default:
        throw new UsageError(`kms: unknown command ${action} (create-key, list-keys, aliases, custom-key-stores)`);
    }
  } finally {
    kms.destroy();
  }
}
