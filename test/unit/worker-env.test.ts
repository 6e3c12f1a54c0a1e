import { describe, expect, it } from 'vitest';
import { workerProcessEnv } from '../../apps/cli/start/worker-env';

// Issue 22, a worker within 300 MB: the worker process starts with glibc's malloc in two
// arenas (mid-burst its Rust core's threads held 124 MiB in ten of their own).
describe('the worker process environment', () => {
  it('limits malloc to two arenas and keeps the rest of the environment', () => {
    expect(workerProcessEnv({ DATABASE_URL: 'postgres://x', PATH: '/bin' })).toEqual({ MALLOC_ARENA_MAX: '2', DATABASE_URL: 'postgres://x', PATH: '/bin' });
  });

  it("keeps an operator's own MALLOC_ARENA_MAX", () => {
    expect(workerProcessEnv({ MALLOC_ARENA_MAX: '4' }).MALLOC_ARENA_MAX).toBe('4');
  });
});
