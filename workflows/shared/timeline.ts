import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { TimelineActivities } from '../../activities/timeline/timeline.activities';
import { timelineEventId, type TimelineEvent, type TimelineEventType } from '../../lib/domain/timeline';
import { RETRY } from './retry';

const { appendTimelineEvent } = proxyActivities<TimelineActivities>({
  startToCloseTimeout: '10s',
  retry: RETRY.projection,
});

/**
 * Writes an incident's timeline from inside a workflow. Event ids are the workflow id plus a
 * sequence kept in workflow state, so replays and activity retries never duplicate an event.
 */
export class TimelineRecorder {
  private sequence = 0;

  constructor(private readonly incidentId: string) {}

  async record(
    type: TimelineEventType,
    summary: string,
    opts: { actor?: string; data?: Record<string, unknown> } = {},
  ): Promise<void> {
    this.sequence += 1;
    const event: TimelineEvent = {
      id: timelineEventId(workflowInfo().workflowId, this.sequence),
      incidentId: this.incidentId,
      sequence: this.sequence,
      type,
      occurredAt: new Date().toISOString(),
      actor: opts.actor ?? 'palisade',
      summary,
      data: opts.data ?? {},
    };
    await appendTimelineEvent(event);
  }
}
