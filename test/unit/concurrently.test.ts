import { describe, expect, it } from 'vitest';
import { forEachConcurrently } from '../../lib/concurrently';

describe('forEachConcurrently', () => {
  it('visits every item once, never more than the limit at once', async () => {
    const items = Array.from({ length: 23 }, (_, i) => i);
    const seen: number[] = [];
    let out = 0;
    let most = 0;
    await forEachConcurrently(items, 4, async (item, index) => {
      expect(index).toBe(item);
      out += 1;
      most = Math.max(most, out);
      await new Promise<void>((resolve) => setImmediate(resolve));
      seen.push(item);
      out -= 1;
    });
    expect(seen.sort((a, b) => a - b)).toEqual(items);
    expect(most).toBe(4);
  });

  it('starts no lane for an empty list, and rejects when a visit throws', async () => {
    await forEachConcurrently([], 8, () => Promise.reject(new Error('never called')));
    await expect(forEachConcurrently([1, 2, 3], 2, async (n) => { if (n === 2) throw new Error('two'); })).rejects.toThrow('two');
  });
});

describe('forEachConcurrently with stop', () => {
  it('visits nothing further once stop() says so, and lets the calls under way finish', async () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const started: number[] = [];
    const finished: number[] = [];
    let stopped = false;
    let startedAfterStop = 0;
    await forEachConcurrently(
      items,
      3,
      async (item) => {
        if (stopped) startedAfterStop += 1;
        started.push(item);
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (item === 4) stopped = true;
        finished.push(item);
      },
      () => stopped,
    );
    expect(startedAfterStop).toBe(0);
    // Every call started was let finish; the other lanes' later items were never started.
    expect(finished.sort((a, b) => a - b)).toEqual(started.sort((a, b) => a - b));
    expect(finished).toContain(4);
    expect(finished.length).toBeLessThan(4 + 3 + 1);
  });
});
