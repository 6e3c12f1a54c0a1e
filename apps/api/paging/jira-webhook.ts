import type { DataSource } from 'typeorm';
import { incidentLabel } from '../../../activities/providers/ticketing/jira';
import { insertTimelineEvent } from '../../../lib/db/timeline-insert';
import { anyHmacMatches } from '../webhooks/auth/secrets';
import type { WebhookOutcome } from './pagerduty-webhook';

/**
 * Jira Cloud's admin webhook signature: a webhook registered with a secret (Jira settings →
 * System → WebHooks, or POST /rest/webhooks/1.0/webhook) sends `X-Hub-Signature:
 * sha256=<hex>`, the HMAC-SHA256 of the raw body under that secret (WebSub's
 * method=signature). Webhooks without a secret are not signed, so they are refused.
 */
export function jiraSignatureValid(rawBody: Buffer, header: string | undefined, secrets: string[]): boolean {
  if (!header || secrets.length === 0) return false;
  const m = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  return !!m && anyHmacMatches(rawBody, [m[1]], secrets);
}

const LABEL_PREFIX = incidentLabel('');

/**
 * `jira:issue_updated` on an incident's ticket whose changelog moves its status: recorded on the
 * incident's timeline with who moved it. A ticket moved to done does not resolve the security
 * incident (a responder resolves it in Palisade). The incident is found by the ticket Palisade
 * opened (its key), else by the ticket's `palisade-incident-<id>` label. Each delivery lands
 * once (X-Atlassian-Webhook-Identifier, the same on Jira's retries, is in the event's id).
 */
export async function recordJiraEvent(db: DataSource, body: unknown, deliveryId: string | undefined): Promise<WebhookOutcome> {
  const b = (body ?? {}) as Record<string, unknown>;
  const type = typeof b.webhookEvent === 'string' ? b.webhookEvent : '';
  if (type !== 'jira:issue_updated') return { recorded: false, reason: `${type || 'an event'} is not acted on` };
  const issue = (b.issue ?? {}) as { key?: unknown; fields?: { labels?: unknown } };
  const key = typeof issue.key === 'string' ? issue.key : undefined;
  const items = Array.isArray((b.changelog as { items?: unknown } | undefined)?.items) ? ((b.changelog as { items: unknown[] }).items as Record<string, unknown>[]) : [];
  const status = items.find((i) => i && i.field === 'status');
  if (!key || !status) return { recorded: false, reason: 'not a status change of an issue' };
  const labels = Array.isArray(issue.fields?.labels) ? issue.fields.labels.filter((l): l is string => typeof l === 'string') : [];
  const labelled = labels.find((l) => l.startsWith(LABEL_PREFIX))?.slice(LABEL_PREFIX.length);
  const user = (b.user ?? {}) as Record<string, unknown>;
  const who = typeof user.displayName === 'string' ? user.displayName : typeof user.accountId === 'string' ? user.accountId : 'Jira';
  const at = typeof b.timestamp === 'number' && Number.isFinite(b.timestamp) ? new Date(b.timestamp).toISOString() : new Date().toISOString();
  const text = (v: unknown): string => (typeof v === 'string' ? v : '?');
  // `toString` is a field of Jira's changelog item (the new status's name), not the method.
  const change = new Map(Object.entries(status));
  const from = text(change.get('fromString'));
  const to = text(change.get('toString'));
  const changelogId = typeof (b.changelog as { id?: unknown }).id === 'string' ? (b.changelog as { id: string }).id : undefined;
  const eventId = deliveryId ?? changelogId ?? `${key}:${to}:${at}`;

  return db.transaction(async (tx) => {
    const [notice] = await tx.query<{ incident_id: string }[]>(
      `SELECT incident_id FROM paging_notices WHERE kind = 'ticket' AND (external_id = $1 OR incident_id::text = $2) ORDER BY (external_id = $1) DESC LIMIT 1`,
      [key, labelled ?? ''],
    );
    if (!notice) return { recorded: false, reason: `${key} is not a ticket Palisade opened` };
    const incidentId = notice.incident_id;
    // A postmortem action item's ticket shows its state in the review (GET /postmortems/:id): Jira's status name.
    await tx.query(`UPDATE paging_notices SET status = $2, updated_at = now() WHERE kind = 'ticket' AND external_id = $1 AND ref LIKE 'action:%'`, [key, to]);
    await insertTimelineEvent(tx, {
      id: `${incidentId}#jira:${eventId}`.slice(0, 400),
      incidentId,
      sequence: null,
      type: 'note',
      occurredAt: at,
      actor: `jira:${who}`,
      summary: `Ticket ${key} moved from ${from} to ${to} in Jira by ${who} (the incident is not resolved by it: resolve it in Palisade)`,
      data: { vendor: 'jira', ticket: key, from, to, by: who, deliveryId: deliveryId ?? null },
    });
    return { recorded: true, incidentId, event: type };
  });
}
