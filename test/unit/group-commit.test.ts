import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../apps/api/webhooks/group-commit';

describe('GroupCommit', () => {
  it('batches what arrives during a flush, within the count and byte limits, and fails only what failed', async () => {
    const flushes: number[][] = [];
    let release: () => void = () => undefined;
    const first = new Promise<void>((r) => (release = r));
    const commit = new GroupCommit<number, string>(
      async (inputs) => {
        flushes.push(inputs);
        if (flushes.length === 1) await first;
        return inputs.map((n) => (n === 13 ? { status: 'rejected' as const, reason: new Error('bad 13') } : { status: 'fulfilled' as const, value: `ok ${n}` }));
      },
      { count: 3, bytes: 100, sizeOf: (n) => (n === 7 ? 250 : 10) },
    );
    const results = [commit.submit(1)];
    // These queue up behind the first flush...
    for (const n of [2, 3, 4, 7, 5, 13]) results.push(commit.submit(n));
    release();
    const settled = await Promise.allSettled(results);
    // ...and go out in batches of at most 3, a 250-byte one on its own.
    expect(flushes).toEqual([[1], [2, 3, 4], [7], [5, 13]]);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([
      'ok 1', 'ok 2', 'ok 3', 'ok 4', 'ok 7', 'ok 5', 'bad 13',
    ]);
  });
});
