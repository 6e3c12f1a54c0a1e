import type { DataSource } from 'typeorm';
import { insertTimelineEvent } from '../../lib/db/timeline-insert';
import type { TimelineEvent } from '../../lib/domain/timeline';
import type { Redactor } from '../../lib/intake/redact';

/** A run's timeline event as its workflow hands it to an activity; `build`: the first event on a new build says which. */
export type RunTimelineEvent = TimelineEvent & { build?: string };

/** Writes a run's timeline events, each once and in the order given. */
export type TimelineWriter = (events: readonly RunTimelineEvent[]) => Promise<void>;

/**
 * The one way a run's events reach the timeline, from whichever activity carries them (the
 * timeline activities, or a provider call that carries the step's events: workflows/shared/timeline.ts).
 * Each lands once (the id is the incident and the run's sequence; a re-sent one is a no-op).
 * Summary and data are redacted here as well as at the door: a provider's answer can carry a
 * secret too.
 */
export function timelineWriter(db: DataSource, redactor: Redactor): TimelineWriter {
  return async (events) => {
    for (const { build, ...event } of events) {
      await insertTimelineEvent(db, { ...event, summary: redactor.redactText(event.summary), data: redactor.redactDeep(event.data) });
      if (build) await recordBuild(db, event.incidentId, build);
    }
  };
}

/**
 * The build now running the incident's run (its first event on a new build says so); the first
 * one it reports is the build it started on.
 */
async function recordBuild(db: DataSource, incidentId: string, build: string): Promise<void> {
  await db.query(
    `UPDATE incidents SET running_build = $2, started_build = COALESCE(started_build, $2), updated_at = now()
     WHERE id = $1 AND running_build IS DISTINCT FROM $2`,
    [incidentId, build],
  );
}
