import type { RetryPolicy } from '@temporalio/common';

/** Named retry presets, so a step says how it fails rather than repeating numbers. */
export const RETRY = {
  /** Projection writes: cheap, idempotent, worth retrying until the database is back. */
  projection: {
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '30s',
  },
} satisfies Record<string, RetryPolicy>;
