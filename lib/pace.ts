import { setTimeout as sleep } from 'node:timers/promises';

/** The clock a Pace reads and waits on (tests give their own). */
export interface PaceClock {
  now(): number;
  /** Resolves after `ms`, or rejects once `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const REAL_CLOCK: PaceClock = { now: () => Date.now(), sleep: (ms, signal) => sleep(ms, undefined, { signal }) };

/**
 * Spaces work out to at most `perSecond` turns a second, however many lanes ask: the k-th turn
 * (counted from 0, in the order asked) starts no sooner than k / perSecond seconds after the
 * first. A background sweep over thousands of items uses it so that it costs the same few calls
 * a second on a worm's day as on a quiet one, and takes longer instead.
 */
export class Pace {
  private turns = 0;
  private first: number | undefined;

  constructor(
    private readonly perSecond: number,
    private readonly clock: PaceClock = REAL_CLOCK,
  ) {
    if (!(perSecond > 0)) throw new RangeError(`a pace needs a positive rate, got ${perSecond}`);
  }

  /** Waits for the next turn; false (at once) if `signal` aborts meanwhile or has already. */
  async turn(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return false;
    const now = this.clock.now();
    this.first ??= now;
    const due = this.first + (this.turns++ * 1000) / this.perSecond;
    if (due <= now) return true;
    try {
      await this.clock.sleep(due - now, signal);
      return true;
    } catch (err) {
      if (signal?.aborted) return false;
      throw err;
    }
  }
}
