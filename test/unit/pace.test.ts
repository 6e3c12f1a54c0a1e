import { describe, expect, it } from 'vitest';
import { Pace, type PaceClock } from '../../lib/pace';

/** A clock that moves only when a turn sleeps, and remembers how long each asked to. */
function fakeClock(): PaceClock & { slept: number[]; at: number } {
  const clock = {
    at: 1_000,
    slept: [] as number[],
    now: () => clock.at,
    sleep: (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) return Promise.reject(new Error('aborted'));
      clock.slept.push(ms);
      return Promise.resolve();
    },
  };
  return clock;
}

describe('Pace', () => {
  it('lets the k-th turn start k / rate seconds after the first, however many ask at once', async () => {
    const clock = fakeClock();
    const pace = new Pace(4, clock);
    // Five lanes ask at once, at the same instant: the first goes now, each next 250 ms later.
    expect(await Promise.all(Array.from({ length: 5 }, () => pace.turn()))).toEqual([true, true, true, true, true]);
    expect(clock.slept).toEqual([250, 500, 750, 1_000]);
  });

  it('does not wait when the work itself took longer than a turn', async () => {
    const clock = fakeClock();
    const pace = new Pace(10, clock);
    await pace.turn();
    clock.at += 500;
    await pace.turn();
    expect(clock.slept).toEqual([]);
  });

  it('answers false, without waiting, once its signal aborts (an API shutting down)', async () => {
    const clock = fakeClock();
    const pace = new Pace(1, clock);
    const stop = new AbortController();
    expect(await pace.turn(stop.signal)).toBe(true);
    stop.abort();
    expect(await pace.turn(stop.signal)).toBe(false);
    expect(clock.slept).toEqual([]);
  });

  it('is cut short by an abort while it waits, on the real clock', async () => {
    const pace = new Pace(0.001);
    const stop = new AbortController();
    await pace.turn(stop.signal);
    const waiting = pace.turn(stop.signal);
    stop.abort();
    expect(await waiting).toBe(false);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new Pace(0)).toThrow(/positive rate/);
  });
});
