/**
 * Optional per-node shaping so a local cluster can emulate real hardware (off by default).
 *
 * Profiles carry the figures AWS publishes per cluster size
 * (https://docs.aws.amazon.com/cloudhsm/latest/userguide/performance.html), divided per HSM:
 * RSA-2048 sign ≈ 1,000/s per HSM on both types; EC P-256 sign ≈ 250/s (hsm1.medium) or ≈ 1,500/s
 * (hsm2m.medium). AWS publishes no AES, wrap, RSA-decrypt or latency figures: the `symmetric` rates and
 * `latencyMs` below are *assumptions* (documented as such in docs/hsm-cluster.md) — override them.
 * Over-limit requests wait in a token bucket; a request that would wait longer than `maxQueueMs`
 * fails with THROTTLED, like CloudHSM's "HSMs busy/throttled".
 */
import { StrongroomError } from '@strongroom/core';

export type OpClass = 'rsa-sign' | 'ec-sign' | 'asymmetric' | 'symmetric' | 'keygen' | 'other';

/**
 * Optional emulation of real hardware: operation rates, added latency and queueing limit (docs/hsm-cluster.md#13-shaping-emulating-real-hardware).
 */
export interface ShapingConfig {
  /** Added latency per operation, milliseconds. */
  latencyMs: number;
  /** Operations per second per class; missing = unlimited. */
  rates: Partial<Record<OpClass, number>>;
  maxQueueMs: number;
}

/** Named shaping profiles with AWS's published figures per HSM type. */
export const SHAPING_PROFILES: Record<string, ShapingConfig> = {
  'hsm1.medium': { latencyMs: 1, rates: { 'rsa-sign': 1000, 'ec-sign': 250, asymmetric: 1000, symmetric: 10_000, keygen: 100 }, maxQueueMs: 2000 },
  'hsm2m.medium': { latencyMs: 1, rates: { 'rsa-sign': 1000, 'ec-sign': 1500, asymmetric: 1500, symmetric: 10_000, keygen: 200 }, maxQueueMs: 2000 },
};

export interface Shaper {
  /** Resolves when the operation may run. @throws StrongroomError PROVIDER_ERROR (reason THROTTLED). */
  admit(cls: OpClass): Promise<void> | undefined;
}

export function createShaper(config: ShapingConfig | undefined): Shaper {
  if (!config) return { admit: () => undefined };
  const next: Partial<Record<OpClass, number>> = {};
  return {
    admit(cls) {
      const now = performance.now();
      let wait = config.latencyMs;
      const rate = config.rates[cls];
      if (rate) {
        const slot = Math.max(now, next[cls] ?? 0);
        next[cls] = slot + 1000 / rate;
        wait += slot - now;
        if (slot - now > config.maxQueueMs) {
          next[cls] = (next[cls] ?? 0) - 1000 / rate;
          return Promise.reject(new StrongroomError('PROVIDER_ERROR', 'HSM busy/throttled: the shaped rate for this operation is exceeded', { details: { reason: 'THROTTLED' } }));
        }
      }
      return wait > 0 ? new Promise((r) => setTimeout(r, wait)) : undefined;
    },
  };
}

/** The shaping config of a profile name, with an optional latency override; `undefined` for none. */
export function resolveShaping(profile: string | undefined, latencyMs?: number): ShapingConfig | undefined {
  if (!profile && latencyMs === undefined) return undefined;
  const base = profile ? SHAPING_PROFILES[profile] : { latencyMs: 0, rates: {}, maxQueueMs: 2000 };
  if (!base) throw new StrongroomError('INVALID_ARGUMENT', `unknown shaping profile ${profile}; known: ${Object.keys(SHAPING_PROFILES).join(', ')}`);
  return { ...base, latencyMs: latencyMs ?? base.latencyMs };
}
