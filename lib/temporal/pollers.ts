import { optionalTsToMs, type Timestamp } from '@temporalio/common';

/**
 * A worker is there when it polled a task queue this recently. A poll waits up to a minute for a
 * task, so an idle worker's last poll is under a minute old; older means it is at capacity or
 * gone, and Temporal forgets the poller after five minutes (Temporal CLI reference, `temporal
 * task-queue describe`: LastAccessTime).
 */
export const LIVE_POLL_WINDOW_MS = 75_000;

/** Whether a poller's LastAccessTime (as DescribeTaskQueue gives it) is within `windowMs` (config.temporal.livePollWindowMs) of `now`. */
export function isLivePoll(lastAccessTime: Timestamp | null | undefined, now = Date.now(), windowMs = LIVE_POLL_WINDOW_MS): boolean {
  return isLivePollAt(optionalTsToMs(lastAccessTime), now, windowMs);
}

/** The same rule for a LastAccessTime already in epoch ms (a caller that needs the time too converts it once). */
export function isLivePollAt(polledMs: number | undefined, now = Date.now(), windowMs = LIVE_POLL_WINDOW_MS): boolean {
  return polledMs !== undefined && now - polledMs < windowMs;
}
