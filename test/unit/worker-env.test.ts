import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { WORKER_NODE_FLAGS, workerEntry, workerProcessEnv } from '../../apps/cli/start/worker-env';

// Issue 22, a worker within 300 MB: the worker process starts with glibc's malloc in two
// arenas (mid-burst its Rust core's threads held 124 MiB in ten of their own), and with fixed
// mmap and trim thresholds (with 1,000 incidents at a gate, freed memory held in malloc's heaps
// went from 107 to 34 MiB).
describe('the worker process environment', () => {
  it('limits malloc to two arenas, fixes its mmap and trim thresholds, and keeps the rest of the environment', () => {
    expect(workerProcessEnv({ DATABASE_URL: 'postgres://x', PATH: '/bin' })).toEqual({
      MALLOC_ARENA_MAX: '2',
      MALLOC_MMAP_THRESHOLD_: '131072',
      MALLOC_TRIM_THRESHOLD_: '131072',
      DATABASE_URL: 'postgres://x',
      PATH: '/bin',
    });
  });

  it("keeps an operator's own malloc settings", () => {
    const env = workerProcessEnv({ MALLOC_ARENA_MAX: '4', MALLOC_MMAP_THRESHOLD_: '1048576', MALLOC_TRIM_THRESHOLD_: '0' });
    expect(env).toMatchObject({ MALLOC_ARENA_MAX: '4', MALLOC_MMAP_THRESHOLD_: '1048576', MALLOC_TRIM_THRESHOLD_: '0' });
  });

  it('starts the worker with a small young generation and a tight old-generation growth, before its entry point', () => {
    expect(WORKER_NODE_FLAGS).toEqual(['--max-semi-space-size=2', '--heap-growing-percent=25']);
    expect(workerEntry('build/apps/worker/main.js')).toEqual({ command: process.execPath, args: [...WORKER_NODE_FLAGS, 'build/apps/worker/main.js'] });
    expect(workerEntry('apps/worker/main.ts').args).toEqual([...WORKER_NODE_FLAGS, '-r', '@swc-node/register', 'apps/worker/main.ts']);
  });

  it('gives V8 flags node accepts on its command line', () => {
    const run = spawnSync(process.execPath, [...WORKER_NODE_FLAGS, '-e', "console.log(require('node:v8').getHeapStatistics().total_heap_size > 0)"], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('true');
  });
});
