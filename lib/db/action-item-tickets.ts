import { actionItemRef, type ActionItem } from '../postmortem/review';
import { enqueueRefAction, type Sql } from './paging-outbox';

/**
 * A postmortem's action items become tickets where the incident's own ticket went: the same
 * vendor and project (runbooks/paging.yaml chose them when it opened). An incident the policy
 * gave no ticket gives its action items none. Each item is a notice of its own (ref
 * `action:<id>`) with its open in the paging outbox, both keyed by the item, so asking again
 * queues nothing twice. Answers how many items were newly queued.
 */
export async function enqueueActionItemTickets(q: Sql, incidentId: string, items: ActionItem[]): Promise<number> {
  let queued = 0;
  for (const item of items) {
    const ref = actionItemRef(item.id);
    const created = await q.query<{ vendor: string }[]>(
      `INSERT INTO paging_notices (incident_id, vendor, kind, target, policy, channel, ref, status)
       SELECT incident_id, vendor, 'ticket', target, 'postmortem action item', 0, $2, 'pending'
       FROM paging_notices WHERE incident_id = $1 AND kind = 'ticket' AND ref = '' ORDER BY channel LIMIT 1
       ON CONFLICT (incident_id, vendor, channel, ref) DO NOTHING RETURNING vendor`,
      [incidentId, ref],
    );
    if (created.length === 0) continue;
    await enqueueRefAction(q, incidentId, ref, 'open', { actionItem: item });
    queued++;
  }
  return queued;
}
