import type { DataSource } from 'typeorm';
import type { IncidentProjection, IncidentStatus } from '../../lib/domain/incident';
import type { TimelineEvent } from '../../lib/domain/timeline';

/**
 * Projection writes. Each may be retried any number of times by Temporal and lands once:
 * ids are deterministic and inserts use `ON CONFLICT DO NOTHING`.
 */
export function createTimelineActivities(db: DataSource) {
  return {
    /** Creates the incident's row in the `incidents` projection (no-op if it exists). */
    async recordIncident(incident: IncidentProjection): Promise<void> {
      await db.query(
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
    },

    /** Moves an incident to a new status and stamps the matching time (idempotent). */
    async setIncidentStatus(incidentId: string, status: IncidentStatus, at: string): Promise<void> {
      const stamp = { acknowledged: 'acknowledged_at', contained: 'contained_at', resolved: 'resolved_at' } as const;
      const column = status in stamp ? stamp[status as keyof typeof stamp] : undefined;
      await db.query(
        `UPDATE incidents SET status = $2, updated_at = now()${column ? `, ${column} = COALESCE(${column}, $3)` : ''}
         WHERE id = $1`,
        column ? [incidentId, status, at] : [incidentId, status],
      );
    },

    /** Appends one event to an incident's timeline (no-op if that event id is already there). */
    async appendTimelineEvent(event: TimelineEvent): Promise<void> {
      await db.query(
        `INSERT INTO timeline_events (id, incident_id, sequence, type, occurred_at, actor, summary, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO NOTHING`,
        [
          event.id,
          event.incidentId,
          event.sequence,
          event.type,
          event.occurredAt,
          event.actor,
          event.summary,
          JSON.stringify(event.data),
        ],
      );
    },
  };
}

export type TimelineActivities = ReturnType<typeof createTimelineActivities>;
