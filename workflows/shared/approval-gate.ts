import { condition, isCancellation } from '@temporalio/workflow';
import { describeApprovers, type GateState } from '../../lib/approvals/gate';
import { durationMs } from '../../lib/duration';
import type { IncidentRun } from './incident-run';
import { PATCH } from './patches';
import { slackCourier } from './slack-courier';
import { bestEffort } from './steps';

export interface ApprovalRequest {
  /** The gate's policy in runbooks/approvals.yaml (e.g. `isolate-host`). */
  gate: string;
  /** Unique on this incident when a playbook asks the same gate twice (e.g. `widen-wave-2`); default `gate`. */
  id?: string;
  /** The step waiting for the decision, as the approver will read it. */
  step: string;
  /** What happens if approved, in a sentence. */
  summary: string;
  /** Needs the policy's criticalQuorum; default: the incident is critical. */
  critical?: boolean;
  /** For a gate that chooses what to do rather than whether: an approval names one (the outcome's `choice`). */
  options?: string[];
  /** What `proceed` as a fallback chooses on a gate with options (default: the first). */
  fallbackChoice?: string;
  /** Who asks, when not the run's requester (e.g. the responder asking to undo containment): four-eyes compares against it. */
  requestedBy?: string;
}

export interface ApprovalOutcome {
  approved: boolean;
  /** On a gate with options: the one chosen (by the approvers or the fallback). */
  choice?: string;
  /** `vote`: people decided; `fallback`: nobody did in time and the policy's fallback applied. */
  decidedBy: 'vote' | 'fallback';
  gate: GateState;
}

/**
 * An approval gate: waits for the `decide` Update's votes (validated in IncidentRun), escalates
 * tier by tier when nobody decides, then applies the policy's fallback. Every vote,
 * decision, escalation and fallback is on the timeline with who and why.
 */
export async function approval(run: IncidentRun, request: ApprovalRequest): Promise<ApprovalOutcome> {
  const policy = run.policies!.gates[request.gate] ?? run.policies!.fallback;
  const id = request.id ?? request.gate;
  if (run.resuming) {
    // A continued run replaying its body: a gate decided in an earlier run keeps its decision;
    // the one the last run waited at is waited at again, as it stands.
    const earlier = run.gates.get(id);
    if (earlier && settled(earlier)) return outcomeOf(earlier, request);
    if (earlier && run.resumeAt?.kind === 'gate' && run.resumeAt.gateId === id) {
      run.resumed();
      return waitAtGate(run, request, earlier);
    }
    run.resumed();
  }
  if (run.gates.has(id)) throw new Error(`approval gate '${id}' is already used on this incident; give the request a unique id`);
  const now = Date.now();
  const critical = request.critical ?? run.state.severity === 'critical';
  const untilFallback = durationMs(policy.timeout) + policy.escalation.reduce((sum, tier) => sum + durationMs(tier.timeout), 0);
  const gate: GateState = {
    id,
    step: request.step,
    summary: request.summary,
    critical,
    requestedBy: request.requestedBy ?? run.requestedBy,
    requestedAt: new Date(now).toISOString(),
    deadline: new Date(now + durationMs(policy.timeout)).toISOString(),
    expiresAt: policy.fallback === 'pause' ? null : new Date(now + untilFallback).toISOString(),
    tier: 0,
    status: 'open',
    votes: [],
    policy,
    needed: critical ? policy.criticalQuorum : policy.quorum,
    ...(request.options ? { options: request.options } : {}),
  };
  run.gates.set(id, gate);
  return waitAtGate(run, request, gate, { firstTime: true });
}

/** Decided, expired or withdrawn: nothing left to wait for. */
function settled(gate: GateState): boolean {
  return gate.status === 'approved' || gate.status === 'denied' || gate.status === 'expired' || gate.status === 'withdrawn';
}

/** What a gate decided in an earlier run comes to, as the playbook reads it. */
function outcomeOf(gate: GateState, request: ApprovalRequest): ApprovalOutcome {
  if (gate.status === 'expired') {
    const proceed = gate.policy.fallback === 'proceed';
    return { approved: proceed, choice: proceed ? (request.fallbackChoice ?? request.options?.[0]) : undefined, decidedBy: 'fallback', gate };
  }
  return { approved: gate.status === 'approved', choice: gate.choice, decidedBy: 'vote', gate };
}

/**
 * Waits for the gate's votes, escalates tier by tier, then applies the fallback. A safe
 * point: when the run's history is long it continues as new here, and the next run waits
 * at the same gate with its votes, deadline and tier.
 */
async function waitAtGate(run: IncidentRun, request: ApprovalRequest, gate: GateState, opts: { firstTime?: boolean } = {}): Promise<ApprovalOutcome> {
  try {
    return await waitForDecision(run, request, gate, opts);
  } finally {
    run.leaveSafePoint();
  }
}

async function waitForDecision(run: IncidentRun, request: ApprovalRequest, gate: GateState, opts: { firstTime?: boolean }): Promise<ApprovalOutcome> {
  const { policy, id } = gate;
  const votes = run.unrecordedVotes.set(id, []).get(id)!;
  run.state.phase = 'waiting-approval';
  // What a responder reads as the step under way: the one that waits for the decision.
  run.state.currentStep = request.step;
  const decided = () => gate.status === 'approved' || gate.status === 'denied';
  try {
    if (opts.firstTime) {
      await run.timeline.record('gate.requested', `Approval needed: ${request.step} (${describeApprovers(policy.approvers)}; ${gate.needed} approver(s); by ${gate.deadline})`, {
        actor: gate.requestedBy,
        data: { gateId: id, step: request.step, summary: request.summary, critical: gate.critical, needed: gate.needed, approvers: policy.approvers, deadline: gate.deadline, expiresAt: gate.expiresAt, fallback: policy.fallback },
        waiting: true,
      });
    } else await run.timeline.flush();
    // Slack follows the gate (request, votes, escalations, decision) without ever holding it up.
    if (run.policies!.slack) run.beside(`Slack messages of ${id}`, () => slackCourier(run, gate));
    for (;;) {
      const timeLeft = gate.deadline === null ? undefined : Date.parse(gate.deadline) - Date.now();
      const wake = () => votes.length > 0 || decided() || run.wantsContinueAsNew();
      const woke = timeLeft === undefined ? await condition(wake).then(() => true) : timeLeft > 0 && (await condition(wake, timeLeft));
      while (votes.length > 0) {
        const vote = votes.shift()!;
        const what = vote.choice ? `${vote.decision} (${vote.choice})` : vote.decision;
        await run.timeline.record('gate.vote', `${vote.approverId} voted ${what} on ${request.step}${vote.reason ? `: ${vote.reason}` : ''}`, {
          actor: vote.approverId,
          data: { gateId: id, ...vote },
        });
      }
      if (decided()) {
        const by = gate.votes.map((v) => v.approverId).join(', ');
        await run.timeline.record('gate.decided', `${request.step}: ${gate.status}${gate.choice ? ` (${gate.choice})` : ''} by ${by}`, { actor: by, data: { gateId: id, outcome: gate.status, votes: gate.votes } });
        return { approved: gate.status === 'approved', choice: gate.choice, decidedBy: 'vote', gate };
      }
      if (woke && run.wantsContinueAsNew()) await run.continueAsNew({ kind: 'gate', gateId: id });
      if (woke) continue;
      if (gate.tier < policy.escalation.length) {
        const tier = policy.escalation[gate.tier];
        gate.tier += 1;
        // From the request time, not from when this timer fired: the gate expires when it said it would.
        const elapsed = durationMs(policy.timeout) + policy.escalation.slice(0, gate.tier).reduce((sum, t) => sum + durationMs(t.timeout), 0);
        gate.deadline = new Date(Date.parse(gate.requestedAt) + elapsed).toISOString();
        await run.timeline.record('gate.escalated', `Nobody decided ${request.step} in time: escalated to ${tier.notify} (tier ${gate.tier}, until ${gate.deadline})`, {
          data: { gateId: id, tier: gate.tier, notify: tier.notify, deadline: gate.deadline },
        });
        await bestEffort(run, `Escalate ${id} to ${tier.notify} (tier ${gate.tier})`, (p, call) =>
          p.notify(call, { to: tier.notify, kind: 'escalate', subject: `Approval waiting: ${request.step}`, body: `${request.summary}\nIncident ${run.input.incidentId}: ${run.input.title}` }),
        );
        if (tier.page && run.changed(PATCH.escalationPages)) await pageEscalation(run, id, gate.tier, tier.page);
      } else if (policy.fallback === 'pause') {
        gate.status = 'paused';
        gate.deadline = null;
        await run.timeline.record('gate.paused', `Nobody decided ${request.step}: paused until someone does; paging ${policy.page}`, { data: { gateId: id, page: policy.page } });
        await bestEffort(run, `Page ${policy.page} for ${id}`, (p, call) =>
          p.notify(call, { to: policy.page, kind: 'page', subject: `Playbook paused: ${request.step}`, body: `${request.summary}\nIncident ${run.input.incidentId}: ${run.input.title}` }),
        );
      } else {
        gate.status = 'expired';
        gate.decidedAt = new Date().toISOString();
        const effect = policy.fallback === 'proceed' ? 'proceeding without approval' : 'the step is skipped';
        await run.timeline.record('gate.expired', `Nobody decided ${request.step}: fallback ${policy.fallback}, ${effect}`, { data: { gateId: id, fallback: policy.fallback } });
        return outcomeOf(gate, request);
      }
    }
  } catch (err) {
    if (isCancellation(err) && !decided()) {
      gate.status = 'withdrawn';
      gate.decidedAt = new Date().toISOString();
      await run.timeline.record('gate.withdrawn', `${request.step}: withdrawn undecided, the playbook stopped`, { data: { gateId: id } });
    }
    throw err;
  } finally {
    run.state.phase = 'running';
  }
}

/** A tier's page goes through the paging outbox (sent by the API, never waited on here); the timeline says if nothing can send it. */
async function pageEscalation(run: IncidentRun, gateId: string, tier: number, page: { service: string; via?: string }): Promise<void> {
  const queued = await run.projection.queueEscalationPage({ incidentId: run.input.incidentId, gateId, tier, ...page });
  if (!queued) {
    await run.timeline.record('notice.failed', `Escalation page to ${page.service} not sent: no paging vendor is configured (vendors.paging in runbooks/providers.yaml)`, {
      data: { gateId, tier, service: page.service },
    });
  }
}
