import { describe, expect, it } from 'vitest';
import { durationMs, humanDuration } from '../../lib/duration';

describe('durations', () => {
  it('reads what operators write in runbooks', () => {
    expect([durationMs('500ms'), durationMs('30s'), durationMs('15m'), durationMs('24h'), durationMs('7d')]).toEqual([500, 30_000, 900_000, 86_400_000, 604_800_000]);
    expect(() => durationMs('soon')).toThrow(/'soon' is not a duration/);
  });

  it('writes durations people read at a glance', () => {
    expect([850, 42_000, 185_000, 5 * 3_600_000 + 12 * 60_000, 76 * 3_600_000].map(humanDuration)).toEqual(['850 ms', '42 s', '3 min 5 s', '5 h 12 min', '3 days 4 h']);
  });
});
