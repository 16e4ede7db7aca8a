/**
 * Getting data keys from providers: one generator (the first provider) and one extra wrap per
 * additional provider on encrypt; on decrypt, every EDK is offered to every provider with the same
 * provider id, in header order, until one unwraps it (spec: framework/cmm-interface.md, default CMM).
 */
import type { SigningKeyPair } from './backend';
import { toBase64 } from './bytes';
import { PUBLIC_KEY_FIELD } from './encryption-context';
import { StrongroomError, throwIfAborted } from './errors';
import type { EncryptedDataKey, EncryptionContext, KeyProvider } from './key-provider';
import type { AlgorithmSuite, SignatureCurve } from './suites';

export interface EncryptionMaterials {
  readonly suite: AlgorithmSuite;
  /** Owned by whoever holds these materials; wiped when they are released. */
  readonly dataKey: Uint8Array;
  readonly encryptedDataKeys: readonly EncryptedDataKey[];
  /**
   * The caller's full context plus the reserved entries (the signing public key): what every
   * provider wraps the data key under, including the pairs named in requiredEncryptionContextKeys.
   */
  readonly encryptionContext: EncryptionContext;
  /** Keys of encryptionContext the message authenticates but does not store (sorted). */
  readonly requiredEncryptionContextKeys: readonly string[];
  readonly signingKey: SigningKeyPair | undefined;
}

function providerFailure(provider: KeyProvider, action: string, error: unknown): StrongroomError {
  if (StrongroomError.isInstance(error)) return error;
  return new StrongroomError('PROVIDER_ERROR', `Key provider "${provider.providerId}" failed to ${action}: ${(error as Error)?.message ?? error}`, {
    cause: error,
  });
}

export async function generateMaterials(
  providers: readonly KeyProvider[],
  suite: AlgorithmSuite,
  callerContext: EncryptionContext,
  requiredEncryptionContextKeys: readonly string[],
  backend: { generateSigningKey(curve: SignatureCurve): SigningKeyPair | Promise<SigningKeyPair> },
  abortSignal: AbortSignal | undefined,
): Promise<EncryptionMaterials> {
  throwIfAborted(abortSignal);
  const signingKey = suite.signature ? await backend.generateSigningKey(suite.signature) : undefined;
  // A null-prototype copy: caller keys such as `__proto__` stay data in every provider's view.
  const encryptionContext: Record<string, string> = Object.assign(Object.create(null), callerContext);
  if (signingKey) encryptionContext[PUBLIC_KEY_FIELD] = toBase64(signingKey.publicKey);
  const [generator, ...others] = providers;
  let generated;
  try {
    generated = await generator!.generateDataKey({ suite, encryptionContext, abortSignal });
  } catch (e) {
    throw providerFailure(generator!, 'generate a data key', e);
  }
  const dataKey = generated.plaintextKey;
  try {
    if (!(dataKey instanceof Uint8Array) || dataKey.length !== suite.keyLength) {
      throw new StrongroomError('PROVIDER_ERROR', `Key provider "${generator!.providerId}" returned a data key of the wrong length`);
    }
    const encryptedDataKeys = [generated.encryptedDataKey, ...(generated.additionalEncryptedDataKeys ?? [])];
    for (const provider of others) {
      throwIfAborted(abortSignal);
      try {
        encryptedDataKeys.push(...[await provider.encryptDataKey({ suite, encryptionContext, plaintextKey: dataKey, abortSignal })].flat());
      } catch (e) {
        throw providerFailure(provider, 'wrap the data key', e);
      }
    }
    return { suite, dataKey, encryptedDataKeys, encryptionContext, requiredEncryptionContextKeys, signingKey };
  } catch (e) {
    dataKey.fill(0);
    throw e;
  }
}

/**
 * Why one unwrap attempt failed, in one short line: the error's message and its code or name. Key
 * providers' messages name keys and services, never key material.
 */
function failureReason(error: unknown): string {
  const e = error as { message?: unknown; code?: unknown; name?: unknown };
  const message = (typeof e?.message === 'string' ? e.message : String(error)).replace(/\s+/g, ' ').trim();
  const code = StrongroomError.isInstance(error) ? error.code : typeof e?.name === 'string' ? e.name : undefined;
  const short = message.length > 240 ? `${message.slice(0, 237)}…` : message;
  return code && !short.includes(`[${code}]`) ? `${short} [${code}]` : short;
}

/** Unwrap the message's data key with the first provider that can. The caller owns (and wipes) the result. */
export async function unwrapDataKey(
  providers: readonly KeyProvider[],
  suite: AlgorithmSuite,
  encryptionContext: EncryptionContext,
  encryptedDataKeys: readonly EncryptedDataKey[],
  abortSignal: AbortSignal | undefined,
): Promise<Uint8Array> {
  const errors: unknown[] = [];
  const tried: string[] = [];
  for (const encryptedDataKey of encryptedDataKeys) {
    for (const provider of providers) {
      if (provider.providerId !== encryptedDataKey.providerId) continue;
      throwIfAborted(abortSignal);
      try {
        const key = await provider.decryptDataKey({ suite, encryptionContext, encryptedDataKey, abortSignal });
        if (key === undefined) continue;
        if (!(key instanceof Uint8Array) || key.length !== suite.keyLength) {
          throw new StrongroomError('PROVIDER_ERROR', `Key provider "${provider.providerId}" returned a data key of the wrong length`);
        }
        return key;
      } catch (e) {
        if (StrongroomError.isInstance(e, 'ABORTED')) throw e;
        errors.push(e);
        tried.push(`provider "${provider.providerId}": ${failureReason(e)}`);
      }
    }
  }
  const ids = [...new Set(encryptedDataKeys.map((k) => k.providerId))].join(', ');
  throw new StrongroomError(
    'NO_DECRYPTION_KEY',
    errors.length === 0
      ? `None of the configured key providers can open this message (its data key is wrapped for: ${ids})`
      : `No key provider could unwrap the data key; tried ${tried.join('; ')}. If the message was written with ` +
        `requiredEncryptionContextKeys, pass exactly those pairs, with their values, in decrypt's encryptionContext`,
    { cause: errors.length === 1 ? errors[0] : errors.length > 1 ? new AggregateError(errors, 'every unwrap attempt failed') : undefined },
  );
}
