import { HttpStatus } from '@nestjs/common';
import { describeApprovers, type GateState, type VoteRejection } from '../../../lib/approvals/gate';
import { ApiError } from '../common/error.filter';

/** A gate as GET /incidents/:id/approvals shows it. */
export interface GateView {
  id: string;
  step: string;
  summary: string;
  status: GateState['status'];
  critical: boolean;
  requestedBy: string;
  requestedAt: string;
  votes: GateState['votes'];
  approvals: number;
  needed: number;
  /** What an approval may choose between (absent for a plain yes/no gate), and the choice once approved. */
  options?: string[];
  choice?: string;
  /** When the current tier times out (null while paused). */
  deadline: string | null;
  /** When the fallback applies (null when it is `pause`). */
  expiresAt: string | null;
  fallback: GateState['policy']['fallback'];
  /** Who may decide: identities, groups, roles (policy.approvers), and the same in a sentence. */
  approvers: GateState['policy']['approvers'];
  whoMayDecide: string;
}

const waiting = (g: GateState) => g.status === 'open' || g.status === 'paused';

/** Every gate, the ones waiting for a decision first (otherwise in the order the playbook asked). */
export function gateViews(gates: GateState[]): GateView[] {
  return [...gates.filter(waiting), ...gates.filter((g) => !waiting(g))].map((g) => ({
    id: g.id,
    step: g.step,
    summary: g.summary,
    status: g.status,
    critical: g.critical,
    requestedBy: g.requestedBy,
    requestedAt: g.requestedAt,
    votes: g.votes,
    approvals: g.votes.filter((v) => v.decision === 'approve').length,
    needed: g.needed,
    ...(g.options ? { options: g.options } : {}),
    ...(g.choice ? { choice: g.choice } : {}),
    deadline: g.deadline,
    expiresAt: g.expiresAt,
    fallback: g.policy.fallback,
    approvers: g.policy.approvers,
    whoMayDecide: describeApprovers(g.policy.approvers),
  }));
}

const HINTS: Record<VoteRejection, string> = {
  unknown_gate: 'GET /incidents/:id/approvals lists the gates of this incident and their ids.',
  stale_request: 'Decide on the request as it stands now: the newest Slack message, the incident page, or POST /incidents/:id/approvals/:gateId.',
  not_allowed: 'GET /incidents/:id/approvals shows who may decide; ask one of them, or change runbooks/approvals.yaml / people.yaml.',
  own_request: 'Four-eyes: ask another approver to decide.',
  already_voted: 'Nothing more to do; the gate waits for other approvers (GET /incidents/:id/approvals shows the votes).',
  same_person:
    'A token made for someone else counts for its maker too until its person claims it (POST /tokens/claim with the code Palisade sent them in Slack): another person must vote, with a token of their own or in Slack.',
  already_decided: 'Nothing to do; the timeline (GET /incidents/:id/timeline) shows who decided and why.',
  invalid_choice: 'Approve with "choice" set to one of the options GET /incidents/:id/approvals lists for this gate.',
  expired: 'Too late for this gate; the timeline shows what its fallback did. Start a new run if the step is still needed.',
};

/** Every code a vote that did not count answers with (409). */
export const VOTE_REJECTIONS = Object.keys(HINTS) as VoteRejection[];

/** 409 with the validator's code and sentence: the vote did not count. */
export function voteRejected(code: string, message: string, incidentId: string): ApiError {
  const hint = (HINTS as Record<string, string | undefined>)[code] ?? 'GET /incidents/:id/approvals shows the gate as it stands.';
  return new ApiError(HttpStatus.CONFLICT, code, message, hint.replaceAll(':id', incidentId));
}
