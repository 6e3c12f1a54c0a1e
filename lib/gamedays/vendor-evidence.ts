import { setTimeout as sleep } from 'node:timers/promises';
import type { Postmortem } from '../postmortem/model';
import type { SlackEvidence } from './fault-checks';
import type { VendorLedger } from './faults';
import type { GamedayApi } from './runner';

interface TimelinePage {
  events: { sequence: number; type: string; data: Record<string, unknown> }[];
}

/** Reads the game day's incidents' `slack.posted` events through the API, and what Slack received from the ledger (null without one). */
export async function slackEvidence(api: GamedayApi, incidentIds: string[], ledger: VendorLedger | undefined): Promise<SlackEvidence> {
  const posted: SlackEvidence['posted'] = [];
  for (const incidentId of incidentIds) {
    for (let after = 0; ; ) {
      const page = await api.get<TimelinePage>(`/incidents/${incidentId}/timeline`, { after, limit: 500 });
      for (const e of page.events) if (e.type === 'slack.posted' && typeof e.data.gateId === 'string') posted.push({ incidentId, gateId: e.data.gateId });
      if (page.events.length < 500) break;
      after = page.events.at(-1)!.sequence;
    }
  }
  return { posted, delivered: ledger ? await ledger.slackDeliveries() : null };
}

/** Notices the outbox will not try again: refused for good, or a channel given up for the next. */
const SETTLED = new Set(['failed', 'abandoned']);

/** Waits until every page, ticket and Slack post the incidents are owed has been accepted by its vendor, or the deadline; says so either way. */
export async function noticesDelivered(api: GamedayApi, incidentIds: string[], deadline: number, pollMs: number, emit: (kind: string, message: string) => void): Promise<void> {
  let said = false;
  for (;;) {
    let owed = 0;
    for (const id of incidentIds) {
      const pm = await api.get<Postmortem>(`/incidents/${id}/postmortem`, { format: 'json' }).catch(() => undefined);
      owed += pm ? (pm.notices ?? []).filter((n) => n.sentAt === null && !SETTLED.has(n.status)).length : 1;
    }
    if (owed === 0) return said ? emit('notices.delivered', 'every notice the incidents were owed is delivered') : undefined;
    if (Date.now() > deadline) return emit('notices.undelivered', `deadline reached with ${owed} notice(s) not delivered`);
    if (!said) emit('notices.waiting', `waiting for the paging outbox to deliver ${owed} notice(s) owed since the outage`);
    said = true;
    await sleep(pollMs);
  }
}
