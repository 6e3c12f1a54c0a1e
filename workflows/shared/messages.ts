// Signals and queries every playbook answers. Clients import these definitions by name;
// they carry no workflow code.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { GateState, GateVote } from '../../lib/approvals/gate';
import type { Classification } from '../../lib/domain/classification';
import type { IncidentStatus, Severity } from '../../lib/domain/incident';
import type { AlertSeverity, SourceName } from '../../lib/intake/alert';

/** One finding inside a merged batch: enough for the timeline and the playbook to act on. */
export interface AlertEvidence {
  alertId: string;
  source: SourceName;
  title: string;
  severity: AlertSeverity;
  fingerprint: string;
  observedAt: string;
}

/**
 * Alerts the door merged into a running incident, coalesced by the inbox dispatcher: a storm
 * of thousands of alerts becomes a few signals carrying counts, not one event per alert.
 */
export interface AlertBatch {
  /** The incident these alerts joined; the workflow id is reused by an entity's next incident. */
  incidentId: string;
  /** The last inbox row in this batch: a re-sent batch (dispatcher crash) is recognised and skipped. */
  lastInboxId: number;
  count: number;
  firstSeen: string;
  lastSeen: string;
  sources: SourceName[];
  maxSeverity: AlertSeverity;
  /** Up to EVIDENCE_PER_BATCH distinct findings (by fingerprint), oldest first. */
  evidence: AlertEvidence[];
}

export const EVIDENCE_PER_BATCH = 20;

export interface ResolveRequest {
  reason: string;
  actor: string;
  /**
   * The incident the sender meant. A workflow id outlives its incident (the entity's next one
   * continues as new under it): a stop meant for a closed incident is ignored, not applied to
   * the next one.
   */
  incidentId?: string;
  /**
   * What the incident was (the API requires it on a resolve; a cancel is a false positive
   * unless it says otherwise); `reason` is why. Absent (a signal from before classifications):
   * the incident closes unclassified, or a false positive on a cancel.
   */
  classification?: Classification;
}

/** Stop the playbook and undo what it changed (its compensations), e.g. a false positive. */
export type CancelRequest = ResolveRequest;

/**
 * What the playbook is doing right now, beside the incident's status. `stopped`: it stopped
 * on a responder's cancel whose undo was not approved, and waits for a resolve or a cancel.
 */
export type PlaybookPhase = 'running' | 'waiting-approval' | 'failed' | 'stopped' | 'done';

/** The `state` query: what a responder needs to know about a running incident. */
export interface IncidentState {
  incidentId: string;
  status: IncidentStatus;
  /** Alerts merged into the incident since it opened (the first included). */
  alertCount: number;
  firstSeen: string | null;
  lastSeen: string | null;
  sources: SourceName[];
  maxSeverity: AlertSeverity;
  /** Set by playbooks (triage has none of these). */
  playbook?: string;
  playbookVersion?: string;
  severity?: Severity;
  phase?: PlaybookPhase;
  currentStep?: string | null;
  /** Gates waiting for a decision: deadlines and who may decide are in each gate's policy. */
  pendingGates?: GateState[];
  /** Every gate so far, decided or not. */
  gates?: GateState[];
  /** What each finished step returned, by step name. */
  results?: Record<string, unknown>;
  /** Containment a cancel would undo, and the gate a cancel would ask an approver at first. */
  undo?: { steps: string[]; gateId: string };
  /** What the playbook says the incident was, should it resolve by itself (IncidentRun.classify); absent: a true positive. */
  classification?: { classification: Classification; reason: string };
}

/** The answer to a vote that counted: the gate's outcome so far. */
export interface GateVerdict {
  gateId: string;
  outcome: 'pending' | 'approved' | 'denied';
  approvals: number;
  needed: number;
}

/** A click in Slack that did not count (the API saw the validator's verdict): recorded on the timeline. */
export interface SlackClickRejected {
  incidentId: string;
  gateId: string;
  slackUserId: string;
  /** The Palisade identity behind the Slack user, when there is one. */
  approverId?: string;
  /** The VoteRejection code, or `unknown_person`. */
  code: string;
  message: string;
}

export const alertsMergedSignal = defineSignal<[AlertBatch]>('alertsMerged');
export const resolveSignal = defineSignal<[ResolveRequest]>('resolve');
export const cancelSignal = defineSignal<[CancelRequest]>('cancel');
export const slackClickRejectedSignal = defineSignal<[SlackClickRejected]>('slackClickRejected');
export const stateQuery = defineQuery<IncidentState>('state');
/**
 * A vote on an approval gate. The validator rejects a vote that does not count (not allowed,
 * own request, already voted, already decided, expired, unknown gate) with a sentence for the
 * voter, as an ApplicationFailure whose type is `VoteRejected` and whose details hold the code.
 */
export const decideUpdate = defineUpdate<GateVerdict, [GateVote]>('decide');

/** ApplicationFailure type of a rejected vote; `details[0]` is the VoteRejection code. */
export const VOTE_REJECTED = 'VoteRejected';
