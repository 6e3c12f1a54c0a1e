import { nodeEntry } from './child-process';

/**
 * The environment the worker process starts with (`npm start`, `npm run cluster`): the engine's,
 * plus glibc's malloc kept from holding on to freed memory (issue 22, a worker within 300 MB;
 * `npm run bench -- --only burst --heap-snapshot` reads the worker's memory map):
 * - two arenas: glibc gives each thread that mallocs an arena of its own (up to 8 per core),
 *   and Temporal's Rust core runs on threads of its own; mid-burst the worker held 124 MiB in
 *   ten 64 MiB arena heaps.
 * - fixed mmap and trim thresholds (128 KiB, glibc's starting values): glibc raises its mmap
 *   threshold each time a large mmap'd block is freed, after which blocks of up to 32 MiB
 *   come from the heaps and, freed, stay there in holes it cannot give back. With 1,000
 *   incidents at a gate the worker's malloc heaps held 107 MiB (22 at rest); with the
 *   thresholds fixed, 34.
 * An operator's own settings win. The Dockerfile sets the same for its processes.
 */
export const WORKER_MALLOC_ENV = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '131072',
} as const;

export function workerProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...WORKER_MALLOC_ENV, ...env };
}

/**
 * V8 flags the worker process starts with (`npm start`, `npm run cluster`, docker-compose's
 * worker): every isolate of it, the main thread's (activities) and the SDK's workflow thread's
 * (cached runs), keeps a small young generation (2 MiB semi-spaces, not 16) and grows its old
 * generation by 25% of what survived a full collection, not by V8's 1.1 to 4 times. With 1,000
 * incidents at a gate the two heaps held 237 MiB resident for 120 MiB live; with these flags,
 * 176 (issue 22, `npm run bench -- --only burst --heap-snapshot`; the burst kept 0.73 of the raw rate). Not
 * for the API: its young generation serves the door's bursts.
 */
export const WORKER_NODE_FLAGS = ['--max-semi-space-size=2', '--heap-growing-percent=25'] as const;

/** How to start the worker's entry point (compiled JavaScript, or TypeScript through @swc-node). */
export function workerEntry(modulePath: string): { command: string; args: string[] } {
  const entry = nodeEntry(modulePath);
  return { command: entry.command, args: [...WORKER_NODE_FLAGS, ...entry.args] };
}
