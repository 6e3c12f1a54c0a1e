import { CancellationScope, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { TimelineActivities } from '../../activities/timeline/timeline.activities';
import { timelineEventId, type TimelineEvent, type TimelineEventType } from '../../lib/domain/timeline';
import { SEARCH_ATTRIBUTE } from '../../lib/temporal/names';
import { RETRY } from './retry';

const { appendTimelineEvent } = proxyActivities<TimelineActivities>({
  startToCloseTimeout: '10s',
  retry: RETRY.projection,
});

type Append = TimelineActivities['appendTimelineEvent'];

/**
 * Writes an incident's timeline from inside a workflow. Event ids are the incident id plus a
 * sequence kept in workflow state, so replays and activity retries never duplicate an event.
 */
export class TimelineRecorder {
  constructor(
    private readonly incidentId: string,
    /** The last sequence used: carried over when a run continues as new. */
    private lastSequence = 0,
    /** True while a continued run replays its body up to where the last one waited: what it records is on the timeline already. */
    private readonly muted: () => boolean = () => false,
    /** How an event is written: an activity (runs begun before PATCH.localProjection), or a local one. */
    private readonly append: Append = appendTimelineEvent,
  ) {}

  /** The build this run last told the projection it runs on (see record). */
  private reportedBuild: string | undefined;

  get sequence(): number {
    return this.lastSequence;
  }

  /** Continues after `sequence` when the timeline is further on than this run was told (never back). */
  continueFrom(sequence: number): void {
    this.lastSequence = Math.max(this.lastSequence, sequence);
  }

  async record(
    type: TimelineEventType,
    summary: string,
    opts: { actor?: string; data?: Record<string, unknown>; remote?: boolean } = {},
  ): Promise<void> {
    if (this.muted()) return;
    this.lastSequence += 1;
    const event: TimelineEvent = {
      id: timelineEventId(this.incidentId, this.lastSequence),
      incidentId: this.incidentId,
      sequence: this.lastSequence,
      type,
      occurredAt: new Date().toISOString(),
      actor: opts.actor ?? 'palisade',
      summary,
      data: opts.data ?? {},
    };
    // The build running this workflow task (Worker Versioning: it changes when the run moves to a
    // new build), told to the projection with the first event written on it. Read from the
    // history on replay, and only an activity's argument: no command, nothing to patch.
    const build = workflowInfo().currentDeploymentVersion?.buildId;
    const changed = build !== undefined && build !== this.reportedBuild;
    // Moved to a new build since it last reported (not its first report: open() set the attribute).
    if (changed && this.reportedBuild !== undefined) upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE.playbookVersion, value: build }]);
    if (changed) this.reportedBuild = build;
    // `remote`: an activity even where this run writes locally (a storm's merged batches).
    // Never cancelled: the sequence was taken, and a cancel must not leave a gap in it.
    const append = opts.remote ? appendTimelineEvent : this.append;
    await CancellationScope.nonCancellable(() => append(changed ? { ...event, build } : event));
  }
}
