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
