import { CancellationScope, condition, upsertSearchAttributes } from '@temporalio/workflow';
import { incidentSeverity } from '../../lib/domain/incident';
import { ALERT_SEVERITIES } from '../../lib/intake/alert';
import { SEARCH_ATTRIBUTE } from '../../lib/temporal/names';
import type { PlaybookInput, StartingBatch } from './input';
import type { AlertBatch, SlackClickRejected } from './messages';
import type { IncidentRun } from './incident-run';
import { PATCH } from './patches';
import { announceSearchAttributes } from './visibility';

type MergeListener = (batch: AlertBatch) => Promise<void> | void;

/**
 * What reaches a run from outside while its playbook works: alert batches the door merged
 * into the incident (one timeline entry each, counted once: a re-sent batch is skipped by its
 * last inbox row), batches for the entity's next incident, and Slack clicks that did not count.
 */
export class MergeRecorder {
  readonly pending: AlertBatch[] = [];
  /** Batches for the entity's next incident (same workflow id) that reached this run. */
  readonly next: StartingBatch[] = [];
  readonly rejectedClicks: SlackClickRejected[] = [];
  lastInboxId: number;
  /** True while the loop is writing a batch or a click: a run does not continue as new mid-write. */
  busy = false;
  /**
   * Set when the run wants to hand over to a new one: no new batch is started, so a storm
   * cannot keep the loop busy for ever; batches still queued go to the new run.
   */
  holding = false;
  private readonly listeners: MergeListener[] = [];
  private loop: Promise<void> | undefined;
  private closing = false;
  /** Set once the projection says closed: rows not recorded by then went back to the inbox. */
  closed = false;

  constructor(
    private readonly run: IncidentRun,
    input: PlaybookInput,
  ) {
    this.lastInboxId = input.carried?.lastInboxId ?? 0;
    this.pending.push(...(input.initialBatches ?? []));
  }

  /** Reacts to alerts merged while the playbook runs (e.g. raise severity on a second host alert). */
  onMerge(listener: MergeListener): void {
    this.listeners.push(listener);
  }

  /** The alerts-merged signal: this incident's batches are queued, the next incident's kept aside. */
  receive(batch: StartingBatch): void {
    if (batch.incidentId !== this.run.input.incidentId) {
      // An entity's next incident is younger than anything this run saw; an older one's batch
      // was sent after that incident closed and went back to the inbox (lib/db/late-alerts.ts).
      if (batch.lastInboxId <= this.newestInboxId() && this.run.changed(PATCH.staleBatchesIgnored)) return;
      this.next.push(batch);
    } else if (batch.lastInboxId > this.lastInboxId && !this.closed) this.pending.push(batch);
  }

  /** Starts recording what arrives, one entry at a time, until the incident closes. */
  start(): void {
    // Outside the playbook's scope even when a continued run starts it from the body: a responder's stop cancels the body, never this loop.
    this.loop = CancellationScope.nonCancellable(() => this.recordLoop());
  }

  /** Stops the loop once what is queued is written (the incident is closing). */
  async drain(): Promise<void> {
    this.closing = true;
    this.holding = false;
    await this.loop;
  }

  /** Nothing is half written: a safe moment to hand over to a new run (queued batches go with it). */
  get idle(): boolean {
    return !this.busy && this.rejectedClicks.length === 0;
  }

  /** Batches for the entity's next incident that reached this run as it closed. */
  nextIncident(): { start: PlaybookInput; batches: AlertBatch[] } | undefined {
    const incoming = this.next[0];
    if (!incoming) return undefined;
    return { start: incoming.start, batches: this.next.filter((b) => b.incidentId === incoming.incidentId) };
  }

  private newestInboxId(): number {
    return Math.max(this.lastInboxId, ...this.pending.map((b) => b.lastInboxId));
  }

  private async recordLoop(): Promise<void> {
    for (;;) {
      await condition(() => (this.pending.length > 0 && !this.holding) || this.rejectedClicks.length > 0 || this.closing);
      this.busy = true;
      try {
        // Only when there are some: an extra await here would shift this loop's commands against the playbook's in older histories.
        if (this.rejectedClicks.length > 0) await this.recordRejectedClicks();
        if (this.pending.length === 0 && this.closing) return;
        await this.recordPending();
      } finally {
        this.busy = false;
      }
    }
  }

  private async recordRejectedClicks(): Promise<void> {
    while (this.rejectedClicks.length > 0) {
      const click = this.rejectedClicks.shift()!;
      const who = click.approverId ?? `Slack user ${click.slackUserId}`;
      await this.run.timeline.record('slack.click-rejected', `${who}'s click in Slack did not count (${click.code}): ${click.message}`, {
        actor: who,
        data: { gateId: click.gateId, slackUserId: click.slackUserId, code: click.code },
      });
    }
  }

  /**
   * The batch the run started with (the signal that started it, or the batches handed over to
   * it), recorded as the run opens, before its playbook begins: held, its entry goes with the
   * run's first write, as the opening's own entries do, and every wait writes it first
   * (PATCH.openingBatchHeld). Later batches go through the loop, never held.
   */
  async recordOpening(): Promise<void> {
    const { run } = this;
    const batch = this.pending[0];
    if (!batch || batch.lastInboxId <= this.lastInboxId || this.holding || run.timeline.writes !== 'held' || !run.changed(PATCH.openingBatchHeld)) return;
    this.pending.shift();
    this.lastInboxId = batch.lastInboxId;
    const sourcesBefore = run.state.sources.length;
    this.merge(batch);
    await run.timeline.record('alerts.merged', `${batch.count} alert(s) from ${batch.sources.join(', ')}`, { data: { ...batch, totalAlerts: run.state.alertCount }, hold: true });
    // Its start named the same sources (the door's signalWithStart): a run begun with EVERY_CHANGE upserts them only if not.
    if (run.state.sources.length !== sourcesBefore) announceSearchAttributes([{ key: SEARCH_ATTRIBUTE.source, value: run.state.sources }], run.begunWithEveryChange);
  }

  /** Writes the queued batches of this incident, each once, in order. */
  async recordPending(): Promise<void> {
    const { run } = this;
    while (this.pending.length > 0 && !this.holding) {
      const batch = this.pending.shift()!;
      if (batch.lastInboxId <= this.lastInboxId) continue;
      this.lastInboxId = batch.lastInboxId;
      const sourcesBefore = run.state.sources.length;
      this.merge(batch);
      // A batch after the opening one goes through an activity: in a storm, a chain of local
      // writes would keep one workflow task open past its timeout (each ends the task here).
      // Never held (workflows/shared/timeline.ts): this loop runs beside the playbook, which may
      // already wait for a person, and nothing would write it.
      const opening = run.state.alertCount === batch.count;
      await run.timeline.record('alerts.merged', `${batch.count} alert(s) from ${batch.sources.join(', ')}`, { data: { ...batch, totalAlerts: run.state.alertCount }, remote: !opening });
      if (!run.changed(PATCH.sourcesUpsertedOnChange) || run.state.sources.length !== sourcesBefore) {
        upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE.source, value: run.state.sources }]);
      }
      // The first batch carries the alert that opened the incident: only later ones are news.
      if (opening) continue;
      await run.raiseSeverity(incidentSeverity(batch.maxSeverity), `${batch.count} more alert(s), the worst ${batch.maxSeverity}`);
      for (const listener of this.listeners) await listener(batch);
    }
  }

  private merge(batch: AlertBatch): void {
    const s = this.run.state;
    s.alertCount += batch.count;
    s.firstSeen ??= batch.firstSeen;
    s.lastSeen = batch.lastSeen;
    s.sources = [...new Set([...s.sources, ...batch.sources])];
    if (ALERT_SEVERITIES.indexOf(batch.maxSeverity) > ALERT_SEVERITIES.indexOf(s.maxSeverity)) s.maxSeverity = batch.maxSeverity;
  }
}
