import { between, iso, list, num, record, text, type PostmortemEventRow } from './events';

export type ApprovalOutcome = 'approved' | 'denied' | 'expired' | 'paused' | 'withdrawn' | 'open';

export interface PostmortemVote {
  approver: string;
  decision: string;
  choice: string | null;
  reason: string;
  /** api, cli, slack or web. */
  via: string;
  at: string;
  /** From the request to this vote. */
  afterMs: number | null;
  /** The API token it was cast with: its id, who made it, how it is tied to its person; null in Slack (or before tokens were recorded). */
  token: { id: string; createdBy: string; bound: string | false; vouchedBy?: string } | null;
  /** The same in a phrase for the templates ("token 1a2b3c4d made by bootstrap, not claimed: bootstrap answers for it too"), or null. */
  tokenNote: string | null;
}

/** One approval gate, from its `gate.*` events. */
export interface PostmortemApproval {
  gateId: string;
  step: string;
  summary: string;
  critical: boolean;
  needed: number | null;
  requestedBy: string;
  requestedAt: string;
  outcome: ApprovalOutcome;
  /** The policy's fallback (deny, proceed, pause), as the request stated it. */
  fallback: string | null;
  /** When it was decided, expired or withdrawn (null while open or paused). */
  decidedAt: string | null;
  /** From the request to `decidedAt`: how long the step waited for people. */
  waitedMs: number | null;
  /** Who decided it (the counted votes); empty when a fallback or a stop did. */
  decidedBy: string[];
  votes: PostmortemVote[];
  escalations: { tier: number | null; notify: string; at: string }[];
  pausedAt: string | null;
}

const GATE_EVENTS = new Set(['gate.requested', 'gate.vote', 'gate.decided', 'gate.escalated', 'gate.expired', 'gate.paused', 'gate.withdrawn']);

/**
 * Every approval gate in timeline order. A gate id is unique within one playbook run; a
 * reopened incident runs again and may ask the same gate, so each `gate.requested` starts a
 * new approval and later events go to the latest one with that id.
 */
export function approvalsOf(events: PostmortemEventRow[]): PostmortemApproval[] {
  const approvals: PostmortemApproval[] = [];
  const latest = new Map<string, PostmortemApproval>();
  for (const e of events) {
    if (!GATE_EVENTS.has(e.type)) continue;
    const gateId = text(e.data, 'gateId');
    const at = iso(e.occurredAt)!;
    if (e.type === 'gate.requested') {
      const approval: PostmortemApproval = {
        gateId,
        step: text(e.data, 'step'),
        summary: text(e.data, 'summary'),
        critical: e.data.critical === true,
        needed: num(e.data, 'needed'),
        requestedBy: e.actor,
        requestedAt: at,
        outcome: 'open',
        fallback: text(e.data, 'fallback') || null,
        decidedAt: null,
        waitedMs: null,
        decidedBy: [],
        votes: [],
        escalations: [],
        pausedAt: null,
      };
      approvals.push(approval);
      latest.set(gateId, approval);
      continue;
    }
    const approval = latest.get(gateId);
    if (!approval) continue;
    switch (e.type) {
      case 'gate.vote': {
        const voteAt = iso(text(e.data, 'at')) ?? at;
        approval.votes.push({
          approver: text(e.data, 'approverId') || e.actor,
          decision: text(e.data, 'decision'),
          choice: text(e.data, 'choice') || null,
          reason: text(e.data, 'reason'),
          via: text(e.data, 'via'),
          at: voteAt,
          afterMs: between(approval.requestedAt, voteAt),
          ...voteToken(e.data.token),
        });
        break;
      }
      case 'gate.decided': {
        const outcome = text(e.data, 'outcome');
        close(approval, outcome === 'approved' || outcome === 'denied' ? outcome : 'approved', at);
        const voters = list(e.data.votes).map((v) => text(record(v), 'approverId')).filter(Boolean);
        approval.decidedBy = voters.length > 0 ? voters : approval.votes.map((v) => v.approver);
        break;
      }
      case 'gate.escalated':
        approval.escalations.push({ tier: num(e.data, 'tier'), notify: text(e.data, 'notify'), at });
        break;
      case 'gate.expired':
        close(approval, 'expired', at);
        approval.fallback = text(e.data, 'fallback') || approval.fallback;
        break;
      case 'gate.paused':
        approval.outcome = 'paused';
        approval.pausedAt = at;
        break;
      case 'gate.withdrawn':
        close(approval, 'withdrawn', at);
        break;
    }
  }
  return approvals;
}

function close(approval: PostmortemApproval, outcome: ApprovalOutcome, at: string): void {
  approval.outcome = outcome;
  approval.decidedAt = at;
  approval.waitedMs = between(approval.requestedAt, at);
}

const BOUND: Record<string, string> = { made: 'made by its person', claimed: 'claimed by its person', gameday: 'a game-day token' };

/** The token a `gate.vote` names, and the phrase the templates print. */
function voteToken(value: unknown): Pick<PostmortemVote, 'token' | 'tokenNote'> {
  const t = record(value);
  const id = text(t, 'id');
  if (!id) return { token: null, tokenNote: null };
  const bound: string | false = typeof t.bound === 'string' ? t.bound : false;
  const vouchedBy = text(t, 'vouchedBy');
  const token = { id, createdBy: text(t, 'createdBy'), bound, ...(vouchedBy ? { vouchedBy } : {}) };
  const how = bound ? (BOUND[bound] ?? bound) : `not claimed: ${vouchedBy || token.createdBy} answers for it too`;
  return { token, tokenNote: `token ${id.slice(0, 8)} made by ${token.createdBy}, ${how}` };
}
