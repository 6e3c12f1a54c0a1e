import { CancellationScope, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { TimelineActivities } from '../../activities/timeline/timeline.activities';
import type { RunStatusChange } from '../../activities/timeline/timeline-writer';
import { timelineEventId, type TimelineEvent, type TimelineEventType } from '../../lib/domain/timeline';
import { SEARCH_ATTRIBUTE } from '../../lib/temporal/names';
import { RETRY } from './retry';

const { appendTimelineEvent, appendTimelineEvents } = proxyActivities<TimelineActivities>({
  startToCloseTimeout: '10s',
  retry: RETRY.projection,
});

type Append = TimelineActivities['appendTimelineEvent'];

/** How a run's events reach the timeline: one activity each (runs begun before PATCH.timelineHeld), or held for the run's next write. */
export type TimelineWrites = 'each' | 'held';

/**
 * Writes an incident's timeline from inside a workflow. Event ids are the incident id plus a
 * sequence kept in workflow state, so replays and activity retries never duplicate an event.
 *
 * Since PATCH.timelineHeld an event recorded with `hold` (a step's start and success, the
 * opening's entries, a status change) is not an activity of its own: it waits in `held` and
 * goes with the run's next write, in order, ahead of that write's own events: a step's provider
 * call carries it (workflows/shared/steps.ts), or the next event recorded without `hold`. So
 * a step costs one activity and one workflow task, not three of each, and every write still
 * comes from an activity a committed workflow task scheduled: a task that fails and is retried
 * writes nothing (local activities did, issue 22). A held event is dropped only once an
 * activity carrying it has completed; until then each write carries it again (it lands once).
 * Before the run waits for anything but its next write, `flush()` writes what is held.
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
    readonly writes: TimelineWrites = 'each',
  ) {}

  /** Events recorded with `hold`, not yet written by an activity that completed (writes 'held' only). */
  private held: TimelineEvent[] = [];

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
    opts: { actor?: string; data?: Record<string, unknown>; remote?: boolean; hold?: boolean; waiting?: boolean; status?: RunStatusChange } = {},
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
    // `status`: the projection moves as this event is written (PATCH.statusHeld; writes 'held' only).
    const recorded = { ...event, ...(changed ? { build } : {}), ...(opts.status ? { status: opts.status } : {}) };
    if (this.writes === 'held') {
      this.held.push(recorded);
      if (!opts.hold) await this.write({ waiting: opts.waiting });
      return;
    }
    // `remote`: an activity even where this run writes locally (a storm's merged batches).
    // Never cancelled: the sequence was taken, and a cancel must not leave a gap in it.
    const append = opts.remote ? appendTimelineEvent : this.append;
    await CancellationScope.nonCancellable(() => append(recorded));
  }

  /**
   * Writes the held events now: the run is about to wait for something other than its next
   * write, and says so (a new incident's run waiting lets the dispatcher start the next one).
   */
  async flush(): Promise<void> {
    await this.write({ waiting: true });
  }

  private async write(opts: { waiting?: boolean }): Promise<void> {
    const events = this.carry();
    if (!events) return;
    // Never cancelled: a cancel must not leave a gap in the sequence. An activity's arguments are
    // not commands: `waiting` changes nothing a replay compares.
    await CancellationScope.nonCancellable(() => (opts.waiting ? appendTimelineEvents(events, { waiting: true }) : appendTimelineEvents(events)));
    this.written(events);
  }

  /** The held events, for an activity that writes them ahead of its own work; undefined when none. */
  carry(): TimelineEvent[] | undefined {
    return this.held.length > 0 ? [...this.held] : undefined;
  }

  /** An activity carrying these completed: they are on the timeline. */
  written(events: readonly TimelineEvent[]): void {
    const ids = new Set(events.map((e) => e.id));
    this.held = this.held.filter((e) => !ids.has(e.id));
  }
}
