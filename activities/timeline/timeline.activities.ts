import type { DataSource, EntityManager } from 'typeorm';
import { closeIncidentRecorded } from '../../lib/db/late-alerts';
import { enqueueEscalationPage, enqueueLifecycle, enqueueOpened, type PagingPlan } from '../../lib/db/paging-outbox';
import type { ClassificationRecord } from '../../lib/domain/classification';
import { SEVERITIES, type IncidentProjection, type IncidentStatus, type Severity } from '../../lib/domain/incident';
import type { Redactor } from '../../lib/intake/redact';
import { applyStatus, timelineWriter, type RunTimelineEvent } from './timeline-writer';

/**
 * Projection writes. Each may be retried any number of times by Temporal and lands once:
 * ids are deterministic and inserts use `ON CONFLICT DO NOTHING`. The ones that open, move
 * or close an incident also queue, in the same transaction, what its page and ticket vendors
 * are to be told (lib/db/paging-outbox.ts); `paging` absent: nothing pages.
 */
export function createTimelineActivities(db: DataSource, redactor: Redactor, paging?: PagingPlan) {
  const write = timelineWriter(db, redactor);
  return {
    /** Creates the incident's row in the `incidents` projection (no-op if it exists), and queues its page and ticket. */
    async recordIncident(incident: IncidentProjection): Promise<void> {
      await db.transaction(async (tx) => {
        await recordIncidentRow(tx, incident);
        if (paging) await enqueueOpened(tx, paging, incident);
      });
    },

    /** Moves an incident to a new status and stamps the matching time (idempotent); contained and resolved reach its ticket and page. */
    async setIncidentStatus(incidentId: string, status: IncidentStatus, at: string): Promise<void> {
      await applyStatus(db, incidentId, status, at);
    },

    /**
     * What a run needs to know before it acts on its incident: whether the incident is still
     * open (a run started by a signal that arrived after the incident closed must not act on
     * it), and the timeline's last sequence (the input's may be older than the timeline).
     */
    async beginRun(incidentId: string): Promise<{ status: IncidentStatus | null; timelineSequence: number }> {
      const [row] = await db.query<{ status: IncidentStatus | null; sequence: number }[]>(
        `SELECT (SELECT status FROM incidents WHERE id = $1) AS status,
                (SELECT COALESCE(max(sequence), 0)::int FROM timeline_events WHERE incident_id = $1) AS sequence`,
        [incidentId],
      );
      return { status: row?.status ?? null, timelineSequence: row?.sequence ?? 0 };
    },

    /**
     * Closes the incident as its run's last write, with the last inbox row the run recorded:
     * later rows go back to the inbox, and the dispatcher reopens the incident for them (or
     * gives them to the entity's open incident). See lib/db/late-alerts.ts. Its page resolves
     * and its ticket closes. With a classification, what the incident was is recorded with it
     * (the reason redacted like the timeline's text).
     */
    async closeIncident(close: { incidentId: string; status: 'resolved' | 'cancelled'; at: string; recordedInboxId: number; runId: string; classification?: ClassificationRecord }): Promise<{ late: number }> {
      return db.transaction(async (tx) => {
        const classification = close.classification && { ...close.classification, reason: redactor.redactText(close.classification.reason) };
        const closed = await closeIncidentRecorded(tx, { ...close, classification });
        await enqueueLifecycle(tx, close.incidentId, 'resolve', { status: close.status, at: close.at });
        return closed;
      });
    },

    /** Raises the incident's recorded severity; never lowers it (the door may have raised it already). */
    async setIncidentSeverity(incidentId: string, severity: Severity): Promise<void> {
      await db.query(
        `UPDATE incidents SET severity = $2, updated_at = now()
         WHERE id = $1 AND array_position($3::text[], severity) < array_position($3::text[], $2::text)`,
        [incidentId, severity, [...SEVERITIES]],
      );
    },

    /**
     * Appends one event to an incident's timeline (no-op if that event id is already there; after
     * the last when an event written from outside the run took its place: lib/db/timeline-insert.ts).
     */
    async appendTimelineEvent(event: RunTimelineEvent): Promise<void> {
      await write([event]);
    },

    /**
     * Appends a run's events in order, those it held back first (workflows/shared/timeline.ts):
     * one activity for what used to take one each. `waiting`: the run writes them because it is
     * about to wait (a gate, a responder, a pause), so a new incident's run is no longer working
     * and the inbox dispatcher may start the next one (apps/api/webhooks/inbox-store.ts).
     */
    async appendTimelineEvents(events: RunTimelineEvent[], opts: { waiting?: boolean } = {}): Promise<void> {
      await write(events);
      if (opts.waiting && events.length > 0) {
        await db.query(`UPDATE incidents SET run_state = 'waiting', run_state_at = now() WHERE id = $1 AND run_state IN ('queued', 'working')`, [events[0].incidentId]);
      }
    },

    /**
     * An approval gate's escalation tier pages a service: queued once per gate and tier in the
     * paging outbox (lib/db/paging-outbox.ts), sent by the API; the timeline says "paged" only
     * when the vendor accepted it. Null: no paging vendor is configured, nothing is sent.
     */
    async queueEscalationPage(page: { incidentId: string; gateId: string; tier: number; service: string; via?: string }): Promise<{ vendor: string } | null> {
      if (!paging) return null;
      return db.transaction((tx) => enqueueEscalationPage(tx, paging, page));
    },
  };
}

export type TimelineActivities = ReturnType<typeof createTimelineActivities>;

async function recordIncidentRow(tx: EntityManager, incident: IncidentProjection): Promise<void> {
  await tx.query(
    `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity, detected_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (id) DO NOTHING`,
    [
      incident.id,
      incident.workflowId,
      incident.title,
      incident.severity,
      incident.status,
      incident.playbook,
      incident.playbookVersion,
      incident.entity,
      incident.detectedAt,
    ],
  );
}
