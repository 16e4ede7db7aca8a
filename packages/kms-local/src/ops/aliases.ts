/**
 * Alias operations (https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html and its
 * siblings): CreateAlias, UpdateAlias, DeleteAlias, ListAliases. An alias names one key of this
 * account and region; `alias/aws/` is reserved. Mutations persist (ctx.commit) before they answer.
 */
import type { KmsContext } from '../context';
import { alreadyExists, invalidAliasName, invalidMarker, KmsError, notFound, validation } from '../errors';
import { epochSeconds, optInt, optString, reqString, type Input } from '../input';
import type { KeyRecord } from '../model';
import { mutable, type Op } from './key-state';

const ALIAS = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;

function aliasName(input: Input): string {
  const name = reqString(input, 'AliasName', 256);
  if (!ALIAS.test(name)) throw invalidAliasName(`Alias must start with 'alias/' and contain only alphanumerics, '/', '_' and '-'.`);
  if (name.startsWith('alias/aws/')) throw new KmsError('NotAuthorizedException', 'Aliases beginning with alias/aws/ are reserved.');
  return name;
}

/** An alias target must be a key id or key ARN, never another alias. */
function aliasTarget(ctx: KmsContext, input: Input): KeyRecord {
  const target = reqString(input, 'TargetKeyId', 2048);
  if (target.startsWith('alias/') || target.includes(':alias/')) throw validation('TargetKeyId must be a key id or key ARN, not an alias.');
  const key = ctx.resolve(target);
  mutable(ctx, key);
  return key;
}

export const aliasOps: Record<string, Op> = {
  async CreateAlias(ctx, input) {
    const name = aliasName(input);
    const key = aliasTarget(ctx, input);
    if (ctx.state.aliases[name]) throw alreadyExists(`An alias with the name ${ctx.aliasArn(name)} already exists`);
    const t = ctx.now();
    ctx.state.aliases[name] = { TargetKeyId: key.KeyId, CreationDate: t, LastUpdatedDate: t };
    await ctx.commit();
    return {};
  },

  async UpdateAlias(ctx, input) {
    const name = aliasName(input);
    const alias = ctx.state.aliases[name];
    if (!alias) throw notFound(`Alias ${ctx.aliasArn(name)} is not found.`);
    const key = aliasTarget(ctx, input);
    const current = ctx.state.keys[alias.TargetKeyId];
    if (current && (current.KeySpec !== key.KeySpec || current.KeyUsage !== key.KeyUsage)) {
      throw validation('The new target key must have the same key spec and key usage as the current one.');
    }
    alias.TargetKeyId = key.KeyId;
    alias.LastUpdatedDate = ctx.now();
    await ctx.commit();
    return {};
  },

  async DeleteAlias(ctx, input) {
    const name = aliasName(input);
    if (!ctx.state.aliases[name]) throw notFound(`Alias ${ctx.aliasArn(name)} is not found.`);
    delete ctx.state.aliases[name];
    await ctx.commit();
    return {};
  },

  ListAliases(ctx, input) {
    const keyFilter = optString(input, 'KeyId', 2048);
    const keyId = keyFilter === undefined ? undefined : ctx.resolve(keyFilter).KeyId;
    const limit = optInt(input, 'Limit', 1, 100) ?? 50;
    const marker = optString(input, 'Marker', 64);
    const start = marker === undefined ? 0 : Number(marker);
    if (!Number.isInteger(start) || start < 0) throw invalidMarker('Invalid marker');
    const all = Object.entries(ctx.state.aliases)
      .filter(([, a]) => keyId === undefined || a.TargetKeyId === keyId)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    const page = all.slice(start, start + limit);
    const truncated = start + limit < all.length;
    return {
      Aliases: page.map(([name, a]) => ({
        AliasName: name,
        AliasArn: ctx.aliasArn(name),
        TargetKeyId: a.TargetKeyId,
        CreationDate: epochSeconds(a.CreationDate),
        LastUpdatedDate: epochSeconds(a.LastUpdatedDate),
      })),
      Truncated: truncated,
      ...(truncated && { NextMarker: String(start + limit) }),
    };
  },
};
