/**
 * The fuzz harness behind bench/fuzz and test/reliability/fuzz-parsers.test.ts: one target per
 * parser, a deterministic seed, a case count, and a tally of failures.
 *
 * A case fails when the code under test throws anything but the target's typed error (for
 * Strongroom code a StrongroomError; see the StrongroomError docs in docs/errors.md), when it hangs
 * (an async case past its deadline, a synchronous case slower than a second), when a server answers
 * outside its error model (an `Untyped` thrown by the target), or when `Object.prototype` gained or
 * changed a property (prototype pollution, as in the OWASP description of the attack:
 * https://owasp.org/www-community/attacks/Prototype_Pollution). The first failing input is kept as hex.
 *
 * Cases come from fast-check arbitraries (https://fast-check.dev/docs/core-blocks/runners/), run with
 * a fixed seed and no shrinking: every case runs, failures are counted, nothing stops the run early
 * except the optional time limit.
 */
import { StrongroomError } from '@strongroom/core';
import fc from 'fast-check';

/** A definite failure a target detects itself (a 5xx answer, released wrong bytes, a dead server). */
export class Untyped extends Error {
  override readonly name = 'Untyped';
}

export interface FuzzSession<T> {
  readonly arbitrary: fc.Arbitrary<T>;
  /** Run one case. Throw only to signal trouble; errors accepted by `isTyped` count as refusals. */
  run(input: T): void | Promise<void>;
  /** The bytes that reproduce a case (recorded as hex for the first failure). */
  bytes(input: T): Uint8Array;
  /** Errors that are an acceptable answer. Default: StrongroomError. */
  isTyped?(e: unknown): boolean;
  /** Periodic liveness check (every `checkEvery` cases and at the end); throws if the server is gone. */
  check?(): Promise<void>;
  readonly checkEvery?: number;
  close(): Promise<void>;
}

export interface FuzzTarget {
  readonly name: string;
  /** One line: what is fed to what. */
  readonly description: string;
  /** Whether cases are async (network or stream decoders). */
  readonly async: boolean;
  /** Cases per run in CI (the bench run sets its own). */
  readonly ciCases: number;
  open(): Promise<FuzzSession<unknown>>;
}

/** Declare a target with its own input type. */
export function defineTarget<T>(t: Omit<FuzzTarget, 'open'> & { open(): Promise<FuzzSession<T>> }): FuzzTarget {
  return t as FuzzTarget;
}

export interface FuzzFailure {
  readonly kind: 'untyped' | 'hang' | 'slow' | 'pollution' | 'check';
  readonly message: string;
  readonly hex: string;
  readonly caseIndex: number;
}

export interface FuzzResult {
  readonly target: string;
  readonly seed: number;
  /** Cases asked for. */
  readonly requested: number;
  /** Cases actually run (fewer when the time limit stopped the run). */
  readonly cases: number;
  readonly ms: number;
  readonly failures: number;
  readonly byKind: Readonly<Record<string, number>>;
  /** The first failure, and up to four more with distinct messages. */
  readonly examples: readonly FuzzFailure[];
  readonly stoppedByTimeLimit: boolean;
  /** Slowest single case, wall ms. */
  readonly slowestMs: number;
  /** Slowest synchronous case in CPU time, ms (what the 1 s bound applies to: a loaded machine stretches wall time). */
  readonly slowestCpuMs: number;
}

export interface FuzzRunOptions {
  readonly cases: number;
  readonly seed: number;
  /** Stop after this long (the cases run so far are reported). */
  readonly timeLimitMs?: number;
  /** Deadline of one async case. Default 10 s. */
  readonly caseTimeoutMs?: number;
  /** Called with a progress line every `progressEvery` cases. */
  readonly progress?: (line: string) => void;
  readonly progressEvery?: number;
}

/** A synchronous case using more CPU than this is a hang or a blow-up. */
const SLOW_SYNC_CPU_MS = 1_000;

/** Own properties of Object.prototype, as a fingerprint (names and value identity). */
function prototypeSnapshot(): Map<PropertyKey, unknown> {
  const m = new Map<PropertyKey, unknown>();
  for (const k of Reflect.ownKeys(Object.prototype)) {
    const d = Object.getOwnPropertyDescriptor(Object.prototype, k)!;
    m.set(k, d.value ?? d.get);
  }
  return m;
}

/** Changes to Object.prototype since `base` (and undo them, so later cases stay meaningful). */
function pollutionSince(base: Map<PropertyKey, unknown>): string | undefined {
  const keys = Reflect.ownKeys(Object.prototype);
  let changed: string[] | undefined;
  for (const k of keys) {
    const d = Object.getOwnPropertyDescriptor(Object.prototype, k)!;
    if (!base.has(k) || base.get(k) !== (d.value ?? d.get)) (changed ??= []).push(String(k));
  }
  if (keys.length === base.size && !changed) return undefined;
  for (const k of keys) if (!base.has(k)) delete (Object.prototype as Record<PropertyKey, unknown>)[k];
  return `Object.prototype changed: ${(changed ?? ['(a property removed)']).join(', ')}`;
}

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`.slice(0, 300);
  return `non-Error thrown: ${String(e)}`.slice(0, 300);
}

const hexOf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/**
 * Run `cases` cases of one target with a fixed seed.
 * @example const r = await runFuzzTarget(TARGETS[0], { cases: 1000, seed: 1 });
 */
export async function runFuzzTarget(target: FuzzTarget, options: FuzzRunOptions): Promise<FuzzResult> {
  const session = await target.open();
  const isTyped = session.isTyped ?? ((e: unknown) => StrongroomError.isInstance(e));
  const caseTimeout = options.caseTimeoutMs ?? 10_000;
  const progressEvery = options.progressEvery ?? 100_000;
  const byKind: Record<string, number> = Object.create(null) as Record<string, number>;
  const examples: FuzzFailure[] = [];
  let failures = 0;
  let slowestCpu = 0;
  let n = 0;
  let slowest = 0;
  const base = prototypeSnapshot();
  const started = performance.now();

  function fail(kind: FuzzFailure['kind'], message: string, input: unknown): void {
    failures++;
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    if (examples.length < 5 && (examples.length === 0 || !examples.some((x) => x.message === message))) {
      let hex = '';
      try {
        hex = input === undefined ? '' : hexOf(session.bytes(input));
      } catch (e) {
        hex = `(could not encode the input: ${describeError(e)})`;
      }
      examples.push({ kind, message, hex, caseIndex: n });
    }
  }
  function after(input: unknown, ms: number): void {
    if (ms > slowest) slowest = ms;
    const polluted = pollutionSince(base);
    if (polluted) fail('pollution', polluted, input);
    n++;
    if (options.progress && n % progressEvery === 0) {
      options.progress(`${target.name}: ${n.toLocaleString('en-US')} cases, ${((performance.now() - started) / 1000).toFixed(0)} s, ${failures} failures`);
    }
  }
  let dead = false;
  async function check(): Promise<void> {
    if (!session.check) return;
    try {
      await session.check();
    } catch (e) {
      fail('check', `liveness check failed after ${n} cases: ${describeError(e)}`, undefined);
      dead = true;
      throw e; // ends the run (endOnFailure: no shrinking)
    }
  }
  const checkEvery = session.checkEvery ?? 10_000;
  const params = {
    seed: options.seed,
    numRuns: options.cases,
    endOnFailure: true,
    ...(options.timeLimitMs ? { interruptAfterTimeLimit: options.timeLimitMs, markInterruptAsFailure: false } : {}),
  };

  try {
    if (target.async) {
      await fc.assert(
        fc.asyncProperty(session.arbitrary, async (input) => {
          const t0 = performance.now();
          let timer: NodeJS.Timeout | undefined;
          try {
            const hung = new Promise<'hang'>((resolve) => {
              timer = setTimeout(() => resolve('hang'), caseTimeout);
            });
            const outcome = await Promise.race([Promise.resolve().then(() => session.run(input)), hung]);
            if (outcome === 'hang') fail('hang', `no answer within ${caseTimeout} ms`, input);
          } catch (e) {
            if (e instanceof Untyped || !isTyped(e)) fail('untyped', describeError(e), input);
          } finally {
            clearTimeout(timer);
          }
          after(input, performance.now() - t0);
          if (n % checkEvery === 0) await check();
        }),
        params,
      );
    } else {
      fc.assert(
        fc.property(session.arbitrary, (input) => {
          const t0 = performance.now();
          const c0 = process.cpuUsage();
          try {
            void session.run(input);
          } catch (e) {
            if (e instanceof Untyped || !isTyped(e)) fail('untyped', describeError(e), input);
          }
          const ms = performance.now() - t0;
          const cpu = process.cpuUsage(c0);
          const cpuMs = (cpu.user + cpu.system) / 1000;
          if (cpuMs > slowestCpu) slowestCpu = cpuMs;
          if (cpuMs > SLOW_SYNC_CPU_MS) fail('slow', `one case used ${cpuMs.toFixed(0)} ms of CPU`, input);
          after(input, ms);
        }),
        params,
      );
    }
    await check();
  } catch (e) {
    if (!dead) throw e;
  } finally {
    await session.close();
  }
  const ms = performance.now() - started;
  return {
    target: target.name,
    seed: options.seed,
    requested: options.cases,
    cases: n,
    ms,
    failures,
    byKind: { ...byKind },
    examples,
    stoppedByTimeLimit: n < options.cases,
    slowestMs: slowest,
    slowestCpuMs: slowestCpu,
  };
}

/** One line per result, for logs. */
export function formatFuzzResult(r: FuzzResult): string {
  const head = `${r.target}: ${r.cases.toLocaleString('en-US')} cases${r.stoppedByTimeLimit ? ` (of ${r.requested.toLocaleString('en-US')}, time limit)` : ''} in ${(r.ms / 1000).toFixed(1)} s, ${r.failures} failures, slowest case ${r.slowestMs.toFixed(1)} ms${r.slowestCpuMs ? ` (CPU ${r.slowestCpuMs.toFixed(1)} ms)` : ''}, seed ${r.seed}`;
  return [head, ...r.examples.map((x) => `  ${x.kind} at case ${x.caseIndex}: ${x.message}\n    input hex: ${x.hex.slice(0, 4000)}`)].join('\n');
}
