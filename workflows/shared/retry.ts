import { SlackFailure } from '../../lib/slack/failures';
import type { RetryPolicy } from '@temporalio/common';

/** Named retry presets, so a step says how it fails rather than repeating numbers. */
export const RETRY = {
  /** Projection writes: cheap, idempotent, worth retrying until the database is back. */
  projection: {
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '30s',
  },
  /**
   * Provider steps: retried by the step runner (so each retry is on the timeline), then
   * the step fails and the playbook's compensations run. A Throttled error's retry-after wins.
   */
  provider: {
    maximumAttempts: 4,
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
  },
  /** Notifications that must not hold a playbook up: one retry, then carry on without. */
  bestEffort: {
    maximumAttempts: 2,
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '5s',
  },
  /**
   * Slack: retried with backoff (a 429's Retry-After sets the next delay) until the gate's
   * `unreachableAfter`, then quietly, a minute apart, until the gate closes. A refusal
   * (channel not found, bot not invited) is not retried.
   */
  slack: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    nonRetryableErrorTypes: [SlackFailure.Refused],
  },
} satisfies Record<string, RetryPolicy>;

/** How the step runner retries a step (Temporal's RetryPolicy fields, durations as "1s"). */
export interface StepRetry {
  maximumAttempts: number;
  initialInterval: string;
  backoffCoefficient: number;
  maximumInterval: string;
}
