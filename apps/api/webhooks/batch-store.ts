import type { EntityManager } from 'typeorm';
import type { Alert } from '../../../lib/intake/alert';
import type { RouteDecision } from '../../../lib/intake/routing';
import { entityGlob } from '../../../lib/intake/suppressions';
import { incidentSeverity, SEVERITIES, worse } from '../../../lib/domain/incident';
import { MERGED_AMONG, survivorsAmong } from '../../../lib/db/merged-alerts';
import { reopenRecent, type StoredAlert } from './alert-store';
import { CLAIM_REPLAYS, checkClaimed, replayKeysToClaim } from './replay-claims';


type PlaybookRoute = Extract<RouteDecision, { kind: 'playbook' }>;

export interface Routed {
  alert: Alert;
  index: number;
  decision: RouteDecision;
  newIncidentId: string;
  /** The webhook span's traceparent, kept with the inbox row; null with tracing off. */
  traceparent: string | null;
}

/**
 * Stores the alerts of many deliveries in one transaction with a fixed number of statements
 * (group commit): the deliveries already stored, one upsert for all the incidents they join
 * (counts added per workflow id), then the alerts and their inbox rows, in arrival order.
 */
export async function storeBatch(tx: EntityManager, arrived: Routed[], replays: { keys: string[]; memorySeconds: number }): Promise<StoredAlert[]> {
  // 0. One statement for what the batch needs to know, with the claim of its signed requests'
  // replay keys (replay-claims.ts): which of its workflow ids are merged duplicates', which
  // deliveries were stored before, and the suppression windows now (one round trip, not four:
  // the group commit's flush is the door's critical path, issue 22).
  const keys = replayKeysToClaim(replays.keys);
  const workflowIds = [...new Set(arrived.flatMap((i) => (i.decision.kind === 'playbook' ? [i.decision.workflowId] : [])))];
  const [known] = await tx.query<{ claimed: string[]; merged: string[]; prior: { source: string; delivery_id: string; delivery_index: number; id: string; incident_id: string | null }[]; windows: string[] }[]>(
    `WITH claimed AS (${CLAIM_REPLAYS('$4', '$5')})
     SELECT
       (SELECT coalesce(json_agg(key), '[]') FROM claimed) AS claimed,
       (SELECT coalesce(json_agg(DISTINCT workflow_id), '[]') FROM incidents WHERE ${MERGED_AMONG('$1')}) AS merged,
       (SELECT coalesce(json_agg(json_build_object('source', a.source, 'delivery_id', a.delivery_id, 'delivery_index', a.delivery_index,
                                                    'id', a.id, 'incident_id', a.incident_id)), '[]')
        FROM alerts a JOIN unnest($2::text[], $3::text[]) AS d(source, delivery_id) USING (source, delivery_id)) AS prior,
       (SELECT coalesce(json_agg(entity_pattern), '[]')
        FROM suppressions WHERE deleted_at IS NULL AND now() BETWEEN starts_at AND ends_at) AS windows`,
    [workflowIds, arrived.map((i) => i.alert.source), arrived.map((i) => i.alert.deliveryId), keys, replays.memorySeconds],
  );
  checkClaimed(keys, known.claimed);
  // Alerts for a merged duplicate's entity go to its survivor while it is open (lib/db/merged-alerts.ts).
  const survivors = await survivorsAmong(tx, known.merged);
  const routedFrom = new Map<Routed, Routed>();
  const items = arrived.map((item) => {
    const survivor = item.decision.kind === 'playbook' ? survivors.get(item.decision.workflowId) : undefined;
    if (!survivor || item.decision.kind !== 'playbook') return item;
    const redirected: Routed = {
      ...item,
      decision: { ...item.decision, workflowId: survivor.workflowId, playbook: survivor.playbook, playbookVersion: survivor.playbookVersion, entityKey: survivor.entity ?? item.decision.entityKey },
    };
    routedFrom.set(redirected, item);
    return redirected;
  });
  const results = new Array<StoredAlert | undefined>(items.length);
  const key = (i: Routed) => `${i.alert.source}\u0000${i.alert.deliveryId}\u0000${i.index}`;

  // 1. Re-sent deliveries, stored earlier or earlier in this batch.
  const seen = new Map<string, number | StoredAlert>(
    known.prior.map((p) => [`${p.source}\u0000${p.delivery_id}\u0000${p.delivery_index}`, { alertId: p.id, incidentId: p.incident_id, disposition: 'duplicate' }]),
  );
  const fresh: number[] = [];
  items.forEach((item, n) => {
    const earlier = seen.get(key(item));
    if (earlier === undefined) {
      seen.set(key(item), n);
      fresh.push(n);
    } else if (typeof earlier !== 'number') {
      results[n] = earlier;
    }
  });

  // 2. Suppression windows (read above), matched here rather than per alert.
  const patterns = known.windows.map((w) => entityGlob(w));
  const suppressed = (routed: Routed) => {
    const i = routedFrom.get(routed) ?? routed; // suppressions name the alert's own entity
    return i.decision.kind === 'ignore' || patterns.some((p) => p.test(i.decision.kind === 'playbook' ? i.decision.entityKey : '') || p.test(i.alert.entity.key));
  };

  // 3. Re-fires inside a rule's dedupe window: kept and linked to the incident, not merged again.
  const refires = await refiresOf(tx, fresh.map((n) => items[n]).filter((i) => !suppressed(i)));

  // 4. One upsert for every incident the batch joins.
  const groups = new Map<string, Routed[]>();
  for (const n of fresh) {
    const item = items[n];
    if (suppressed(item) || item.decision.kind !== 'playbook' || refires.has(item)) continue;
    const list = groups.get(item.decision.workflowId) ?? [];
    list.push(item);
    groups.set(item.decision.workflowId, list);
  }
  const incidentRows = [...groups.values()].map((group) => {
    const first = group[0];
    const decision = first.decision as PlaybookRoute;
    const observed = group.map((g) => g.alert.observedAt).sort((a, b) => Date.parse(a) - Date.parse(b));
    const severity = group.map((g) => incidentSeverity(g.alert.severity)).reduce(worse);
    return {
      id: first.newIncidentId,
      workflowId: decision.workflowId,
      title: first.alert.title,
      severity,
      playbook: decision.playbook,
      version: decision.playbookVersion,
      entity: decision.entityKey,
      firstSeen: observed[0],
      lastSeen: observed.at(-1)!,
      count: group.length,
      sources: [...new Set(group.map((g) => g.alert.source))].join(','),
    };
  });
  for (const group of groups.values()) {
    const decision = group[0].decision as PlaybookRoute;
    await reopenRecent(tx, decision.workflowId, decision.reopenWithinSeconds);
  }
  const joined = new Map<string, { id: string; started: boolean }>();
  if (incidentRows.length > 0) {
    const rows = await tx.query<{ id: string; workflow_id: string; started: boolean }[]>(
      `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity,
         detected_at, alert_count, sources, first_alert_at, last_alert_at)
       SELECT id, workflow_id, title, severity, 'open', playbook, version, entity, first_seen, n, string_to_array(sources, ','), first_seen, last_seen
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[],
                   $9::timestamptz[], $10::int[], $11::text[])
         AS r(id, workflow_id, title, severity, playbook, version, entity, first_seen, last_seen, n, sources)
       ON CONFLICT (workflow_id) WHERE status NOT IN ('resolved', 'cancelled') DO UPDATE SET
         alert_count = incidents.alert_count + EXCLUDED.alert_count,
         last_alert_at = GREATEST(incidents.last_alert_at, EXCLUDED.last_alert_at),
         sources = ARRAY(SELECT DISTINCT unnest(incidents.sources || EXCLUDED.sources)),
         severity = CASE WHEN array_position($12::text[], EXCLUDED.severity) > array_position($12::text[], incidents.severity)
                    THEN EXCLUDED.severity ELSE incidents.severity END,
         updated_at = now()
       RETURNING id, workflow_id, (xmax = 0) AS started`,
      [
        incidentRows.map((r) => r.id), incidentRows.map((r) => r.workflowId), incidentRows.map((r) => r.title),
        incidentRows.map((r) => r.severity), incidentRows.map((r) => r.playbook), incidentRows.map((r) => r.version),
        incidentRows.map((r) => r.entity), incidentRows.map((r) => r.firstSeen), incidentRows.map((r) => r.lastSeen),
        incidentRows.map((r) => r.count), incidentRows.map((r) => r.sources), SEVERITIES,
      ],
    );
    for (const r of rows) joined.set(r.workflow_id, { id: r.id, started: r.started });
  }

  // 5. The alerts, with their dispositions; the first alert of a new incident "started" it.
  const starter = new Set<string>();
  const outcome = fresh.map((n) => {
    const item = items[n];
    const incident = item.decision.kind === 'playbook' && !suppressed(item) ? joined.get(item.decision.workflowId) : undefined;
    let disposition: StoredAlert['disposition'] = 'suppressed';
    const refire = refires.get(item);
    if (refire !== undefined) {
      const incidentId = refire ?? joined.get((item.decision as PlaybookRoute).workflowId)!.id;
      const stored: StoredAlert = { alertId: item.alert.id, incidentId, disposition: 'duplicate' };
      results[n] = stored;
      return { item, stored };
    }
    if (incident) {
      disposition = incident.started && !starter.has(incident.id) ? 'started' : 'merged';
      starter.add(incident.id);
    }
    const stored: StoredAlert = { alertId: item.alert.id, incidentId: incident?.id ?? null, disposition };
    results[n] = stored;
    return { item, stored };
  });
  if (outcome.length > 0) {
    const col = <T>(f: (o: (typeof outcome)[number]) => T) => outcome.map(f);
    const queued = outcome.filter((o) => o.stored.incidentId && o.item.decision.kind === 'playbook' && o.stored.disposition !== 'duplicate');
    // The alerts and their inbox rows in one statement (one round trip; inbox.alert_id has no foreign key to wait for).
    await tx.query(
      `WITH stored AS (
         INSERT INTO alerts (id, source, delivery_id, delivery_index, received_at, observed_at, title, description, severity,
           severity_original, category, entity_kind, entity_key, entity_display, fingerprint, labels, secrets, raw, rule,
           playbook, incident_id, disposition)
         SELECT id, source, delivery_id, delivery_index, received_at, observed_at, title, description, severity,
           severity_original, category, entity_kind, entity_key, entity_display, fingerprint, labels::jsonb, secrets::jsonb,
           raw::jsonb, rule, playbook, incident_id, disposition
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::timestamptz[], $7::text[], $8::text[],
                     $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
                     $17::text[], $18::text[], $19::text[], $20::text[], $21::uuid[], $22::text[])
           AS r(id, source, delivery_id, delivery_index, received_at, observed_at, title, description, severity,
                severity_original, category, entity_kind, entity_key, entity_display, fingerprint, labels, secrets, raw, rule,
                playbook, incident_id, disposition)
       )
       INSERT INTO inbox (incident_id, workflow_id, alert_id, traceparent)
       SELECT incident_id, workflow_id, alert_id, traceparent FROM unnest($23::uuid[], $24::text[], $25::uuid[], $26::text[]) WITH ORDINALITY
         AS q(incident_id, workflow_id, alert_id, traceparent, position) ORDER BY position`,
      [
        col((o) => o.item.alert.id), col((o) => o.item.alert.source), col((o) => o.item.alert.deliveryId), col((o) => o.item.index),
        col((o) => o.item.alert.receivedAt), col((o) => o.item.alert.observedAt), col((o) => o.item.alert.title),
        col((o) => o.item.alert.description), col((o) => o.item.alert.severity), col((o) => o.item.alert.severityOriginal),
        col((o) => o.item.alert.category), col((o) => o.item.alert.entity.kind), col((o) => o.item.alert.entity.key),
        col((o) => o.item.alert.entity.display), col((o) => o.item.alert.fingerprint), col((o) => JSON.stringify(o.item.alert.labels)),
        col((o) => JSON.stringify(o.item.alert.secrets ?? [])), col((o) => JSON.stringify(o.item.alert.raw)), col((o) => o.item.decision.rule),
        col((o) => (o.stored.incidentId && o.item.decision.kind === 'playbook' ? o.item.decision.playbook : null)),
        col((o) => o.stored.incidentId), col((o) => o.stored.disposition),
        queued.map((o) => o.stored.incidentId),
        queued.map((o) => (o.item.decision as PlaybookRoute).workflowId),
        queued.map((o) => o.stored.alertId),
        queued.map((o) => o.item.traceparent),
      ],
    );
  }

  // Copies of a delivery that arrived together: the same answer as the first, as a duplicate.
  items.forEach((item, n) => {
    if (results[n] === undefined) {
      const first = results[seen.get(key(item)) as number]!;
      results[n] = { ...first, disposition: 'duplicate' };
    }
  });
  return results as StoredAlert[];
}

/**
 * The alerts that re-fire a detection already on an open incident within their rule's dedupe
 * window (same workflow id and fingerprint), each with that incident's id; or with null when
 * the first of the same detection comes earlier in this batch (its incident is known after
 * the upsert).
 */
async function refiresOf(tx: EntityManager, items: Routed[]): Promise<Map<Routed, string | null>> {
  const out = new Map<Routed, string | null>();
  const windowed = items.filter((i): i is Routed & { decision: PlaybookRoute } => i.decision.kind === 'playbook' && i.decision.dedupeWithinSeconds > 0);
  if (windowed.length === 0) return out;
  // Two transactions (batches, replicas) checking the same detection at once would both see
  // no earlier alert: hold a lock per incident identity until this one commits (sorted: no deadlock).
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext(w)) FROM (SELECT DISTINCT unnest($1::text[]) AS w ORDER BY 1) AS ids`, [
    windowed.map((i) => i.decision.workflowId),
  ]);
  const key = (workflowId: string, fingerprint: string) => `${workflowId}\u0000${fingerprint}`;
  const rows = await tx.query<{ workflow_id: string; fingerprint: string; incident_id: string }[]>(
    `SELECT DISTINCT r.workflow_id, r.fingerprint, i.id AS incident_id
     FROM unnest($1::text[], $2::text[], $3::int[]) AS r(workflow_id, fingerprint, secs)
     JOIN incidents i ON i.workflow_id = r.workflow_id AND i.status NOT IN ('resolved', 'cancelled')
     WHERE EXISTS (SELECT 1 FROM alerts a
                   WHERE a.incident_id = i.id AND a.fingerprint = r.fingerprint
                     AND a.received_at > now() - make_interval(secs => r.secs))`,
    [windowed.map((i) => i.decision.workflowId), windowed.map((i) => i.alert.fingerprint), windowed.map((i) => i.decision.dedupeWithinSeconds)],
  );
  const stored = new Map(rows.map((r) => [key(r.workflow_id, r.fingerprint), r.incident_id]));
  const inBatch = new Set<string>();
  for (const item of windowed) {
    const k = key(item.decision.workflowId, item.alert.fingerprint);
    const incidentId = stored.get(k);
    if (incidentId !== undefined) out.set(item, incidentId);
    else if (inBatch.has(k)) out.set(item, null);
    else inBatch.add(k);
  }
  return out;
}
