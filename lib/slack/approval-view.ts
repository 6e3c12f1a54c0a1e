import { listApprovers, type GateState, type RecordedVote } from '../approvals/gate';
import { SlackActionId, encodeGateRef } from './actions';

/** What a playbook sends to Slack about one gate: the incident and the gate as it stands. */
export interface ApprovalMessage {
  incident: { id: string; title: string; severity: string; entity: string; playbook: string };
  gate: GateState;
}

const SEVERITY_EMOJI: Record<string, string> = { critical: ':red_circle:', high: ':large_orange_circle:', medium: ':large_yellow_circle:', low: ':white_circle:', info: ':white_circle:' };
const STATUS_EMOJI: Record<GateState['status'], string> = {
  open: ':hourglass_flowing_sand:',
  paused: ':double_vertical_bar:',
  approved: ':white_check_mark:',
  denied: ':no_entry:',
  expired: ':alarm_clock:',
  withdrawn: ':heavy_minus_sign:',
};

/** `<@U…>` for a Slack user id, `<!subteam^S…>` for a user group id; undefined for anything else (never pings by accident). */
export function slackMention(id: string | undefined): string | undefined {
  if (!id) return undefined;
  if (/^[UW][A-Z0-9]{2,}$/.test(id)) return `<@${id}>`;
  if (/^S[A-Z0-9]{2,}$/.test(id)) return `<!subteam^${id}>`;
  return undefined;
}

/**
 * The fields the approval templates read (runbooks/templates/slack/README.md lists them).
 * `*Mention` fields are Slack markup Palisade built from validated ids: templates print them
 * with {{plain}}; everything else with {{mrkdwn}}.
 */
export function approvalView(message: ApprovalMessage, opts: { publicUrl: string; mentions?: Record<string, string> }) {
  const { incident, gate } = message;
  const waiting = gate.status === 'open' || gate.status === 'paused';
  const approvals = gate.votes.filter((v) => v.decision === 'approve').length;
  const slackGroups = gate.policy.approvers.slackGroups ?? [];
  const groupMentions = slackGroups.map(slackMention).filter(Boolean);
  // The request time binds a button to this request of the gate (a reopened incident asks again under the same id).
  const ref = { incidentId: incident.id, gateId: gate.id, requestedAt: gate.requestedAt };
  return {
    incident: { ...incident, url: `${opts.publicUrl}/incidents/${incident.id}`, severityEmoji: SEVERITY_EMOJI[incident.severity] ?? ':white_circle:' },
    gate: {
      id: gate.id,
      step: gate.step,
      summary: gate.summary,
      status: gate.status,
      statusEmoji: STATUS_EMOJI[gate.status],
      requestedBy: gate.requestedBy,
      requestedByMention: opts.mentions?.[gate.requestedBy],
      requestedAt: gate.requestedAt,
      deadline: gate.deadline,
      expiresAt: gate.expiresAt,
      decidedAt: gate.decidedAt,
      fallback: gate.policy.fallback,
      tier: gate.tier,
      needed: gate.needed,
      approvals,
      choice: gate.choice,
      waiting,
    },
    risk: gate.critical
      ? `Critical: needs ${gate.needed} distinct approvers${gate.policy.fourEyes ? ', not the requester' : ''}`
      : `Needs ${gate.needed} approver${gate.needed === 1 ? '' : 's'}${gate.policy.fourEyes ? ', not the requester' : ''}`,
    whoMayDecide: listApprovers(gate.policy.approvers) ?? 'nobody (the policy allows no one)',
    whoMayDecideMentions: groupMentions.join(' '),
    outcome: outcomeLine(gate, approvals),
    votes: gate.votes.map((v) => voteLine(v, opts.mentions)),
    actions: { approve: SlackActionId.Approve, deny: SlackActionId.Deny, denyWithReason: SlackActionId.DenyWithReason },
    /** Button values: one Approve per option on a gate that chooses, otherwise one. */
    approveButtons: (gate.options ?? [undefined]).map((choice, i) => ({
      // action_ids are unique within a message: a gate with options numbers its Approve buttons.
      actionId: choice ? `${SlackActionId.Approve}#${i}` : SlackActionId.Approve,
      label: choice ? `Approve: ${choice}` : 'Approve',
      value: encodeGateRef(choice ? { ...ref, choice } : ref),
    })),
    denyValue: encodeGateRef(ref),
    /** The escalation tier now waiting (escalation and fallback messages). */
    tier: tierView(gate),
    page: gate.policy.page,
  };
}

function tierView(gate: GateState): { number: number; notify: string; mention?: string } | undefined {
  const tier = gate.tier > 0 ? gate.policy.escalation[gate.tier - 1] : undefined;
  if (!tier) return undefined;
  return { number: gate.tier, notify: tier.notify, mention: slackMention(tier.slack?.mention) };
}

function outcomeLine(gate: GateState, approvals: number): string {
  const by = gate.votes.map((v) => v.approverId).join(', ');
  switch (gate.status) {
    case 'open':
      return gate.tier > 0 ? `Waiting: ${approvals} of ${gate.needed} approvals, escalated (tier ${gate.tier})` : `Waiting: ${approvals} of ${gate.needed} approvals`;
    case 'paused':
      return `Paused: nobody decided in time; still waiting (${approvals} of ${gate.needed} approvals)`;
    case 'approved':
      return `Approved${gate.choice ? ` (${gate.choice})` : ''} by ${by}`;
    case 'denied':
      return `Denied by ${gate.votes.find((v) => v.decision === 'deny')?.approverId ?? by}`;
    case 'expired':
      return `Expired: nobody decided in time; fallback ${gate.policy.fallback} applied`;
    case 'withdrawn':
      return 'Withdrawn: the playbook stopped before anyone decided';
  }
}

function voteLine(v: RecordedVote, mentions: Record<string, string> | undefined) {
  return {
    who: v.approverId,
    whoMention: slackMention(v.slackUserId) ?? mentions?.[v.approverId],
    decision: v.decision,
    choice: v.choice,
    reason: v.reason,
    via: v.via,
    at: v.at,
  };
}

export type ApprovalView = ReturnType<typeof approvalView>;
