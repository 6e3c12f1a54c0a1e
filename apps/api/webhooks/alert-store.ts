import type { EntityManager } from 'typeorm';
import type { Severity } from '../../../lib/domain/incident';
import type { Alert, AlertSeverity } from '../../../lib/intake/alert';
import type { RouteDecision } from '../../../lib/intake/routing';
import { PLAYBOOKS } from '../../../lib/playbooks';

export type Disposition = 'started' | 'merged' | 'suppressed' | 'duplicate';

export interface StoredAlert {
  alertId: string;
  incidentId: string | null;
  disposition: Disposition;
}

const INCIDENT_SEVERITIES = ['low', 'medium', 'high', 'critical'];

/** Incidents have no "info": an informational alert that opens one opens it as low. */
export function incidentSeverity(s: AlertSeverity): Severity {
  return s === 'info' ? 'low' : s;
}

/**
 * The door's writes, inside the caller's transaction. The delivery is claimed first (unique
 * per source, delivery id and position), so a re-sent delivery changes nothing.
 */
export async function claimDelivery(tx: EntityManager, alert: Alert, index: number): Promise<StoredAlert | undefined> {
  const inserted: unknown[] = await tx.query(
    `INSERT INTO alerts (id, source, delivery_id, delivery_index, received_at, observed_at, title, description,
       severity, severity_original, category, entity_kind, entity_key, entity_display, fingerprint, labels, secrets,
       raw, disposition)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,'pending')
     ON CONFLICT (source, delivery_id, delivery_index) DO NOTHING RETURNING id`,
    [
      alert.id, alert.source, alert.deliveryId, index, alert.receivedAt, alert.observedAt, alert.title, alert.description,
      alert.severity, alert.severityOriginal, alert.category, alert.entity.kind, alert.entity.key, alert.entity.display,
      alert.fingerprint, JSON.stringify(alert.labels), JSON.stringify(alert.secrets ?? []), JSON.stringify(alert.raw),
    ],
  );
  if (inserted.length > 0) return undefined;
  const [prior] = await tx.query<{ id: string; incident_id: string | null }[]>(
    `SELECT id, incident_id FROM alerts WHERE source = $1 AND delivery_id = $2 AND delivery_index = $3`,
    [alert.source, alert.deliveryId, index],
  );
  return { alertId: prior.id, incidentId: prior.incident_id, disposition: 'duplicate' };
}

/** True when an active suppression window covers the alert's entity. */
export async function isSuppressed(tx: EntityManager, keys: string[]): Promise<boolean> {
  const rows: unknown[] = await tx.query(
    `SELECT 1 FROM suppressions
     WHERE deleted_at IS NULL AND now() BETWEEN starts_at AND ends_at
       AND EXISTS (SELECT 1 FROM unnest($1::text[]) AS k WHERE k LIKE replace(replace(entity_pattern, '_', '\\_'), '*', '%'))
     LIMIT 1`,
    [keys],
  );
  return rows.length > 0;
}

/**
 * Finds the open incident for the route's workflow id, or opens one, under the partial unique
 * index `incidents_open_workflow_idx`: concurrent alerts for one entity agree on one incident.
 */
export async function joinIncident(
  tx: EntityManager,
  alert: Alert,
  route: Extract<RouteDecision, { kind: 'playbook' }>,
  newIncidentId: string,
): Promise<{ incidentId: string; started: boolean }> {
  const [row] = await tx.query<{ id: string; started: boolean }[]>(
    `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity,
       detected_at, alert_count, sources, first_alert_at, last_alert_at)
     VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, 1, ARRAY[$9]::text[], $8, $8)
     ON CONFLICT (workflow_id) WHERE status NOT IN ('resolved', 'cancelled') DO UPDATE SET
       alert_count = incidents.alert_count + 1,
       last_alert_at = GREATEST(incidents.last_alert_at, EXCLUDED.last_alert_at),
       sources = CASE WHEN $9 = ANY (incidents.sources) THEN incidents.sources ELSE incidents.sources || $9::text END,
       severity = CASE WHEN array_position($10::text[], EXCLUDED.severity) > array_position($10::text[], incidents.severity)
                  THEN EXCLUDED.severity ELSE incidents.severity END,
       updated_at = now()
     RETURNING id, (xmax = 0) AS started`,
    [
      newIncidentId, route.workflowId, alert.title, incidentSeverity(alert.severity), route.playbook,
      PLAYBOOKS[route.playbook].version, route.entityKey, alert.observedAt, alert.source, INCIDENT_SEVERITIES,
    ],
  );
  return { incidentId: row.id, started: row.started };
}

export async function settleAlert(
  tx: EntityManager,
  alertId: string,
  outcome: { disposition: Disposition; incidentId: string | null; rule: string; playbook: string | null; workflowId?: string },
): Promise<void> {
  await tx.query(`UPDATE alerts SET disposition = $2, incident_id = $3, rule = $4, playbook = $5 WHERE id = $1`, [
    alertId, outcome.disposition, outcome.incidentId, outcome.rule, outcome.playbook,
  ]);
  if (outcome.incidentId && outcome.workflowId && (outcome.disposition === 'started' || outcome.disposition === 'merged')) {
    await tx.query(`INSERT INTO inbox (incident_id, workflow_id, alert_id) VALUES ($1, $2, $3)`, [outcome.incidentId, outcome.workflowId, alertId]);
  }
}
