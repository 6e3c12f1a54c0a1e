// The activities playbooks call, proxied once. Provider calls are retried by the step runner
// (maximumAttempts 1 here), so every attempt lands on the timeline.
import type { Duration } from '@temporalio/common';
import { ActivityCancellationType, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { OpeningActivities } from '../../activities/playbook/open-incident.activities';
import type { PlaybookActivities } from '../../activities/playbook/playbook.activities';
import type { ProviderActivities } from '../../activities/providers/provider.activities';
import type { TimelineActivities } from '../../activities/timeline/timeline.activities';
import { RETRY } from './retry';

/** Projection writes and playbook reads: short, idempotent, retried until the database is back. */
const PROJECTION = { startToCloseTimeout: '10s', retry: RETRY.projection } as const;

export const projection = proxyActivities<TimelineActivities>(PROJECTION);

export const playbookSupport = proxyActivities<PlaybookActivities>(PROJECTION);

/** Opening an incident in one activity (PATCH.timelineHeld). */
export const opening = proxyActivities<OpeningActivities>(PROJECTION);

/**
 * The same writes and reads as local activities (PATCH.localProjection): run by the worker
 * that runs the workflow task, inside that task, with no round trip through Temporal's task
 * queue and no workflow task of their own. A step is then one workflow task and one
 * activity (the provider call), where it was three of each. They are short database
 * statements, idempotent like the activities (deterministic ids, ON CONFLICT DO NOTHING), so
 * a local retry lands once as well.
 */
export const localProjection = proxyLocalActivities<TimelineActivities>(PROJECTION);

export const localPlaybookSupport = proxyLocalActivities<PlaybookActivities>(PROJECTION);

/** The projection and playbook-support activities a run uses: local ones on runs begun since PATCH.localProjection. */
export function projectionActivities(local: boolean): { projection: TimelineActivities; support: PlaybookActivities } {
  return local ? { projection: localProjection, support: localPlaybookSupport } : { projection, support: playbookSupport };
}

/**
 * A provider activity heartbeats every 5 s while its call is under way (the worker sends them
 * at least that often: maxHeartbeatThrottleInterval in apps/worker/worker.ts): a worker that
 * dies mid-call is noticed this soon, not after the step's timeout (up to 10 minutes). The
 * margin covers a worker starved of CPU under a storm (it runs at a lower priority).
 */
const HEARTBEAT_TIMEOUT = '20s';

/**
 * Provider activities with a step's timeout; one attempt each (the step runner retries). A
 * cancelled playbook waits for a call already under way to finish, so its compensations run
 * after the change they undo, never before it. (Heartbeats deliver the cancellation to the
 * activity; the vendors do not abort a call under way on it.)
 */
export function providerActivities(timeout: Duration): ProviderActivities {
  return proxyActivities<ProviderActivities>({
    startToCloseTimeout: timeout,
    heartbeatTimeout: HEARTBEAT_TIMEOUT,
    retry: { maximumAttempts: 1 },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
}
