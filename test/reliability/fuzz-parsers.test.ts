/**
 * Fuzzing of every parser that reads outside input, one target per parser (test/reliability/fuzz/targets):
 * ESDK header, frames, footer and encryption context; S3EC metadata, instruction files and the
 * getObject path; the hsm-local wire codec and a live node; kms-local request bodies and ciphertext
 * blobs over HTTP with SigV4; key URIs and CLI arguments; HSM provider info and KMS ARNs.
 *
 * CI runs each target at its modest `ciCases` count (STRONGROOM_FUZZ_CASES overrides). bench/fuzz runs
 * the same targets through this file, one at a time, with 1,000,000 cases (docs/reliability.md#fuzzing):
 *   STRONGROOM_FUZZ_TARGET   run only these targets (comma-separated names)
 *   STRONGROOM_FUZZ_CASES    cases per target
 *   STRONGROOM_FUZZ_SEED     seed (default 20261130)
 *   STRONGROOM_FUZZ_TIME_LIMIT_MS  stop a target after this long and report the cases run
 *   STRONGROOM_FUZZ_OUT      append each result as one JSON line to this file
 * A failure is anything but a result or a typed error, a hang, a 5xx, or a change to Object.prototype.
 */
import { appendFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatFuzzResult, runFuzzTarget } from './fuzz/harness';
import { PROTOTYPE_NAMES } from './fuzz/names';
import { FUZZ_TARGETS } from './fuzz/targets';
import { wire } from './fuzz/targets/hsm-wire';

const env = process.env;
const only = env.STRONGROOM_FUZZ_TARGET?.split(',').filter(Boolean);
const SEED = Number(env.STRONGROOM_FUZZ_SEED ?? 20261130);
const bench = env.STRONGROOM_FUZZ_CASES !== undefined;

describe('fuzzing every parser', () => {
  for (const target of FUZZ_TARGETS) {
    const cases = bench ? Number(env.STRONGROOM_FUZZ_CASES) : target.ciCases;
    it.runIf(!only || only.includes(target.name))(`${target.name}: ${cases.toLocaleString('en-US')} cases: ${target.description}`, async () => {
      const result = await runFuzzTarget(target, {
        cases,
        seed: SEED,
        ...(env.STRONGROOM_FUZZ_TIME_LIMIT_MS ? { timeLimitMs: Number(env.STRONGROOM_FUZZ_TIME_LIMIT_MS) } : {}),
        progress: (line) => console.log(line),
      });
      console.log(formatFuzzResult(result));
      if (env.STRONGROOM_FUZZ_OUT) appendFileSync(env.STRONGROOM_FUZZ_OUT, `${JSON.stringify(result)}\n`);
      expect(result.failures, formatFuzzResult(result)).toBe(0);
      if (!result.stoppedByTimeLimit) expect(result.cases).toBe(cases);
    }, 0);
  }

  it('the fuzz generators can fail: a parser that throws untyped, or pollutes Object.prototype, is counted', async () => {
    const { defineTarget } = await import('./fuzz/harness');
    const fc = (await import('fast-check')).default;
    const broken = defineTarget({
      name: 'broken',
      description: 'a parser with both bugs',
      async: false,
      ciCases: 50,
      async open() {
        return {
          arbitrary: fc.constantFrom(...PROTOTYPE_NAMES),
          run(name: string) {
            const map: Record<string, Record<string, string>> = {};
            (map[name] ??= {})['polluted'] = 'yes'; // the classic two-level write
            if (name === 'toString') throw new TypeError('untyped');
          },
          bytes: (s: string) => Buffer.from(s),
          async close() {},
        };
      },
    });
    const r = await runFuzzTarget(broken, { cases: 50, seed: 1 });
    expect(r.byKind['pollution']).toBeGreaterThan(0);
    expect(r.byKind['untyped']).toBeGreaterThan(0);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined(); // the harness undid it
  });

  // The encoder refuses NaN locally (the decoder refuses it too); a node answers an undecodable
  // value with an error for that one request and keeps the connection (hsm-local codec tests).
  it('encodeFrame refuses NaN locally', () => {
    expect(() => wire.encodeFrame(wire.FRAME_REQUEST, 1, { op: 'random', args: { length: Number.NaN } })).toThrow();
  });
});
