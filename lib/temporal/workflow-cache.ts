/**
 * How many runs a worker keeps cached for a memory budget, and how many runs the inbox dispatcher
 * lets be on their way to their first wait at once (see runsWorkingMax). Shared by the worker
 * (apps/worker/worker.ts) and the API's dispatcher, which size themselves from the same setting.
 */

/** The worker's own resident memory with nothing cached (`npm run bench`, 2 cores, compiled JavaScript: 219 MiB). */
const WORKER_BASE_MIB = 220;
/**
 * What one cached run costs (`npm run bench` before issue 22: 1,000 incidents at a gate, every
 * one cached, took the worker up by about 0.65 MB each).
 */
const CACHED_RUN_MIB = 0.65;
/** Never below the workflow task slots (the SDK requires it), never past what a run's replay saves. */
const CACHE_MIN = 40;
const CACHE_MAX = 2_000;

/**
 * Runs kept in memory between their tasks, sized to the worker's memory budget
 * (PALISADE_WORKER_MEMORY_MB, default 300 MB, 286 MiB: 101 runs). Most incidents spend their life waiting
 * at a gate for a person; the SDK's default (from the heap limit: about a thousand here) keeps
 * every one of them. The cache is least recently used first, so a gated run, which has no task
 * until a vote or a timer, is the one evicted; bringing it back replays its history, which
 * held timeline writes keep short (a run at its first gate: 65 events, 9 workflow tasks). The
 * runs actually working at once stay: the dispatcher starts no more than runsWorkingMax.
 */
export function workflowCacheSize(memoryMiB: number): number {
  const fits = Math.floor((memoryMiB - WORKER_BASE_MIB) / CACHED_RUN_MIB);
  return Math.min(CACHE_MAX, Math.max(CACHE_MIN, fits));
}

/**
 * How many new incidents' runs the inbox dispatcher lets be on their way to their first wait at
 * once (PALISADE_DISPATCH_RUNS_WORKING; unset: half of one worker's cache, 50 at the default
 * budget). A burst of a thousand distinct incidents all started at once has a thousand runs
 * working, more than any cache holds: the least recently used run is then still working, and
 * nearly every workflow task replays its history first (`npm run bench`: 0.34 of the raw rate;
 * 0.71 with every run cached, at 1,088 MiB). Started no faster than they reach a wait, the
 * working runs stay cached and the gated ones, idle until a vote, are the ones evicted.
 *
 * The other half is for runs that have just reached their gate: the run says it waits as it
 * writes `gate.requested`, but its Slack courier still has two tasks to run (the request's post
 * and its timeline entry). Runs started together reach their gates together, so as many runs
 * as work at once can be there, and a new batch starts beside them. With three quarters (75
 * working, 26 slots to spare), the cache evicted working runs, their next tasks replayed, and
 * each replay evicted another: `npm run bench -- --only burst` on PGlite, 2026-12-08, the
 * worker's cache missed 28 to 43 times in every 2 s and hit almost never for 13 s as the first
 * 75 reached their gates (182 s, 0.48 of the raw rate); with half, it never missed (149 s, 0.59).
 */
export function runsWorkingMax(configured: number | undefined, memoryMiB: number): number {
  return configured ?? Math.floor(workflowCacheSize(memoryMiB) / 2);
}
