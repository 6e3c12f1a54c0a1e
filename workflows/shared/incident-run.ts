import { ApplicationFailure, CancellationScope, condition, log, patched, setHandler, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { checkVote, tally, VoteRejected, type GatePolicy, type GateState, type GateVote, type RecordedVote } from '../../lib/approvals/gate';
import { incidentSeverity, worse, type IncidentStatus, type Severity } from '../../lib/domain/incident';
import { ALERT_SEVERITIES } from '../../lib/intake/alert';
import { SEARCH_ATTRIBUTE } from '../../lib/temporal/names';
import { playbookSupport, projection } from './activities';
import type { PlaybookInput, StartingBatch } from './input';
import {
  alertsMergedSignal,
  cancelSignal,
  decideUpdate,
  resolveSignal,
  slackClickRejectedSignal,
  stateQuery,
  VOTE_REJECTED,
  type AlertBatch,
  type IncidentState,
  type ResolveRequest,
  type SlackClickRejected,
} from './messages';
import type { StepAction } from './steps';
import { TimelineRecorder } from './timeline';

export interface PlaybookDefinition {
  name: string;
  version: string;
}

/** A responder asked the playbook to stop: resolve keeps what was done; cancel undoes it. */
export interface StopRequest extends ResolveRequest {
  kind: 'resolve' | 'cancel';
}

/** Changes to running logic, for patched(): histories recorded before a change replay without it. */
const PATCH = {
  criticalRaisesOpenGates: 'critical-incident-raises-open-gates',
  /** A storm costs history: upsert the source search attribute only when a batch brings a new source. */
  sourcesUpsertedOnChange: 'sources-upserted-on-change',
  /** A run started by a signal that arrived after its incident closed ends without acting. */
  runChecksIncident: 'run-checks-its-incident',
  /** Closing hands the inbox rows the run never recorded back, to reopen the incident. */
  closeHandsBackLateAlerts: 'close-hands-back-late-alerts',
  /** An earlier incident's batch, sent late, is not taken for the entity's next incident. */
  staleBatchesIgnored: 'stale-batches-ignored',
  /** A run started by hand asks at the gates an alert's run passes on its own. */
  handStartedRunsAsk: 'hand-started-runs-ask',
} as const;

/** The gate that undoes containment on a cancel (runbooks/approvals.yaml `undo-containment`). */
export const UNDO_GATE = 'undo-containment';

type MergeListener = (batch: AlertBatch) => Promise<void> | void;

/**
 * Undoes a change when the playbook stops before finishing: on `cancel` only (a false
 * positive: e.g. release an isolated host) or on `any` stop, a failed step included (e.g.
 * roll a patched wave back).
 */
export interface Compensation {
  name: string;
  when: 'cancel' | 'any';
  action: StepAction<unknown>;
}

/**
 * One incident's run of a playbook: its state (the `state` query), its timeline, the alerts
 * the door merges in, its approval gates' votes (the `decide` Update) and the responder's
 * resolve or cancel. Playbooks use it through `runPlaybook`, `step` and `approval`.
 */
export class IncidentRun {
  readonly state: IncidentState;
  readonly timeline: TimelineRecorder;
  readonly gates = new Map<string, GateState>();
  /** Counted votes not yet on the timeline, per gate: the gate's own wait records them. */
  readonly unrecordedVotes = new Map<string, RecordedVote[]>();
  /** `slack`: this run posts its approval requests to Slack (the worker that started it had Slack connected). */
  policies: { fallback: GatePolicy; gates: Record<string, GatePolicy>; slack?: boolean } | undefined;
  stopRequest: StopRequest | undefined;
  /** Called when a responder stops the playbook (runPlaybook cancels its body scope). */
  onStop: (() => void) | undefined;
  /** A cancel waits for an approver to undo containment: a resolve may still take its place. */
  awaitingUndo = false;
  /** How many times a cancel asked to undo containment (each ask is a gate of its own). */
  undoAsks = 0;
  /** Registered as changes are made; run newest first, each at most once. */
  readonly compensations: Compensation[] = [];
  private pending: AlertBatch[] = [];
  /** Slack clicks that did not count, for the timeline (recorded by the merge loop). */
  private readonly rejectedClicks: SlackClickRejected[] = [];
  /** Work running beside the playbook (Slack messages); close() waits for it. */
  private besideRunning = 0;
  private readonly next: StartingBatch[] = [];
  private lastInboxId = 0;
  private readonly mergeListeners: MergeListener[] = [];
  private closing = false;
  /** Set once the projection says closed: rows not recorded by then went back to the inbox. */
  private closed = false;
  private mergeLoop: Promise<void> | undefined;

  constructor(
    readonly input: PlaybookInput,
    readonly playbook: PlaybookDefinition,
  ) {
    this.timeline = new TimelineRecorder(input.incidentId, input.timelineSequence ?? 0);
    this.pending.push(...(input.initialBatches ?? []));
    this.state = {
      incidentId: input.incidentId,
      status: 'open',
      alertCount: 0,
      firstSeen: null,
      lastSeen: null,
      sources: [],
      maxSeverity: 'info',
      playbook: playbook.name,
      playbookVersion: playbook.version,
      severity: input.severity,
      phase: 'running',
      currentStep: null,
      pendingGates: [],
      gates: [],
      results: {},
    };
  }

  /** Who asked for this run: the gate's requester, for four-eyes. */
  get requestedBy(): string {
    return this.input.requestedBy ?? 'palisade';
  }

  /**
   * True for a run a responder started by hand: it asks at every gate a run opened by an
   * alert passes on its own (no containment on one person's word), and four-eyes keeps its
   * starter from approving.
   */
  handStarted(): boolean {
    return this.input.source === 'manual' && patched(PATCH.handStartedRunsAsk);
  }

  /** The undo steps a cancel would run that undo containment (release a host, a resource). */
  get undoSteps(): string[] {
    return this.compensations.filter((c) => c.when === 'cancel').map((c) => c.name);
  }

  /** The id of the gate the next cancel asks to undo containment at. */
  nextUndoGateId(): string {
    return this.undoAsks === 0 ? UNDO_GATE : `${UNDO_GATE}-${this.undoAsks + 1}`;
  }

  /**
   * The idempotency key of a provider call: the incident, which run of it (a reopened
   * incident runs again), and the step. A retried or replayed call reuses it.
   */
  idempotencyKey(step: string): string {
    return `${this.input.incidentId}/${this.input.timelineSequence ?? 0}/${step}`;
  }

  /** Registers how to undo a change just made, should the playbook stop before it finishes. */
  compensate(name: string, action: StepAction<unknown>, when: Compensation['when'] = 'any'): void {
    this.compensations.push({ name, when, action });
  }

  /** Reacts to alerts merged while the playbook runs (e.g. raise severity on a second host alert). */
  onMerge(listener: MergeListener): void {
    this.mergeListeners.push(listener);
  }

  /**
   * Runs work beside the playbook that must not hold it up (keeping Slack messages current):
   * not cancelled with the playbook, and waited for (a little) when the incident closes.
   */
  beside(what: string, work: () => Promise<void>): void {
    this.besideRunning += 1;
    void CancellationScope.nonCancellable(work)
      .catch((err: unknown) => log.warn(`${what} stopped`, { error: err instanceof Error ? err.message : String(err) }))
      .finally(() => (this.besideRunning -= 1));
  }

  installHandlers(): void {
    setHandler(alertsMergedSignal, (batch) => {
      if (batch.incidentId !== this.input.incidentId) {
        // An entity's next incident is younger than anything this run saw; an older one's batch
        // was sent after that incident closed and went back to the inbox (lib/db/late-alerts.ts).
        if (batch.lastInboxId <= this.newestInboxId() && patched(PATCH.staleBatchesIgnored)) return;
        this.next.push(batch as StartingBatch);
      } else if (batch.lastInboxId > this.lastInboxId && !this.closed) this.pending.push(batch);
    });
    const stop = (kind: StopRequest['kind']) => (request: ResolveRequest) => {
      if (request.incidentId !== undefined && request.incidentId !== this.input.incidentId) return;
      if (this.closing) return;
      // A resolve may take the place of a cancel still waiting for approval to undo containment.
      if (this.stopRequest && !(kind === 'resolve' && this.awaitingUndo)) return;
      this.stopRequest = { kind, ...request };
      this.onStop?.();
    };
    setHandler(slackClickRejectedSignal, (click) => {
      if (click.incidentId === this.input.incidentId) this.rejectedClicks.push(click);
    });
    setHandler(resolveSignal, stop('resolve'));
    setHandler(cancelSignal, stop('cancel'));
    setHandler(stateQuery, () => ({
      ...this.state,
      gates: [...this.gates.values()],
      pendingGates: [...this.gates.values()].filter((g) => g.status === 'open' || g.status === 'paused'),
      ...(this.undoSteps.length > 0 ? { undo: { steps: this.undoSteps, gateId: this.nextUndoGateId() } } : {}),
    }));
    setHandler(
      decideUpdate,
      (vote) => {
        const gate = this.gates.get(vote.gateId)!;
        const recorded: RecordedVote = {
          approverId: vote.approver.id,
          decision: vote.decision,
          ...(vote.decision === 'approve' && gate.options && vote.choice !== undefined ? { choice: vote.choice } : {}),
          reason: vote.reason ?? '',
          via: vote.approver.via,
          ...(vote.approver.slackUserId ? { slackUserId: vote.approver.slackUserId } : {}),
          ...(vote.approver.token ? { token: vote.approver.token } : {}),
          at: new Date().toISOString(),
        };
        gate.votes.push(recorded);
        this.unrecordedVotes.get(gate.id)?.push(recorded);
        const { outcome, choice } = tally(gate);
        if (outcome !== 'pending') {
          gate.status = outcome;
          gate.decidedAt = recorded.at;
          if (choice !== undefined) gate.choice = choice;
        }
        return { gateId: gate.id, outcome, approvals: gate.votes.filter((v) => v.decision === 'approve').length, needed: gate.needed };
      },
      {
        validator: (vote: GateVote) => {
          try {
            const forThisIncident = vote.incidentId === undefined || vote.incidentId === this.input.incidentId;
            checkVote(forThisIncident ? this.gates.get(vote.gateId) : undefined, vote, new Date());
          } catch (err) {
            if (err instanceof VoteRejected) throw ApplicationFailure.create({ type: VOTE_REJECTED, message: err.message, details: [err.code], nonRetryable: true });
            throw err;
          }
        },
      },
    );
  }

  /**
   * Opens (or reopens) the incident: projection, timeline, memo and search attributes,
   * policies. Returns the incident's status instead when it had already closed before this
   * run began (a signal sent just before the close started it): the run must not act on it.
   */
  async open(): Promise<'resolved' | 'cancelled' | undefined> {
    const { input, playbook } = this;
    if (patched(PATCH.runChecksIncident)) {
      const found = await projection.beginRun(input.incidentId);
      if (found.status === 'resolved' || found.status === 'cancelled') {
        log.info('incident closed before this run began: nothing to do', { incidentId: input.incidentId, status: found.status });
        return found.status;
      }
      this.timeline.continueFrom(found.timelineSequence);
    }
    upsertMemo({ incidentId: input.incidentId, playbook: playbook.name, playbookVersion: playbook.version });
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTE.playbook, value: playbook.name },
      { key: SEARCH_ATTRIBUTE.playbookVersion, value: playbook.version },
      { key: SEARCH_ATTRIBUTE.severity, value: input.severity },
      { key: SEARCH_ATTRIBUTE.entity, value: input.entityKey },
    ]);
    if (this.timeline.sequence > 0) {
      await this.timeline.record('incident.reopened', `Reopened by a new alert from ${input.source}`, { actor: input.source, data: { entityKey: input.entityKey } });
    } else {
      await projection.recordIncident({
        id: input.incidentId,
        workflowId: workflowInfo().workflowId,
        title: input.title,
        severity: input.severity,
        status: 'open',
        playbook: playbook.name,
        playbookVersion: playbook.version,
        entity: input.entityKey,
        detectedAt: input.detectedAt,
      });
      const by = input.source === 'manual' ? `started by ${this.requestedBy}` : `opened from ${input.source}`;
      await this.timeline.record('incident.created', `Incident ${by}: ${input.title}`, {
        actor: input.source === 'manual' ? this.requestedBy : input.source,
        data: { entity: input.entity, entityKey: input.entityKey, severity: input.severity, params: input.params ?? {} },
      });
    }
    this.policies = await playbookSupport.loadApprovalPolicies(playbook.name);
    await this.timeline.record('playbook.started', `Playbook ${playbook.name} ${playbook.version} started`, { data: { playbook: playbook.name, version: playbook.version } });
    this.mergeLoop = this.recordMerges();
    return undefined;
  }

  /** Moves the incident forward (acknowledged, contained); the projection stamps the time once. */
  async setStatus(status: IncidentStatus, why: string): Promise<void> {
    if (this.state.status === status) return;
    this.state.status = status;
    await projection.setIncidentStatus(this.input.incidentId, status, new Date().toISOString());
    await this.timeline.record('incident.status-changed', `Incident ${status}: ${why}`, { data: { status } });
  }

  /** Raises the incident's severity (never lowers it): projection, search attribute, timeline. */
  async raiseSeverity(severity: Severity, why: string): Promise<void> {
    const current = this.state.severity ?? this.input.severity;
    if (worse(current, severity) === current) return;
    this.state.severity = severity;
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE.severity, value: severity }]);
    await projection.setIncidentSeverity(this.input.incidentId, severity);
    await this.timeline.record('incident.severity-raised', `Severity raised from ${current} to ${severity}: ${why}`, { data: { from: current, to: severity } });
    if (severity === 'critical' && patched(PATCH.criticalRaisesOpenGates)) await this.raiseOpenGates();
  }

  /** A critical incident needs its open gates' critical quorum, even for gates asked before it became critical. */
  private async raiseOpenGates(): Promise<void> {
    for (const gate of this.gates.values()) {
      if ((gate.status !== 'open' && gate.status !== 'paused') || gate.critical) continue;
      gate.critical = true;
      gate.needed = Math.max(gate.needed, gate.policy.criticalQuorum);
      await this.timeline.record('note', `${gate.step} now needs ${gate.needed} approver(s): the incident became critical`, { data: { gateId: gate.id, needed: gate.needed } });
    }
  }

  /** Ends the run: final status on the timeline, merges drained, projection last (the door then opens a new incident). */
  async close(status: 'resolved' | 'cancelled', summary: string, actor: string): Promise<void> {
    this.state.phase = 'done';
    this.state.currentStep = null;
    this.state.status = status;
    await this.timeline.record(status === 'resolved' ? 'incident.resolved' : 'incident.cancelled', summary, { actor, data: { totalAlerts: this.state.alertCount } });
    this.closing = true;
    await this.mergeLoop;
    // Slack's last word on each gate (decided, withdrawn) lands before the run ends, unless Slack is down.
    if (this.besideRunning > 0) await condition(() => this.besideRunning === 0, '30s');
    if (patched(PATCH.closeHandsBackLateAlerts)) {
      // Alerts that reached the run by now still belong to it; any later go back to the inbox
      // with the close, and reopen the incident (lib/db/late-alerts.ts).
      await this.recordPending();
      this.closed = true;
      await projection.closeIncident({ incidentId: this.input.incidentId, status, at: new Date().toISOString(), recordedInboxId: this.lastInboxId, runId: workflowInfo().runId });
      return;
    }
    await projection.setIncidentStatus(this.input.incidentId, status, new Date().toISOString());
    // Alerts that reached the run while the projection was written still belong to it.
    await this.recordPending();
  }

  /** Batches for the entity's next incident that reached this run as it closed. */
  nextIncident(): { start: PlaybookInput; batches: AlertBatch[] } | undefined {
    const incoming = this.next[0];
    if (!incoming) return undefined;
    return { start: incoming.start, batches: this.next.filter((b) => b.incidentId === incoming.incidentId) };
  }

  /** The newest inbox row this run has seen, recorded or waiting. */
  private newestInboxId(): number {
    return Math.max(this.lastInboxId, ...this.pending.map((b) => b.lastInboxId));
  }

  private async recordMerges(): Promise<void> {
    for (;;) {
      await condition(() => this.pending.length > 0 || this.rejectedClicks.length > 0 || this.closing);
      // Only when there are some: an extra await here would shift this loop's commands against the playbook's in older histories.
      if (this.rejectedClicks.length > 0) await this.recordRejectedClicks();
      if (this.pending.length === 0 && this.closing) return;
      await this.recordPending();
    }
  }

  private async recordRejectedClicks(): Promise<void> {
    while (this.rejectedClicks.length > 0) {
      const click = this.rejectedClicks.shift()!;
      const who = click.approverId ?? `Slack user ${click.slackUserId}`;
      await this.timeline.record('slack.click-rejected', `${who}'s click in Slack did not count (${click.code}): ${click.message}`, {
        actor: who,
        data: { gateId: click.gateId, slackUserId: click.slackUserId, code: click.code },
      });
    }
  }

  private async recordPending(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.shift()!;
      if (batch.lastInboxId <= this.lastInboxId) continue;
      this.lastInboxId = batch.lastInboxId;
      const sourcesBefore = this.state.sources.length;
      this.merge(batch);
      await this.timeline.record('alerts.merged', `${batch.count} alert(s) from ${batch.sources.join(', ')}`, { data: { ...batch, totalAlerts: this.state.alertCount } });
      if (!patched(PATCH.sourcesUpsertedOnChange) || this.state.sources.length !== sourcesBefore) {
        upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE.source, value: this.state.sources }]);
      }
      // The first batch carries the alert that opened the incident: only later ones are news.
      if (this.state.alertCount === batch.count) continue;
      await this.raiseSeverity(incidentSeverity(batch.maxSeverity), `${batch.count} more alert(s), the worst ${batch.maxSeverity}`);
      for (const listener of this.mergeListeners) await listener(batch);
    }
  }

  private merge(batch: AlertBatch): void {
    const s = this.state;
    s.alertCount += batch.count;
    s.firstSeen ??= batch.firstSeen;
    s.lastSeen = batch.lastSeen;
    s.sources = [...new Set([...s.sources, ...batch.sources])];
    if (ALERT_SEVERITIES.indexOf(batch.maxSeverity) > ALERT_SEVERITIES.indexOf(s.maxSeverity)) s.maxSeverity = batch.maxSeverity;
  }
}
