import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import patchCanary from '../../workflows/patch-canary/playbook';
import { planWaves } from '../../workflows/patch-canary/waves';

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `h-${String(i).padStart(3, '0')}`);
const sizes = (ids: string[], percents: number[]) => planWaves(ids, percents).map((w) => w.hostIds.length);

describe('planWaves', () => {
  it('splits hosts by cumulative share, rounding up', () => {
    expect(sizes(hosts(20), [10, 50, 100])).toEqual([2, 8, 10]);
    expect(sizes(hosts(20), [5, 25, 100])).toEqual([1, 4, 15]);
    expect(sizes(hosts(100), [5, 25, 100])).toEqual([5, 20, 75]);
    expect(sizes(hosts(7), [5, 25, 100])).toEqual([1, 1, 5]);
  });

  it('numbers the waves and says how far each one gets', () => {
    const waves = planWaves(hosts(4), [25, 50, 100]);
    expect(waves).toEqual([
      { number: 1, hostIds: ['h-000'], percent: 25 },
      { number: 2, hostIds: ['h-001'], percent: 50 },
      { number: 3, hostIds: ['h-002', 'h-003'], percent: 100 },
    ]);
  });

  it('gives every wave at least one host and drops waves there are no hosts for', () => {
    expect(sizes(hosts(2), [5, 25, 100])).toEqual([1, 1]);
    expect(sizes(hosts(2), [51, 100])).toEqual([1, 1]);
    expect(sizes(hosts(3), [90, 95, 100])).toEqual([1, 1, 1]);
    expect(sizes(hosts(1), [5, 25, 100])).toEqual([1]);
    expect(planWaves([], [5, 25, 100])).toEqual([]);
  });

  it('plans in host id order whatever order the inventory answered in, each host once', () => {
    const waves = planWaves(['c', 'a', 'b', 'a', 'd'], [50, 100]);
    expect(waves.map((w) => w.hostIds)).toEqual([['a', 'b'], ['c', 'd']]);
  });

  it('patches every host by the last wave, even when the shares stop short of 100', () => {
    expect(sizes(hosts(10), [10, 50])).toEqual([1, 9]);
    expect(sizes(hosts(3), [])).toEqual([3]);
  });

  it('partitions the hosts into non-empty waves whose cumulative shares keep to the plan', () => {
    const rising = fc
      .uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 6 })
      .map((ps) => [...ps.sort((a, b) => a - b), 100]);
    const ids = fc.array(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 300 });
    fc.assert(
      fc.property(ids, rising, (hostIds, percents) => {
        const unique = [...new Set(hostIds)].sort();
        const waves = planWaves(hostIds, percents);
        // A partition: every host once, in id order, no empty wave.
        expect(waves.flatMap((w) => w.hostIds)).toEqual(unique);
        expect(waves.every((w) => w.hostIds.length > 0)).toBe(true);
        expect(waves.length).toBe(Math.min(percents.length, unique.length));
        expect(waves.map((w) => w.number)).toEqual(waves.map((_, i) => i + 1));
        let done = 0;
        waves.forEach((w, i) => {
          const before = done;
          done += w.hostIds.length;
          // Cumulative share rises, reaches the planned share (unless that would leave a later
          // wave without a host), and overshoots it only by the one host each wave must have.
          const planned = Math.ceil((unique.length * percents[i]) / 100);
          expect(w.percent).toBe(percents[i]);
          expect(done).toBeGreaterThan(before);
          expect(done).toBeGreaterThanOrEqual(Math.min(planned, unique.length - (percents.length - 1 - i)));
          expect(done).toBeLessThanOrEqual(Math.max(planned, before + 1));
        });
      }),
      { numRuns: 500 },
    );
  });
});

describe('patch-canary params', () => {
  const parse = (raw: unknown) => patchCanary.params.safeParse(raw);
  const problem = (raw: unknown) => {
    const r = parse(raw);
    return r.success ? undefined : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  };

  it('fills in the defaults the API shows', () => {
    expect(parse({ patchId: 'kb-1', hosts: { environment: 'staging' } })).toEqual({
      success: true,
      data: { patchId: 'kb-1', hosts: { environment: 'staging' }, waves: [5, 25, 100], bake: '10m', slo: { sli: 'error_rate', max: 0.05 } },
    });
  });

  it('refuses to run without a patch, with a selector that would match the whole fleet, or waves that do not end at 100', () => {
    expect(problem({ hosts: { environment: 'staging' } })).toContain('patchId');
    expect(problem({ patchId: 'kb-1' })).toContain('hosts');
    expect(problem({ patchId: 'kb-1', hosts: {} })).toContain('name hostIds, an environment or tags');
    expect(problem({ patchId: 'kb-1', hosts: { hostIds: ['h-1'] }, waves: [50, 25] })).toContain('must rise and end at 100');
    expect(problem({ patchId: 'kb-1', hosts: { hostIds: ['h-1'] } })).toBeUndefined();
  });
});
