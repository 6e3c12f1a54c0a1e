// Small pieces the process-fault drills share: signed generic webhooks, JSON calls to the API
// with a token, a look into Postgres, waiting for a condition, and senders that keep going
// while a drill breaks something under them.
import { setTimeout as sleep } from 'node:timers/promises';
import { Client as PgClient } from 'pg';
import type { DrillCluster, DrillProcess } from '../drills/drill';
import { signGeneric } from './webhooks';

export interface Answer {
  /** 0 when no HTTP answer came (connection refused or reset, timeout). */
  status: number;
  body: any;
  headers: Headers | undefined;
  /** Why there was no answer, when status is 0. */
  error?: string;
}

/** POSTs a signed request as it is (a sender retrying the very same request). */
export async function postSigned(cluster: DrillCluster, request: { body: string; headers: Record<string, string> }, timeoutMs = 30_000): Promise<Answer> {
  return call(`${cluster.apiUrl}/webhooks/generic`, { method: 'POST', body: request.body, headers: request.headers }, timeoutMs);
}

/** Signs and sends one generic alert. */
export function sendGeneric(cluster: DrillCluster, payload: unknown, delivery: string, timeoutMs?: number): Promise<Answer> {
  return postSigned(cluster, signGeneric(cluster.secret('PALISADE_WEBHOOK_SECRET_GENERIC'), payload, delivery), timeoutMs);
}

/** A triage alert (no playbook of its own: routing's everything-else rule) for `host`. */
export function triageAlert(host: string, n: number, runId: string): Record<string, unknown> {
  return {
    id: `${runId}-${host}-${n}`,
    title: `Drill alert ${n} on ${host}`,
    severity: 'high',
    category: 'other',
    entity: { kind: 'host', key: host },
    labels: { drill: runId, seq: String(n) },
  };
}

/** A JSON call to the API with a bearer token; never throws for HTTP or connection errors. */
export function apiCall(cluster: DrillCluster, method: string, path: string, token: string, body?: unknown, timeoutMs = 30_000): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return call(`${cluster.apiUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }, timeoutMs);
}

async function call(url: string, init: RequestInit, timeoutMs: number): Promise<Answer> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: keep the text.
    }
    return { status: res.status, body, headers: res.headers };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { status: 0, body: undefined, headers: undefined, error: cause ?? (err as Error).message };
  }
}

/** An answer in a loss line: its status and the start of its body, or why there was none. */
export function describeAnswer(a: Answer, max = 200): string {
  return a.status === 0 ? `no answer (${a.error})` : `${a.status} ${JSON.stringify(a.body).slice(0, max)}`;
}

/**
 * Asks until the answer is not a 503 (the API could not reach Temporal: slow under load), for up
 * to `timeoutMs`; a 200 is returned, anything else (or a 503 past the deadline) throws with what
 * the API said.
 */
export async function askPast503(ask: () => Promise<Answer>, what: string, timeoutMs = 60_000, everyMs = 500): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await ask();
    if (answer.status === 200) return answer;
    if (answer.status !== 503 || Date.now() > deadline) throw new Error(`${what} answered ${describeAnswer(answer, 300)}`);
    await sleep(everyMs);
  }
}

/** A new API token for a person of runbooks/people.yaml, made with the admin token. */
export async function tokenFor(cluster: DrillCluster, name: string, role: 'viewer' | 'responder' | 'approver' | 'admin'): Promise<string> {
  const res = await apiCall(cluster, 'POST', '/tokens', cluster.adminToken, { name, role });
  if (res.status !== 201 || !res.body?.token) throw new Error(`POST /tokens answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.token as string;
}

/** One query on a connection of its own (it is closed again: Postgres may go away between calls). */
export async function sql<T = Record<string, any>>(cluster: DrillCluster, text: string, params: unknown[] = []): Promise<T[]> {
  const pg = new PgClient({ connectionString: cluster.databaseUrl, connectionTimeoutMillis: 10_000 });
  await pg.connect();
  try {
    return (await pg.query(text, params)).rows as T[];
  } finally {
    await pg.end().catch(() => undefined);
  }
}

/** Polls `fn` until it returns a value (not undefined); undefined when the time is up. */
export async function until<T>(fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 250): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) return undefined;
    await sleep(everyMs);
  }
}

/** Runs `work` on every item with at most `concurrency` at once. */
export async function inLanes<T>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

/** "5,000" */
export const n = (value: number) => value.toLocaleString('en-US');

/** Per incident: the alerts stored for it, the alerts its workflow recorded (sum of alerts.merged counts) and those batches' last inbox ids in timeline order. */
export interface IncidentTally {
  incidentId: string;
  stored: number;
  merged: number;
  batches: number[];
}

export async function tallyIncidents(cluster: DrillCluster, incidentIds: string[]): Promise<IncidentTally[]> {
  if (incidentIds.length === 0) return [];
  const stored = await sql<{ incident_id: string; n: number }>(
    cluster,
    `SELECT incident_id, count(*)::int AS n FROM alerts WHERE incident_id = ANY($1::uuid[]) AND disposition IN ('started', 'merged') GROUP BY incident_id`,
    [incidentIds],
  );
  const merged = await sql<{ incident_id: string; count: number; last_inbox_id: number }>(
    cluster,
    `SELECT incident_id, (data->>'count')::int AS count, (data->>'lastInboxId')::bigint AS last_inbox_id FROM timeline_events
     WHERE incident_id = ANY($1::uuid[]) AND type = 'alerts.merged' ORDER BY incident_id, sequence`,
    [incidentIds],
  );
  return incidentIds.map((incidentId) => {
    const rows = merged.filter((m) => m.incident_id === incidentId);
    return {
      incidentId,
      stored: stored.find((s) => s.incident_id === incidentId)?.n ?? 0,
      merged: rows.reduce((sum, r) => sum + r.count, 0),
      batches: rows.map((r) => Number(r.last_inbox_id)),
    };
  });
}

/** The loss line of an incident whose workflow did not record exactly the alerts stored for it. */
export function tallyLoss(t: IncidentTally): string {
  return t.merged > t.stored
    ? `incident ${t.incidentId}: ${t.stored} alerts stored, its workflow recorded ${t.merged}: ${t.merged - t.stored} counted twice (batches' last inbox ids: ${t.batches.join(', ')})`
    : `incident ${t.incidentId}: ${t.stored} alerts stored, its workflow recorded only ${t.merged}`;
}

/** Every alert answered 202 is in Postgres, and no delivery of the run is stored twice; each loss goes to `losses`. */
export async function checkStoredOnce(cluster: DrillCluster, runId: string, alertIds: string[], losses: string[]): Promise<{ stored: number; doubled: number }> {
  const stored = new Set((await sql<{ id: string }>(cluster, `SELECT id FROM alerts WHERE id = ANY($1::uuid[])`, [alertIds])).map((r) => r.id));
  const missing = alertIds.filter((id) => !stored.has(id));
  if (missing.length > 0) losses.push(`${n(missing.length)} alert(s) answered 202 are not in Postgres, e.g. ${missing.slice(0, 3).join(', ')}`);
  const doubled = await sql<{ delivery_id: string; n: number }>(
    cluster,
    `SELECT delivery_id, count(*)::int AS n FROM alerts WHERE source = 'generic' AND delivery_id LIKE $1 GROUP BY delivery_id HAVING count(*) > 1`,
    [`${runId}-%`],
  );
  if (doubled.length > 0) losses.push(`${n(doubled.length)} delivery(ies) stored more than once, e.g. ${doubled[0].delivery_id} ×${doubled[0].n}`);
  return { stored: stored.size, doubled: doubled.length };
}

/** True once every one of these alerts' inbox rows is dispatched; false when `timeoutMs` ran out first. */
export async function inboxDrained(cluster: DrillCluster, alertIds: string[], timeoutMs: number): Promise<boolean> {
  const drained = await until(async () => {
    const [row] = await sql<{ n: number }>(cluster, `SELECT count(*)::int AS n FROM inbox WHERE alert_id = ANY($1::uuid[]) AND dispatched_at IS NULL`, [alertIds]);
    return row.n === 0 ? true : undefined;
  }, timeoutMs, 1_000);
  return drained ?? false;
}

/** SIGKILLs the process and starts it again; resolves to how long it was down (ms). `onKilled` runs between the two. */
export async function killAndRestart(p: DrillProcess, onKilled?: () => void): Promise<number> {
  const t0 = Date.now();
  await p.kill('SIGKILL');
  onKilled?.();
  await p.start();
  return Date.now() - t0;
}
