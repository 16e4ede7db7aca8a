import { describe, expect, it } from 'vitest';
import { createSessionPool } from '../src/pkcs11/session-pool';

function fakeSessions() {
  let next = 0;
  const opened: number[] = [];
  const closed: number[] = [];
  return {
    opened,
    closed,
    open: () => {
      opened.push(++next);
      return next;
    },
    close: (s: number) => void closed.push(s),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('session pool', () => {
  it('never runs more than max sessions at once and reuses them', async () => {
    const f = fakeSessions();
    const pool = createSessionPool({ ...f, max: 3, isFatal: () => false });
    let active = 0;
    let peak = 0;
    const inUse = new Set<number>();
    await Promise.all(
      Array.from({ length: 30 }, () =>
        pool.use(async (s) => {
          expect(inUse.has(s)).toBe(false); // exclusive use
          inUse.add(s);
          active++;
          peak = Math.max(peak, active);
          await tick();
          active--;
          inUse.delete(s);
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(f.opened).toHaveLength(3);
    await pool.close();
    expect(f.closed.sort()).toEqual([1, 2, 3]);
  });

  it('retires sessions that failed fatally and keeps the others', async () => {
    const f = fakeSessions();
    const pool = createSessionPool({ ...f, max: 1, isFatal: (e) => (e as Error).message === 'fatal' });
    await expect(pool.use(() => Promise.reject(new Error('benign')))).rejects.toThrow('benign');
    expect(f.closed).toEqual([]);
    await expect(pool.use(() => Promise.reject(new Error('fatal')))).rejects.toThrow('fatal');
    expect(f.closed).toEqual([1]);
    expect(await pool.use((s) => s)).toBe(2);
  });

  it('aborts a queued caller without losing its place to others', async () => {
    const f = fakeSessions();
    const pool = createSessionPool({ ...f, max: 1, isFatal: () => false });
    let release!: () => void;
    const holder = pool.use(() => new Promise<void>((r) => (release = r)));
    const controller = new AbortController();
    const aborted = pool.use(() => 'never', controller.signal);
    const later = pool.use((s) => s);
    await tick();
    expect(pool.waiting).toBe(2);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED', name: 'AbortError' });
    expect(pool.waiting).toBe(1);
    release();
    await holder;
    expect(await later).toBe(1);
  });

  it('close waits for busy sessions and refuses new work', async () => {
    const f = fakeSessions();
    const pool = createSessionPool({ ...f, max: 2, isFatal: () => false });
    let release!: () => void;
    const busy = pool.use(() => new Promise<void>((r) => (release = r)));
    await tick();
    const closing = pool.close();
    await expect(pool.use(() => 1)).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(f.closed).toEqual([]);
    release();
    await busy;
    await closing;
    expect(f.closed).toEqual([1]);
  });
});
