import type { ApiClient } from './api-client';
import { resolveIncidentId } from './incidents';
import { printJson, say, withSpinner } from './output';

export interface VoteOptions {
  reason?: string;
  choice?: string;
  json?: boolean;
}

/** What a vote that counted answers: the gate's outcome so far. */
interface Verdict {
  incidentId: string;
  gateId: string;
  outcome: 'pending' | 'approved' | 'denied';
  approvals: number;
  needed: number;
}

/**
 * `palisade approve|deny <incident> <gate>`: POST /incidents/:id/approvals/:gateId as the person
 * the token names. A vote that did not count is the API's 409 with the reason (exit 2).
 */
export async function vote(client: ApiClient, decision: 'approve' | 'deny', incident: string, gateId: string, opts: VoteOptions): Promise<void> {
  const id = await resolveIncidentId(client, incident);
  const body = { decision, ...(opts.reason ? { reason: opts.reason } : {}), ...(opts.choice ? { choice: opts.choice } : {}) };
  // The playbook takes the vote (a Temporal Update): up to a few seconds when the worker is busy.
  const verdict = await withSpinner(`Sending your ${decision === 'approve' ? 'approval' : 'denial'} of ${gateId}…`, !opts.json, () =>
    client.post<Verdict>(`/incidents/${id}/approvals/${encodeURIComponent(gateId)}`, body),
  );
  if (opts.json) return printJson(verdict);
  const counted = `Your ${decision === 'approve' ? 'approval' : 'denial'} of ${verdict.gateId} on incident ${verdict.incidentId} counted`;
  switch (verdict.outcome) {
    case 'approved':
      return say(`${counted}: the gate is approved (${verdict.approvals} of ${verdict.needed}); the playbook carries on.`);
    case 'denied':
      return say(`${counted}: the gate is denied (palisade incidents tail shows what the playbook does next).`);
    case 'pending':
      return say(`${counted}: ${verdict.approvals} of ${verdict.needed} approvals; the gate waits for ${verdict.needed - verdict.approvals} more.`);
  }
}
