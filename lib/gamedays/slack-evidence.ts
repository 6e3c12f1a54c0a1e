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
