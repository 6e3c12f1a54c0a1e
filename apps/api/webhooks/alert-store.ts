import type { EntityManager } from 'typeorm';
import { incidentSeverity, SEVERITIES } from '../../../lib/domain/incident';
import type { Alert } from '../../../lib/intake/alert';
import type { RouteDecision } from '../../../lib/intake/routing';
import { SURVIVOR_OF } from '../../../lib/db/merged-alerts';
import { isUniqueViolation } from '../common/db-errors';

export type Disposition = 'started' | 'merged' | 'suppressed' | 'duplicate';

export interface StoredAlert {
  alertId: string;
  incidentId: string | null;
  disposition: Disposition;
}


/** A suppression pattern as a LIKE pattern: `*` is the only wildcard, as in lib/intake/suppressions.ts. */
const LIKE_PATTERN = String.raw`replace(replace(replace(replace(entity_pattern, '\', '\\'), '%', '\%'), '_', '\_'), '*', '%')`;


/** The delivery's alerts already stored (a re-sent delivery), by position. */
export async function storedDelivery(db: EntityManager, alert: Pick<Alert, 'source' | 'deliveryId'>): Promise<Map<number, StoredAlert>> {
  const rows = await db.query<{ id: string; incident_id: string | null; delivery_index: number }[]>(
    `SELECT id, incident_id, delivery_index FROM alerts WHERE source = $1 AND delivery_id = $2`,
    [alert.source, alert.deliveryId],
  );
  return new Map(rows.map((r) => [r.delivery_index, { alertId: r.id, incidentId: r.incident_id, disposition: 'duplicate' }]));
}

/**
 * Stores one alert and decides its disposition in a single statement (atomic on its own):
 * an active suppression window → suppressed; else the open incident for the route's workflow
 * id is joined, or opened, under the partial unique index `incidents_open_workflow_idx`
 * (so concurrent alerts for one entity agree on one incident), and an inbox row is added.
 * A delivery stored meanwhile by a concurrent request fails the statement with a unique
 * violation on `alerts_delivery_unique`, which rolls back everything it did.
 */
export async function storeAlert(
  db: EntityManager,
  alert: Alert,
  index: number,
  decision: RouteDecision,
  newIncidentId: string,
  /** The webhook span's traceparent, kept with the inbox row; null with tracing off. */
  traceparent: string | null = null,
): Promise<StoredAlert> {
  const routed = decision.kind === 'playbook' ? decision : undefined;
  const [row] = await db.query<{ incident_id: string | null; disposition: Disposition }[]>(
    `WITH route AS (
       -- A merged duplicate's entity: its survivor while that is open (lib/db/merged-alerts.ts).
       SELECT COALESCE((SELECT workflow_id FROM (${SURVIVOR_OF('$23')}) s), $23) AS workflow_id
     ), suppressed AS (
       SELECT $20::boolean OR EXISTS (
         SELECT 1 FROM suppressions
         WHERE deleted_at IS NULL AND now() BETWEEN starts_at AND ends_at
           AND ($21::text LIKE ${LIKE_PATTERN} OR $13::text LIKE ${LIKE_PATTERN})) AS yes
     ), incident AS (
       INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity,
         detected_at, alert_count, sources, first_alert_at, last_alert_at)
       SELECT $22, (SELECT workflow_id FROM route), $7, $24, 'open', $25, $26, $21, $6, 1, ARRAY[$2]::text[], $6, $6
       WHERE NOT (SELECT yes FROM suppressed)
       ON CONFLICT (workflow_id) WHERE status NOT IN ('resolved', 'cancelled') DO UPDATE SET
         alert_count = incidents.alert_count + 1,
         last_alert_at = GREATEST(incidents.last_alert_at, EXCLUDED.last_alert_at),
         sources = CASE WHEN $2 = ANY (incidents.sources) THEN incidents.sources ELSE incidents.sources || $2::text END,
         severity = CASE WHEN array_position($27::text[], EXCLUDED.severity) > array_position($27::text[], incidents.severity)
                    THEN EXCLUDED.severity ELSE incidents.severity END,
         updated_at = now()
       RETURNING id, (xmax = 0) AS started
     ), stored AS (
       INSERT INTO alerts (id, source, delivery_id, delivery_index, received_at, observed_at, title, description,
         severity, severity_original, category, entity_kind, entity_key, entity_display, fingerprint, labels, secrets,
         raw, rule, playbook, incident_id, disposition)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
         CASE WHEN (SELECT yes FROM suppressed) THEN NULL ELSE $25 END,
         (SELECT id FROM incident),
         CASE WHEN (SELECT yes FROM suppressed) THEN 'suppressed'
              WHEN (SELECT started FROM incident) THEN 'started' ELSE 'merged' END
       RETURNING id, incident_id, disposition
     ), queued AS (
       INSERT INTO inbox (incident_id, workflow_id, alert_id, traceparent)
       SELECT incident_id, (SELECT workflow_id FROM route), id, $28 FROM stored WHERE incident_id IS NOT NULL
     )
     SELECT incident_id, disposition FROM stored`,
    [
      alert.id, alert.source, alert.deliveryId, index, alert.receivedAt, alert.observedAt, alert.title, alert.description,
      alert.severity, alert.severityOriginal, alert.category, alert.entity.kind, alert.entity.key, alert.entity.display,
      alert.fingerprint, JSON.stringify(alert.labels), JSON.stringify(alert.secrets ?? []), JSON.stringify(alert.raw),
      decision.rule,
      decision.kind === 'ignore', routed?.entityKey ?? alert.entity.key,
      newIncidentId, routed?.workflowId ?? null, incidentSeverity(alert.severity), routed?.playbook ?? null,
      routed?.playbookVersion ?? null, SEVERITIES, traceparent,
    ],
  );
  return { alertId: alert.id, incidentId: row.incident_id, disposition: row.disposition };
}

/**
 * Within the route's reopen window, an alert for an entity whose incident was just resolved
 * reopens that incident (same id) instead of opening a new one. Runs before the alert is
 * stored, so the store below finds the incident open and merges into it.
 */
export async function reopenRecent(db: EntityManager, workflowId: string, withinSeconds: number): Promise<void> {
  if (withinSeconds <= 0) return;
  await db.query(
    `UPDATE incidents SET status = 'open', resolved_at = NULL, classification = NULL, classification_reason = NULL, classified_by = NULL, updated_at = now()
     WHERE id = (SELECT id FROM incidents WHERE workflow_id = $1 AND status = 'resolved' AND duplicate_of IS NULL
                   AND resolved_at > now() - make_interval(secs => $2)
                 ORDER BY resolved_at DESC LIMIT 1)
       AND NOT EXISTS (SELECT 1 FROM incidents open WHERE open.workflow_id = $1 AND open.status NOT IN ('resolved', 'cancelled'))`,
    [workflowId, withinSeconds],
  );
}

/** True for the unique violation a concurrent copy of the same delivery causes. */
export function isDeliveryConflict(err: unknown): boolean {
  return isUniqueViolation(err, 'alerts_delivery_unique');
}
