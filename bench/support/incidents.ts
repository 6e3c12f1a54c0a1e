import type { Client } from 'pg';
import { benchToken, type BenchEngine } from './engine';
import { GATE, REQUESTED_BY } from './slack-watch';
import { until } from './stats';

/** Incidents opened at once while preparing (not timed). */
const OPEN_CONCURRENCY = 8;

/**
 * Opens `count` host-compromise incidents on hosts nobody enrolled, as bob: each asks for its
 * `isolate-host` gate (one approver, four-eyes) and waits there. Returns their ids.
 */
export async function openHostIncidents(engine: BenchEngine, count: number, hostPrefix: string): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const token = await benchToken(engine, REQUESTED_BY, 'responder');
  const opener = async () => {
    while (next < count) {
      const i = next++;
      const res = await fetch(`${engine.apiUrl}/playbooks/host-compromise/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ params: { host: `${hostPrefix}-${i}` } }),
      });
      const body = (await res.json()) as { incidentId?: string };
      if (res.status !== 202 || !body.incidentId) throw new Error(`POST /playbooks/host-compromise/runs answered ${res.status}: ${JSON.stringify(body)}`);
      ids.push(body.incidentId);
    }
  };
  await Promise.all(Array.from({ length: OPEN_CONCURRENCY }, opener));
  return ids;
}

/** How many of `incidents` have their gate.requested event for `gate` on the timeline. */
export async function gatesRequested(db: Client, incidents: string[], gate = GATE): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(DISTINCT incident_id) AS n FROM timeline_events WHERE incident_id = ANY($1::uuid[]) AND type = 'gate.requested' AND data->>'gateId' = $2`,
    [incidents, gate],
  );
  return Number(rows[0].n);
}

/** Resolves when every incident is waiting at its gate (its gate.requested event is on the timeline). */
export async function allWaiting(db: Client, incidents: string[], timeoutMs: number, onProgress?: (waiting: number) => void): Promise<void> {
  let waiting = 0;
  await until(
    () => `${incidents.length} incidents to wait at ${GATE} (${waiting} waiting)`,
    async () => {
      waiting = await gatesRequested(db, incidents);
      onProgress?.(waiting);
      return waiting >= incidents.length ? true : undefined;
    },
    timeoutMs,
    1_000,
  );
}
