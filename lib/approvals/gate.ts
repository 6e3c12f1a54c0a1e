/**
 * Approval gates: who may decide a risky step, and whether a vote counts. Pure and
 * deterministic, so the playbook's Update validator can run it during replay.
 */

export const GATE_FALLBACKS = ['deny', 'proceed', 'pause'] as const;
export type GateFallback = (typeof GATE_FALLBACKS)[number];

/** Who may decide: any listed identity, any member of a listed group, anyone with a listed role. */
export interface ApproverRule {
  identities: string[];
  groups: string[];
  roles: string[];
  /** Slack user group ids (`S0…`): members may decide (Slack resolves membership for a click). */
  slackGroups?: string[];
}

/** Where a gate's request and its escalations are posted in Slack. */
export interface GateSlackPolicy {
  /** Channel id or name the request is posted to. */
  channel: string;
  /** How long Slack is retried before the fallback notifier is called (Slack is still retried after, quietly). */
  unreachableAfter: string;
}

export interface EscalationTier {
  /** Who is told the gate is still waiting (a group or channel the notify provider knows). */
  notify: string;
  /** How long this tier has before the next one, or the fallback. */
  timeout: string;
  /** Posted in Slack when this tier starts: the channel, and who to mention (a user group id `S0…` or user id). */
  slack?: { channel: string; mention?: string };
  /** Paged when this tier starts, through the paging outbox (a service of runbooks/providers.yaml's paging vendor, or of `via`). */
  page?: { service: string; via?: string };
}

export interface GatePolicy {
  approvers: ApproverRule;
  /** Distinct approvals needed. */
  quorum: number;
  /** Distinct approvals needed when the gate is critical (a critical incident or a critical target). */
  criticalQuorum: number;
  /** Nobody approves a step they asked for. */
  fourEyes: boolean;
  /** How long the first approvers have. */
  timeout: string;
  escalation: EscalationTier[];
  /** What happens when the last tier times out too. */
  fallback: GateFallback;
  /** Who is paged when the fallback is `pause`. */
  page: string;
  /** Absent in policies older than Slack approvals. */
  slack?: GateSlackPolicy;
}

/**
 * The API token a vote was cast with. `bound`: how it is tied to the person it names (made by
 * them, claimed by them, the game-day exception); false when someone made it for them and they
 * have not claimed it: then `vouchedBy` (whoever made it, up the chain) answers for the vote too.
 */
export interface VoteToken {
  id: string;
  createdBy: string;
  bound: 'made' | 'claimed' | 'gameday' | false;
  vouchedBy?: string;
}

/** A person deciding, as the API, the CLI or Slack resolved them (runbooks/people.yaml). */
export interface Approver {
  id: string;
  groups: string[];
  roles: string[];
  /** Where the vote came from, for the timeline. */
  via: 'api' | 'cli' | 'slack' | 'web';
  /** The Slack user who clicked (via `slack`), and the policy's Slack user groups they are in. */
  slackUserId?: string;
  slackGroups?: string[];
  /** The API token behind a vote through the API, the CLI or the web page. */
  token?: VoteToken;
}

export type GateDecision = 'approve' | 'deny';

export interface GateVote {
  gateId: string;
  decision: GateDecision;
  approver: Approver;
  reason?: string;
  /** On a gate that offers options (e.g. revert / quarantine / accept): which one an approval chooses. */
  choice?: string;
  /** The incident the voter saw; a vote for another incident (the workflow id moved on) does not count. */
  incidentId?: string;
  /** The request the voter saw (a Slack button's): a click on an earlier request of a reopened incident's gate does not count. */
  requestedAt?: string;
}

/** `withdrawn`: the playbook stopped (resolved or cancelled) while the gate waited. */
export type GateStatus = 'open' | 'paused' | 'approved' | 'denied' | 'expired' | 'withdrawn';

export interface RecordedVote {
  approverId: string;
  decision: GateDecision;
  choice?: string;
  reason: string;
  via: Approver['via'];
  /** The Slack user behind a click. */
  slackUserId?: string;
  /** The API token behind the vote (absent for Slack clicks and in histories older than tokens bound to people). */
  token?: VoteToken;
  at: string;
}

/** A gate as the playbook holds it (and shows in its `state` query). */
export interface GateState {
  id: string;
  step: string;
  /** What will happen if approved, in a sentence. */
  summary: string;
  critical: boolean;
  requestedBy: string;
  requestedAt: string;
  /** When the current tier times out; null while paused (no deadline). */
  deadline: string | null;
  /** When the fallback applies; null when the fallback is `pause`. */
  expiresAt: string | null;
  /** 0 for the first approvers, then one per escalation tier. */
  tier: number;
  status: GateStatus;
  votes: RecordedVote[];
  policy: GatePolicy;
  /** Distinct approvals this gate needs (for the same option, when it offers options). */
  needed: number;
  /** What an approval may choose between; absent for a plain yes/no gate. */
  options?: string[];
  /** The option the approvers chose, once approved. */
  choice?: string;
  decidedAt?: string;
  /** The Slack message asking for this decision, once posted. */
  slack?: { channel: string; ts: string };
}

/** Why a vote did not count. Callers map codes, never messages. */
export type VoteRejection = 'unknown_gate' | 'stale_request' | 'not_allowed' | 'own_request' | 'already_voted' | 'same_person' | 'already_decided' | 'expired' | 'invalid_choice';

export class VoteRejected extends Error {
  constructor(
    readonly code: VoteRejection,
    message: string,
  ) {
    super(message);
    this.name = 'VoteRejected';
  }
}

export function mayApprove(rule: ApproverRule, who: Pick<Approver, 'id' | 'groups' | 'roles' | 'slackGroups'>): boolean {
  return (
    rule.identities.includes(who.id) ||
    who.groups.some((g) => rule.groups.includes(g)) ||
    who.roles.some((r) => rule.roles.includes(r)) ||
    (who.slackGroups ?? []).some((g) => (rule.slackGroups ?? []).includes(g))
  );
}

/**
 * Whether a vote counts; throws VoteRejected with the sentence the voter will see. `now` is
 * workflow time, so the verdict is the same on replay.
 */
export function checkVote(gate: GateState | undefined, vote: GateVote, now: Date): void {
  if (!gate) throw new VoteRejected('unknown_gate', `There is no approval gate '${vote.gateId}' on this incident.`);
  if (vote.requestedAt !== undefined && vote.requestedAt !== gate.requestedAt) {
    throw new VoteRejected(
      'stale_request',
      `This vote is for an earlier request for '${gate.step}' (asked ${vote.requestedAt}); the incident was reopened and asked again at ${gate.requestedAt}. It did not count.`,
    );
  }
  if (gate.status === 'approved' || gate.status === 'denied') {
    throw new VoteRejected('already_decided', `This step was already ${gate.status} at ${gate.decidedAt ?? 'an earlier time'}; your vote was not needed.`);
  }
  if (gate.status === 'withdrawn') {
    throw new VoteRejected('already_decided', `This approval was withdrawn at ${gate.decidedAt ?? 'an earlier time'}: the playbook stopped before it was decided.`);
  }
  if (gate.status === 'expired' || (gate.expiresAt !== null && now.getTime() >= Date.parse(gate.expiresAt))) {
    throw new VoteRejected('expired', `This approval expired at ${gate.expiresAt ?? gate.decidedAt ?? 'its deadline'} and its fallback (${gate.policy.fallback}) applied.`);
  }
  if (!mayApprove(gate.policy.approvers, vote.approver)) {
    throw new VoteRejected('not_allowed', `${vote.approver.id} may not decide '${gate.step}': ${describeApprovers(gate.policy.approvers)}.`);
  }
  if (gate.policy.fourEyes && vote.approver.id === gate.requestedBy) {
    throw new VoteRejected('own_request', `${vote.approver.id} asked for '${gate.step}' and cannot approve it too (four-eyes): another approver must decide.`);
  }
  const voucher = vote.approver.token?.vouchedBy;
  if (gate.policy.fourEyes && voucher !== undefined && voucher === gate.requestedBy) {
    throw new VoteRejected(
      'own_request',
      `${vote.approver.id}'s token was made by ${voucher}, who asked for '${gate.step}', and ${vote.approver.id} has not claimed it: four-eyes needs another person.`,
    );
  }
  if (vote.decision === 'approve' && gate.options && !gate.options.includes(vote.choice ?? '')) {
    throw new VoteRejected('invalid_choice', `'${gate.step}' asks which to do: choose one of ${gate.options.join(', ')}${vote.choice ? ` ('${vote.choice}' is not one)` : ''}.`);
  }
  if (gate.votes.some((v) => v.approverId === vote.approver.id)) {
    throw new VoteRejected('already_voted', `${vote.approver.id} already voted on '${gate.step}'; it needs ${gate.needed} distinct approver(s).`);
  }
  const ballot = { approverId: vote.approver.id, token: vote.approver.token };
  const earlier = gate.votes.find((v) => answerersOf(v).some((who) => answerersOf(ballot).includes(who)));
  if (earlier) throw new VoteRejected('same_person', samePerson(ballot, earlier, gate.step));
}

/** Who answers for a vote: the person it counts as, and the maker of an unclaimed token it was cast with. */
function answerersOf(v: Pick<RecordedVote, 'approverId' | 'token'>): string[] {
  return v.token?.vouchedBy ? [v.approverId, v.token.vouchedBy] : [v.approverId];
}

function samePerson(vote: Pick<RecordedVote, 'approverId' | 'token'>, earlier: Pick<RecordedVote, 'approverId' | 'token'>, step: string): string {
  const who = vote.approverId;
  const voucher = vote.token?.vouchedBy;
  const why =
    voucher !== undefined && voucher === earlier.approverId
      ? `${who}'s token was made by ${voucher}, who already voted,`
      : voucher !== undefined && voucher === earlier.token?.vouchedBy
        ? `${who}'s and ${earlier.approverId}'s tokens were both made by ${voucher} and neither was claimed,`
        : `${who} made the unclaimed token ${earlier.approverId} voted with,`;
  return `${why} so ${who}'s vote on '${step}' would count the same person twice: it did not count.`;
}

/** A single deny decides; otherwise approved once enough distinct approvers agreed (on the same option). */
export function tally(gate: Pick<GateState, 'votes' | 'needed'>): { outcome: 'pending' | 'approved' | 'denied'; choice?: string } {
  if (gate.votes.some((v) => v.decision === 'deny')) return { outcome: 'denied' };
  const counts = new Map<string | undefined, number>();
  for (const v of gate.votes) counts.set(v.choice, (counts.get(v.choice) ?? 0) + 1);
  for (const [choice, count] of counts) if (count >= gate.needed) return { outcome: 'approved', choice };
  return { outcome: 'pending' };
}

/** Who a rule lets decide, as a phrase ("role approver, or group secops"); undefined when nobody. */
export function listApprovers(rule: ApproverRule): string | undefined {
  const parts = [
    rule.roles.length ? `role ${rule.roles.join(' or ')}` : '',
    rule.groups.length ? `group ${rule.groups.join(' or ')}` : '',
    rule.identities.length ? rule.identities.join(', ') : '',
    rule.slackGroups?.length ? `Slack group ${rule.slackGroups.join(' or ')}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', or ') : undefined;
}

export function describeApprovers(rule: ApproverRule): string {
  const who = listApprovers(rule);
  return who ? `it needs ${who}` : 'nobody is allowed by its policy';
}
