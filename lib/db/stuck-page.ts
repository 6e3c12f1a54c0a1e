import { enqueueRefAction, QUIET_NOTICE_STATUSES, type Sql } from './paging-outbox';

/** A stuck episode's notice: one per episode, named by when it began. */
export function stuckRef(since: Date): string {
  return `stuck:${since.getTime()}`;
}

/**
 * The stuck alarm's page (apps/api/incidents/stuck-watcher.service.ts), through the paging outbox
 * in the transaction that marks the incident stuck: a page of its own (its own dedup key, so it
 * never merges into the incident's page) to the service and vendor the incident's own page went
 * to, keyed by the episode so several API processes, or a retried sweep, queue it once. Null, and
 * nothing queued, when the incident paged nobody (its policy says no page, or no paging vendor).
 */
export async function enqueueStuckPage(q: Sql, incidentId: string, since: Date, detail: { reason: string; build: string | null }): Promise<{ vendor: string; service: string } | null> {
  const [page] = await q.query<{ vendor: string; target: string; generation: number }[]>(
    `SELECT vendor, target, generation FROM paging_notices
     WHERE incident_id = $1 AND kind = 'page' AND ref = '' AND status <> ALL($2::text[]) ORDER BY channel LIMIT 1`,
    [incidentId, QUIET_NOTICE_STATUSES],
  );
  if (!page) return null;
  const ref = stuckRef(since);
  await q.query(
    `INSERT INTO paging_notices (incident_id, vendor, kind, target, policy, channel, ref, generation, status)
     VALUES ($1, $2, 'page', $3, 'stuck alarm', 0, $4, $5, 'pending') ON CONFLICT (incident_id, vendor, channel, ref) DO NOTHING`,
    [incidentId, page.vendor, page.target, ref, page.generation],
  );
  await enqueueRefAction(q, incidentId, ref, 'open', { stuck: detail });
  return { vendor: page.vendor, service: page.target };
}

/** The episode is over (a worker took the task): its page resolves. Nothing when it paged nobody. */
export async function enqueueStuckCleared(q: Sql, incidentId: string, since: Date): Promise<void> {
  await enqueueRefAction(q, incidentId, stuckRef(since), 'resolve', { stuck: 'cleared' });
}
