/** Types for hsm-faults.mjs (used by the TypeScript reliability tests). */
export interface HsmFaultResult {
  seed: number;
  durationMs: number;
  kills: number;
  restarts: number;
  ops: Record<'create' | 'share' | 'delete' | 'crypto', { ok: number; failed: number }>;
  failureCodes: Record<string, number>;
  untypedFailures: string[];
  acked: { creates: number; shares: number; deletes: number };
  checks: number;
  lost: string[];
  nodeStates: string[];
  digestsEqual: boolean;
}

export function prng(seed: number): { next(): number; int(lo: number, hi: number): number; pick<T>(xs: readonly T[]): T };
export function runHsmFaults(options?: { durationMs?: number; seed?: number; workers?: number; log?: (line: string) => void }): Promise<HsmFaultResult>;
