import type { DataSource, EntityManager } from 'typeorm';
import { enqueueLifecycle } from '../../lib/db/paging-outbox';
import { insertTimelineEvent } from '../../lib/db/timeline-insert';
import { INCIDENT_STATUSES, type IncidentStatus } from '../../lib/domain/incident';
import type { TimelineEvent } from '../../lib/domain/timeline';
import type { Redactor } from '../../lib/intake/redact';

/**
 * A run's timeline event as its workflow hands it to an activity; `build`: the first event on a
 * new build says which; `status`: the incident's new status, which the projection takes as the
 * event is written (an `incident.status-changed` held with the run's next write, PATCH.statusHeld).
 */
export type RunTimelineEvent = TimelineEvent & { build?: string; status?: RunStatusChange };

/** A status a run moves its incident to, and when (the projection stamps it once, never back). */
export interface RunStatusChange {
  status: IncidentStatus;
  at: string;
}

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
    for (const { build, status, ...event } of events) {
      // The projection first, as the activity that wrote it alone did before the event (idempotent: forward only).
      if (status) await applyStatus(db, event.incidentId, status.status, status.at);
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

/** Moves an incident to a new status and stamps the matching time (idempotent); contained and resolved reach its ticket and page. */
export async function applyStatus(db: DataSource, incidentId: string, status: IncidentStatus, at: string): Promise<void> {
  await db.transaction(async (tx) => {
    await setStatusRow(tx, incidentId, status, at);
    if (status === 'contained') await enqueueLifecycle(tx, incidentId, 'comment', { milestone: 'contained', at });
    if (status === 'resolved' || status === 'cancelled') await enqueueLifecycle(tx, incidentId, 'resolve', { status, at });
  });
}

async function setStatusRow(tx: EntityManager, incidentId: string, status: IncidentStatus, at: string): Promise<void> {
  const stamp = { acknowledged: 'acknowledged_at', contained: 'contained_at', resolved: 'resolved_at' } as const;
  const column = status in stamp ? stamp[status as keyof typeof stamp] : undefined;
  // Forward only: a person may have acknowledged the incident while its playbook was still about to say `responding`.
  await tx.query(
    `UPDATE incidents SET status = $2, updated_at = now()${column ? `, ${column} = COALESCE(${column}, $4)` : ''}
     WHERE id = $1 AND coalesce(array_position($3::text[], status), 0) < array_position($3::text[], $2::text)`,
    column ? [incidentId, status, [...INCIDENT_STATUSES], at] : [incidentId, status, [...INCIDENT_STATUSES]],
  );
}
