import type { Severity } from '../domain/incident';
import { decidePaging, fallbackAfterMs, type PagingDecision, type PagingPolicy } from '../paging/policy';

/**
 * The paging outbox: what each vendor is still to be told about an incident, written in the
 * same transaction as the projection change it reports. Every row has a key made of the
 * incident, the vendor, the action and the page's generation (a reopened incident pages
 * again), so a retried activity, a replayed run or an alert storm adds nothing twice. The
 * API's sender delivers the rows (apps/api/paging/outbox-sender.service.ts); a playbook never
 * waits on a vendor.
 */

export type OutboxAction = 'open' | 'comment' | 'acknowledge' | 'resolve';

/** What a notice is: a page, a ticket, or the incident's Slack post (`chat`, vendor `slack`). */
export type NoticeKind = 'page' | 'ticket' | 'chat';

/**
 * A notice's status. `standby`: a later channel of a page's chain, not needed (yet);
 * `abandoned`: a channel given up (refused, or down past its fallbackAfter) for the next one.
 * Neither hears of the incident's lifecycle.
 */
export const QUIET_NOTICE_STATUSES = ['standby', 'abandoned'] as const;

/** Anything that runs SQL: a DataSource, or an EntityManager inside a transaction. */
export interface Sql {
  query<T = unknown>(sql: string, params?: unknown[]): Promise<T>;
}

/** Which vendors serve pages and tickets (runbooks/providers.yaml), and the policy that chooses (runbooks/paging.yaml). */
export interface PagingPlan {
  policy: PagingPolicy;
  pageVendor: string | null;
  ticketVendor: string | null;
  /** Whether Slack is connected (SLACK_BOT_TOKEN): a policy's `post:` goes out only then. */
  chat: boolean;
}

/** The incident as the policy reads it: its routing rule and category come from its first alert. */
export async function pagingSubject(q: Sql, incident: { id: string; playbook: string; severity: Severity }) {
  const [first] = await q.query<{ rule: string | null; category: string }[]>(
    `SELECT rule, category FROM alerts WHERE incident_id = $1 ORDER BY received_at, id LIMIT 1`,
    [incident.id],
  );
  return { rule: first?.rule ?? null, category: first?.category ?? null, playbook: incident.playbook, severity: incident.severity };
}

/**
 * The incident opened: decide once, remember the decision per vendor, and queue the page and
 * the ticket. A page's chain is written whole: its first channel pending, the others on
 * standby until the one before gives up (apps/api/paging/outbox-sender.service.ts).
 */
export async function enqueueOpened(q: Sql, plan: PagingPlan, incident: { id: string; playbook: string; severity: Severity }): Promise<PagingDecision> {
  const decision = decidePaging(plan.policy, await pagingSubject(q, incident));
  const wanted: { vendor: string; kind: NoticeKind; target: string; channel: number; fallbackAfterMs: number | null }[] = [];
  if (decision.page && plan.pageVendor) {
    const chain = [decision.page, ...decision.fallback];
    chain.forEach((c, channel) =>
      wanted.push({ vendor: c.via ?? plan.pageVendor!, kind: 'page', target: c.service, channel, fallbackAfterMs: channel < chain.length - 1 ? fallbackAfterMs(c) : null }),
    );
  }
  if (decision.ticket && plan.ticketVendor) wanted.push({ vendor: plan.ticketVendor, kind: 'ticket', target: decision.ticket.project, channel: 0, fallbackAfterMs: null });
  if (decision.post && plan.chat) wanted.push({ vendor: 'slack', kind: 'chat', target: decision.post.channel, channel: 0, fallbackAfterMs: null });
  for (const w of wanted) {
    await q.query(
      `INSERT INTO paging_notices (incident_id, vendor, kind, target, policy, channel, fallback_after_ms, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (incident_id, vendor, channel, ref) DO NOTHING`,
      [incident.id, w.vendor, w.kind, w.target, decision.policy, w.channel, w.fallbackAfterMs, w.channel === 0 ? 'pending' : 'standby'],
    );
  }
  await enqueue(q, incident.id, 'open', {});
  return decision;
}

/**
 * A milestone or the end of an incident, for every vendor already told about it: `resolve`
 * (resolved or cancelled: the page resolves, the ticket closes), `comment` (contained: the
 * ticket gets a comment; a page has nothing to say), `acknowledge` (a responder took it: the
 * page is acknowledged; a ticket has nothing to do). The Slack post hears all three (its
 * status updated, the milestone in its thread).
 */
export async function enqueueLifecycle(q: Sql, incidentId: string, action: 'comment' | 'acknowledge' | 'resolve', detail: Record<string, unknown>): Promise<void> {
  await enqueue(q, incidentId, action, detail);
}

/**
 * The incident reopened: each vendor's next generation opens again (a resolved PagerDuty dedup
 * key triggers a new incident); a page starts its chain again from its first channel.
 */
export async function enqueueReopened(q: Sql, incidentId: string): Promise<void> {
  await q.query(
    `UPDATE paging_notices SET generation = generation + 1, status = CASE WHEN channel > 0 THEN 'standby' ELSE 'pending' END, resolved_at = NULL, updated_at = now()
     WHERE incident_id = $1 AND ref = ''`,
    [incidentId],
  );
  await enqueue(q, incidentId, 'open', { reopened: true });
}

/** The incident's lifecycle never reaches a postmortem action item's ticket (lib/db/action-item-tickets.ts): it lives on after the incident. */
async function enqueue(q: Sql, incidentId: string, action: OutboxAction, detail: Record<string, unknown>): Promise<void> {
  // A comment milestone is keyed by what it says, so two different milestones both go out.
  const suffix = action === 'comment' ? `:${typeof detail.milestone === 'string' ? detail.milestone : ''}` : '';
  await q.query(
    `INSERT INTO paging_outbox (key, incident_id, vendor, channel, ref, action, generation, detail)
     SELECT ${OUTBOX_KEY}, n.incident_id, n.vendor, n.channel, n.ref, $2, n.generation, $3::jsonb
     FROM paging_notices n
     WHERE n.incident_id = $1 AND n.ref NOT LIKE 'action:%' AND ($2 <> 'open' OR n.ref = '') AND ($2 <> 'comment' OR n.kind IN ('ticket', 'chat')) AND ($2 <> 'acknowledge' OR n.kind IN ('page', 'chat')) AND n.status <> ALL($5::text[])
     ON CONFLICT (key) DO NOTHING`,
    [incidentId, action, JSON.stringify(detail), suffix, QUIET_NOTICE_STATUSES],
  );
}

/**
 * An outbox row's key from its notice `n`, action $2 and suffix $4: the first channel's keys are
 * as they always were (`<incident>:<vendor>:<action>:<generation>`), a later channel's carry
 * `#<place>`, an escalation page's `@<ref>`.
 */
export const OUTBOX_KEY = `n.incident_id || ':' || n.vendor || CASE WHEN n.channel > 0 THEN '#' || n.channel ELSE '' END || CASE WHEN n.ref <> '' THEN '@' || n.ref ELSE '' END || ':' || $2 || ':' || n.generation || $4`;

/**
 * An approval gate's escalation tier pages a service (runbooks/approvals.yaml `page:`): a notice
 * of its own, keyed by gate and tier so a retried activity or a replayed run queues it once, and
 * its trigger in the outbox; from then on it hears the incident's acknowledge and resolve like
 * the incident's own page. Its dedup key is the incident id too: on the service the incident
 * already paged, it joins that page instead of paging again. Null when no paging vendor is set.
 */
export async function enqueueEscalationPage(
  q: Sql,
  plan: PagingPlan,
  page: { incidentId: string; gateId: string; tier: number; service: string; via?: string },
): Promise<{ vendor: string; ref: string } | null> {
  return enqueuePage(q, plan, {
    incidentId: page.incidentId,
    ref: `escalation:${page.gateId}:${page.tier}`,
    service: page.service,
    via: page.via,
    policy: `approval escalation (${page.gateId}, tier ${page.tier})`,
    detail: { escalation: { gateId: page.gateId, tier: page.tier } },
  });
}

/**
 * A page of its own beside the incident's (a gate's escalation, an SLA breach), under its `ref`:
 * queued once however often it is asked for, in the incident's current paging round. Null: no
 * paging vendor is configured.
 */
export async function enqueuePage(
  q: Sql,
  plan: PagingPlan,
  page: { incidentId: string; ref: string; service: string; via?: string; policy: string; detail: Record<string, unknown> },
): Promise<{ vendor: string; ref: string } | null> {
  if (!plan.pageVendor) return null;
  const vendor = page.via ?? plan.pageVendor;
  const { ref } = page;
  const [incident] = await q.query<{ generation: number }[]>(
    `SELECT COALESCE((SELECT max(generation) FROM paging_notices WHERE incident_id = $1 AND ref = ''), 1)::int AS generation`,
    [page.incidentId],
  );
  await q.query(
    `INSERT INTO paging_notices (incident_id, vendor, kind, target, policy, channel, ref, generation, status)
     VALUES ($1, $2, 'page', $3, $4, 0, $5, $6, 'pending') ON CONFLICT (incident_id, vendor, channel, ref) DO NOTHING`,
    [page.incidentId, vendor, page.service, page.policy, ref, incident?.generation ?? 1],
  );
  await enqueueRefAction(q, page.incidentId, ref, 'open', page.detail, vendor);
  return { vendor, ref };
}

/**
 * Queues `action` for the incident's notices under `ref` (a page or ticket of its own beside the
 * incident's: an escalation, a stuck alarm, an action item), only `vendor`'s first channel when
 * one is named; keyed like every outbox row, so asking again queues nothing twice.
 */
export async function enqueueRefAction(q: Sql, incidentId: string, ref: string, action: OutboxAction, detail: Record<string, unknown>, vendor?: string): Promise<void> {
  await q.query(
    `INSERT INTO paging_outbox (key, incident_id, vendor, channel, ref, action, generation, detail)
     SELECT ${OUTBOX_KEY}, n.incident_id, n.vendor, n.channel, n.ref, $2, n.generation, $3::jsonb
     FROM paging_notices n WHERE n.incident_id = $1 AND n.ref = $5 AND ($6::text IS NULL OR (n.vendor = $6 AND n.channel = 0))
     ON CONFLICT (key) DO NOTHING`,
    [incidentId, action, JSON.stringify(detail), '', ref, vendor ?? null],
  );
}
