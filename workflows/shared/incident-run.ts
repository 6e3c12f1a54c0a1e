import { condition, continueAsNew, log, patched, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { GatePolicy, GateState, RecordedVote } from '../../lib/approvals/gate';
import { classificationLabel, type Classification, type ClassificationRecord } from '../../lib/domain/classification';
import { worse, type IncidentStatus, type Severity } from '../../lib/domain/incident';
import { SEARCH_ATTRIBUTE } from '../../lib/temporal/names';
import { BesideWork } from './beside-work';
import type { AlertDetails, PlaybookActivities } from '../../activities/playbook/playbook.activities';
import type { TimelineActivities } from '../../activities/timeline/timeline.activities';
import { projectionActivities } from './activities';
import type { Carried, ResumePoint, StepRecord } from './carry';
import type { PlaybookInput } from './input';
import { MergeRecorder } from './merges';
import type { AlertBatch, IncidentState, ResolveRequest } from './messages';
import { EVERY_CHANGE, PATCH, type Change } from './patches';
import type { StepAction } from './steps';
import { openIncident, type OpenOptions } from './opening';
import { TimelineRecorder } from './timeline';

/** What the run needs to know of its playbook (the declaration, workflows/shared/define.ts). */
export interface PlaybookDefinition {
  name: string;
  version: string;
}

/** The statuses a playbook moves its incident to itself; `acknowledged` is a person's (POST /incidents/:id/acknowledge). */
export type RunStatus = 'responding' | 'contained';

/** A responder asked the playbook to stop: resolve keeps what was done; cancel undoes it. */
export interface StopRequest extends ResolveRequest {
  kind: 'resolve' | 'cancel';
}

/** The gate that undoes containment on a cancel (runbooks/approvals.yaml `undo-containment`). */
export const UNDO_GATE = 'undo-containment';

/** A run continues as new past this many history events, at its next safe point (a gate, a wait for a responder). */
export const HISTORY_LIMIT = 1_500;

export type ApprovalPolicies = { fallback: GatePolicy; gates: Record<string, GatePolicy>; slack?: boolean };

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
 *
 * A run that grows past HISTORY_LIMIT continues as new at its next safe point, carrying what
 * the incident has become (workflows/shared/carry.ts). The next run is `resuming` until its
 * body reaches that point again: steps return their carried outcome, decided gates their
 * decision, and nothing is called, written or slept.
 */
export class IncidentRun {
  readonly state: IncidentState;
  readonly timeline: TimelineRecorder;
  readonly gates = new Map<string, GateState>();
  /** Counted votes not yet on the timeline, per gate: the gate's own wait records them. */
  readonly unrecordedVotes = new Map<string, RecordedVote[]>();
  /** `slack`: this run posts its approval requests to Slack (the worker that started it had Slack connected). */
  policies: ApprovalPolicies | undefined;
  stopRequest: StopRequest | undefined;
  /** Called when a responder stops the playbook (runPlaybook cancels its body scope). */
  onStop: (() => void) | undefined;
  /** A cancel waits for an approver to undo containment: a resolve may still take its place. */
  awaitingUndo = false;
  /** How many times a cancel asked to undo containment (each ask is a gate of its own). */
  undoAsks: number;
  /** Registered as changes are made; run newest first, each at most once. */
  readonly compensations: Compensation[] = [];
  /** How each step ended: what a continued run resumes from. */
  readonly steps: Record<string, StepRecord>;
  readonly merges: MergeRecorder;
  /** True while a continued run replays its body up to where the last one waited. */
  resuming: boolean;
  /** Where the last run waited, for a continued one. */
  readonly resumeAt: ResumePoint | undefined;
  /** Set when the incident closes: no more merges are recorded, no stop is taken. */
  closing = false;
  /** Work running beside the playbook (Slack messages); close() waits for it. */
  private readonly besideWork = new BesideWork();
  /** Projection writes and playbook reads: local activities on runs begun since PATCH.localProjection. */
  readonly projection: TimelineActivities;
  readonly support: PlaybookActivities;
  /** The alert the opening read for the playbook (PATCH.openingReadsAlert), by its id. */
  openedWith: { alertId: string; alert: AlertDetails | null } | undefined;
  /** Begun on a build with every change in PATCH (EVERY_CHANGE): it takes them all without a marker each. */
  readonly begunWithEveryChange: boolean;

  constructor(
    readonly input: PlaybookInput,
    readonly playbook: PlaybookDefinition,
  ) {
    const carried = input.carried;
    // First, as the run begins: a run begun with every change records one marker, not one per change.
    this.begunWithEveryChange = patched(EVERY_CHANGE);
    // Asked once, as the run begins: patched() answers per call, and a run must not change shape midway.
    const local = this.changed(PATCH.localProjection) && !this.changed(PATCH.projectionActivitiesAgain);
    ({ projection: this.projection, support: this.support } = projectionActivities(local));
    const writes = !local && this.changed(PATCH.timelineHeld) ? 'held' : 'each';
    this.timeline = new TimelineRecorder(input.incidentId, carried?.timelineSequence ?? input.timelineSequence ?? 0, () => this.resuming, (event) => this.projection.appendTimelineEvent(event), writes);
    this.merges = new MergeRecorder(this, input);
    this.steps = { ...carried?.steps };
    this.undoAsks = carried?.undoAsks ?? 0;
    // A triage run from before one lifecycle carried only its state: it waited for a responder.
    this.resumeAt = carried ? (carried.resumeAt ?? { kind: 'responder' }) : undefined;
    this.resuming = carried !== undefined;
    for (const gate of carried?.gates ?? []) this.gates.set(gate.id, gate);
    this.policies = carried?.policies;
    this.state = carried?.state ?? {
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

  /** An alert's details: the one the opening read already, or through an activity. */
  async loadAlert(alertId: string): Promise<AlertDetails | null> {
    if (this.openedWith?.alertId === alertId) return this.openedWith.alert;
    return this.support.loadAlert(alertId);
  }

  /** Who asked for this run: the gate's requester, for four-eyes. */
  /**
   * Whether this run takes `change`: every run begun with EVERY_CHANGE does, without a marker
   * of its own; an older run asks patched(), as it always did.
   */
  changed(change: Change): boolean {
    return this.begunWithEveryChange || patched(change);
  }

  get requestedBy(): string {
    return this.input.requestedBy ?? 'palisade';
  }

  /**
   * True for a run a responder started by hand: it asks at every gate a run opened by an
   * alert passes on its own (no containment on one person's word), and four-eyes keeps its
   * starter from approving.
   */
  handStarted(): boolean {
    return this.input.source === 'manual' && this.changed(PATCH.handStartedRunsAsk);
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
  onMerge(listener: (batch: AlertBatch) => Promise<void> | void): void {
    this.merges.onMerge(listener);
  }

  /** A durable pause (a canary's bake); none while resuming, where the pause already passed. */
  async sleep(ms: number): Promise<void> {
    if (this.resuming) return;
    await this.timeline.flush();
    await sleep(ms);
  }

  /** Runs work beside the playbook that must not hold it up (see BesideWork). */
  beside(what: string, work: () => Promise<void>): void {
    this.besideWork.run(what, work);
  }

  /** Beside work waiting with nothing half done: a hand-over may happen meanwhile (see BesideWork.idle). */
  idleBeside<T>(wait: () => Promise<T>): Promise<T> {
    return this.besideWork.idle(wait);
  }

  /**
   * Opens (or reopens) the incident: projection, timeline, memo and search attributes,
   * policies. Returns the incident's status instead when it had already closed before this
   * run began (a signal sent just before the close started it): the run must not act on it.
   */
  async open(opts: OpenOptions = {}): Promise<'resolved' | 'cancelled' | undefined> {
    const closed = await openIncident(this, opts);
    if (closed) return closed;
    await this.merges.recordOpening();
    this.merges.start();
    return undefined;
  }

  /**
   * Moves the incident forward (responding, contained); the projection stamps the time once and
   * never moves it back (a person may have acknowledged it meanwhile). `acknowledged` is a
   * person's act, not the playbook's: runs recorded before that rule replay as they ran.
   */
  async setStatus(asked: RunStatus, why: string): Promise<void> {
    if (this.resuming) return;
    const status: IncidentStatus = asked === 'responding' && !this.changed(PATCH.respondingNotAcknowledged) ? 'acknowledged' : asked;
    if (this.state.status === status) return;
    this.state.status = status;
    const at = new Date().toISOString();
    if (this.timeline.writes === 'held' && this.changed(PATCH.statusHeld)) {
      // Held with its entry: the run's next write (the next step's call) moves the projection too.
      await this.timeline.record('incident.status-changed', `Incident ${status}: ${why}`, { data: { status }, hold: true, status: { status, at } });
      return;
    }
    await this.projection.setIncidentStatus(this.input.incidentId, status, at);
    await this.timeline.record('incident.status-changed', `Incident ${status}: ${why}`, { data: { status }, hold: true });
  }

  /** Raises the incident's severity (never lowers it): projection, search attribute, timeline. */
  async raiseSeverity(severity: Severity, why: string): Promise<void> {
    const current = this.state.severity ?? this.input.severity;
    if (this.resuming || worse(current, severity) === current) return;
    this.state.severity = severity;
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE.severity, value: severity }]);
    await this.projection.setIncidentSeverity(this.input.incidentId, severity);
    await this.timeline.record('incident.severity-raised', `Severity raised from ${current} to ${severity}: ${why}`, { data: { from: current, to: severity } });
    if (severity === 'critical' && this.changed(PATCH.criticalRaisesOpenGates)) await this.raiseOpenGates();
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

  /**
   * The continued run has reached where the last one waited: from here it acts and writes as
   * any run does, and records the alerts that arrived meanwhile.
   */
  resumed(): void {
    if (!this.resuming) return;
    this.resuming = false;
    this.merges.start();
  }

  /**
   * True when the run should hand over to a new one now: its history is long and nothing is
   * half written. Once long, merges stop starting new batches (a storm would otherwise keep
   * them busy for ever); the queued ones go to the new run.
   */
  wantsContinueAsNew(): boolean {
    if (this.resuming || this.closing || this.stopRequest || this.besideWork.busy) return false;
    const info = workflowInfo();
    if (info.historyLength <= (this.input.historyLimit ?? HISTORY_LIMIT) && !info.continueAsNewSuggested) return false;
    this.merges.holding = true;
    return this.merges.idle;
  }

  /** The run moves on from a safe point without handing over: merges take new batches again. */
  leaveSafePoint(): void {
    this.merges.holding = false;
  }

  /** Hands the incident to a new run of this workflow, which resumes at `at` (see carry.ts). */
  async continueAsNew(at: ResumePoint): Promise<never> {
    const carried: Carried = {
      state: this.state,
      timelineSequence: this.timeline.sequence,
      lastInboxId: this.merges.lastInboxId,
      steps: this.steps,
      gates: [...this.gates.values()],
      resumeAt: at,
      undoAsks: this.undoAsks,
      policies: this.policies,
      continued: (this.input.carried?.continued ?? 0) + 1,
    };
    await this.timeline.flush();
    log.info('history is long: continuing as new', { incidentId: this.input.incidentId, historyLength: workflowInfo().historyLength, at });
    const queued = this.merges.pending.filter((b) => b.lastInboxId > this.merges.lastInboxId);
    return continueAsNew<(input: PlaybookInput) => Promise<unknown>>({ ...this.input, initialBatches: queued.length > 0 ? queued : undefined, carried });
  }

  /**
   * Waits until a responder resolves or cancels the incident (triage, a hand-reported
   * incident, a playbook a step stopped). A safe point: the run continues as new here when
   * its history is long.
   */
  async waitForResponder(at: ResumePoint & { kind: 'responder' }): Promise<void> {
    if (this.resuming && this.resumeAt?.kind === 'responder') this.resumed();
    await this.timeline.flush();
    for (;;) {
      await condition(() => this.stopRequest !== undefined || this.wantsContinueAsNew());
      if (this.stopRequest) return this.leaveSafePoint();
      await this.continueAsNew(at);
    }
  }

  /**
   * What the incident was, should the playbook resolve it by itself (a true positive unless a
   * playbook says otherwise here, e.g. `benign_true_positive` when it found the change expected).
   * A responder's resolve or cancel says its own.
   */
  classify(classification: Classification, reason: string): void {
    this.state.classification = { classification, reason };
  }

  /**
   * Ends the run: the alerts that reached it recorded first (since PATCH.closeAfterQueuedAlerts),
   * then its final status (and, since PATCH.closeClassifies, what the incident was) on the
   * timeline, merges drained, projection last (the door then opens a new incident).
   */
  async close(status: 'resolved' | 'cancelled', summary: string, actor: string, classified?: ClassificationRecord): Promise<void> {
    this.resumed();
    this.state.phase = 'done';
    this.state.currentStep = null;
    this.state.status = status;
    const classification = classified && this.changed(PATCH.closeClassifies) ? classified : undefined;
    const said = classification ? ` (${classificationLabel(classification.classification)})` : '';
    // The merges stop once what is queued is written: since PATCH.closeAfterQueuedAlerts before
    // the final status, so the batches that reached the run go on the timeline ahead of it.
    const queuedFirst = this.changed(PATCH.closeAfterQueuedAlerts);
    this.closing = true;
    if (queuedFirst) await this.merges.drain();
    await this.timeline.record(status === 'resolved' ? 'incident.resolved' : 'incident.cancelled', `${summary}${said}`, {
      actor,
      data: { totalAlerts: this.state.alertCount, ...(classification ? { classification: classification.classification, classificationReason: classification.reason, classifiedBy: classification.by } : {}) },
    });
    if (!queuedFirst) await this.merges.drain();
    // Slack's last word on each gate (decided, withdrawn) lands before the run ends, unless Slack is down.
    await this.besideWork.settle('30s');
    if (this.changed(PATCH.closeHandsBackLateAlerts)) {
      // Alerts that reached the run by now still belong to it; any later go back to the inbox
      // with the close, and reopen the incident (lib/db/late-alerts.ts).
      await this.merges.recordPending();
      this.merges.closed = true;
      await this.projection.closeIncident({
        incidentId: this.input.incidentId,
        status,
        at: new Date().toISOString(),
        recordedInboxId: this.merges.lastInboxId,
        runId: workflowInfo().runId,
        ...(classification ? { classification } : {}),
      });
      return;
    }
    await this.projection.setIncidentStatus(this.input.incidentId, status, new Date().toISOString());
    // Alerts that reached the run while the projection was written still belong to it.
    await this.merges.recordPending();
  }
}
