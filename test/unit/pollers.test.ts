import { msToTs } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { isLivePoll, isLivePollAt, LIVE_POLL_WINDOW_MS } from '../../lib/temporal/pollers';

// GET /deploys, the deploy refusals and /readyz read a poller as a worker that is there by one
// rule: its last poll within the window (a poll waits up to a minute for a task).
describe('a live poll', () => {
  const now = Date.parse('2026-12-07T10:00:00Z');
  it("is one whose LastAccessTime is within the window; an older one, or none, is a worker gone or at capacity", () => {
    expect(isLivePoll(msToTs(now - 60_000), now)).toBe(true);
    expect(isLivePoll(msToTs(now - LIVE_POLL_WINDOW_MS + 1), now)).toBe(true);
    expect(isLivePoll(msToTs(now - LIVE_POLL_WINDOW_MS), now)).toBe(false);
    expect(isLivePoll(msToTs(now - 4 * 60_000), now)).toBe(false);
    expect(isLivePoll(undefined, now)).toBe(false);
    // The same rule on a time already converted to ms.
    expect(isLivePollAt(now - LIVE_POLL_WINDOW_MS + 1, now)).toBe(true);
    expect(isLivePollAt(now - LIVE_POLL_WINDOW_MS, now)).toBe(false);
    expect(isLivePollAt(undefined, now)).toBe(false);
  });
});
