import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/env';
import { runsWorkingMax, workflowCacheSize } from '../../lib/temporal/workflow-cache';

// Issue 22's goal for the worker is 300 MB; PALISADE_WORKER_MEMORY_MB says megabytes. Read as
// MiB, the default budget was 314.6 MB, and the cache it sized (123 runs) took the worker past
// the goal at 1,000 gated incidents in two runs of six (288 MiB, the goal 286.1).
describe('the worker memory budget', () => {
  it('is read in megabytes, and sizes the cache and the dispatcher from the MiB they make', () => {
    const config = loadConfig({});
    expect(config.temporal.workerMemoryMiB).toBeCloseTo(286.1, 1);
    expect(workflowCacheSize(config.temporal.workerMemoryMiB)).toBe(101);
    expect(config.api.runsWorkingMax).toBe(50);
    expect(loadConfig({ PALISADE_WORKER_MEMORY_MB: '1000' }).temporal.workerMemoryMiB).toBeCloseTo(953.7, 1);
  });

  // Runs started together reach their gates together, and a run's Slack courier still has two
  // tasks after its gate: the cache holds the runs working and as many just gated, or working
  // runs are evicted and every task of theirs replays (a burst's first 13 s, 2026-12-08).
  it('leaves the worker cache room for as many just-gated runs as runs working', () => {
    for (const mb of [150, 300, 600, 2_000]) {
      const { temporal, api } = loadConfig({ PALISADE_WORKER_MEMORY_MB: String(mb) });
      expect(2 * api.runsWorkingMax, `${mb} MB`).toBeLessThanOrEqual(workflowCacheSize(temporal.workerMemoryMiB));
      expect(api.runsWorkingMax, `${mb} MB`).toBeGreaterThan(0);
    }
    expect(runsWorkingMax(12, 286.1)).toBe(12);
  });
});
