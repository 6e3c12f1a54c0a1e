/**
 * The environment the worker process starts with (`npm start`, `npm run cluster`): the engine's,
 * plus glibc's malloc limited to two arenas. Temporal's Rust core runs on threads of its own,
 * and glibc gives each thread that mallocs an arena of its own (up to 8 per core), each
 * keeping its freed memory: mid-burst, 1,000 incidents in flight, the worker held 124 MiB in
 * ten 64 MiB arena heaps (issue 22, `npm run bench -- --heap-snapshot`). An operator's own
 * MALLOC_ARENA_MAX wins. The Dockerfile sets the same for its processes.
 */
export const WORKER_MALLOC_ARENAS = '2';

export function workerProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { MALLOC_ARENA_MAX: WORKER_MALLOC_ARENAS, ...env };
}
