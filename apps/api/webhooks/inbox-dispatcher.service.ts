import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Client, isGrpcServiceError } from '@temporalio/client';
import { DataSource } from 'typeorm';
import type { PalisadeConfig } from '../../../lib/config/env';
import { takeBackLateAlerts } from '../../../lib/db/late-alerts';
import { passToSurvivor } from '../../../lib/db/merged-alerts';
import { ALERT_SEVERITIES, type AlertSeverity } from '../../../lib/intake/alert';
import type { Catalogue } from '../../../lib/playbooks/catalogue';
import { runStartOptions } from '../../../lib/temporal/run-start';
import { alertsMergedSignal, EVIDENCE_PER_BATCH, type AlertBatch } from '../../../workflows/shared/messages';
import type { TriageBatch, TriageInput } from '../../../workflows/triage/shared';
import { CATALOGUE, PALISADE_CONFIG } from '../config/config.module';
import { isTemporalUnreachable } from '../common/temporal-errors';
import { SharedRead } from '../common/shared-read';
import { MetricsService } from '../metrics/metrics.service';
import { contextOf, inSpan, linksTo } from '../../../lib/telemetry/tracing';
import {
  claimRows,
  COALESCE_MS,
  closedByRun,
  deadLetter,
  holdBack,
  inboxDepth,
  inboxLag,
  incidentDispatch,
  markDispatched,
  requeueDeadLetters,
  runsWorking,
  type ClaimedRow,
  type IncidentDispatch,
  type InboxDepth,
} from './inbox-store';

/** One signalWithStart may take this long; the rest of the lease (30 s) is the margin. */
const SIGNAL_DEADLINE_MS = 10_000;
const IDLE_MS = 100;
/**
 * Idle while new incidents wait for a run to reach its first wait: each round then walks past
 * the held rows to find alerts for running incidents (24 ms with 10,000 held, on PGlite).
 */
const AT_LIMIT_IDLE_MS = 500;
const MAX_BACKOFF_MS = 5_000;
/** The inbox gauges' reads serve every scrape within this long. */
const GAUGE_READ_TTL_MS = 1_000;
/** A signal that reached a run which had already closed its incident goes again this soon. */
const CLOSING_RUN_RETRY_S = 1;

/** gRPC INVALID_ARGUMENT: Temporal will refuse the same request every time (e.g. a search attribute past its size limit). */
const INVALID_ARGUMENT = 3;

/** What became of one incident's claimed rows in a round. */
type Delivery =
  | { kind: 'sent' }
  /** The incident had closed: its run's rows marked, the others given to an incident that acts on them. */
  | { kind: 'taken-back' }
  /** The signal reached a run that had already closed its incident: sent again shortly. */
  | { kind: 'closing-run' }
  | { kind: 'failed'; error: Error };

/**
 * Drains the inbox to Temporal: the incidents with the oldest pending alerts first, each
 * incident's pending alerts in one signal (signalWithStart), in inbox order, once its oldest
 * alert has waited a moment (inbox-store.ts). Rows are leased, not locked across the call,
 * so a dispatcher that dies leaves them to be claimed again; the workflow skips a batch it
 * has already seen. While Temporal is unreachable rows wait and the dispatcher backs off.
 *
 * Rows of an incident that closed after they were merged are never shelved: they reopen it,
 * or join the entity's open incident (lib/db/late-alerts.ts). A signal that lands on the run
 * that just closed its incident is not counted as delivered: that run may be in its last
 * workflow task, where a signal can no longer be acted on, so the rows go again a second
 * later, to the run that follows it.
 */
@Injectable()
export class InboxDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('InboxDispatcher');
  private running = false;
  /** The last round started no new incident: as many new runs work as may. */
  private atLimit = false;
  private loop: Promise<void> | undefined;
  /** Ends the current sleep (shutdown). */
  private interrupt: (() => void) | undefined;

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(Client) private readonly temporal: Client,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
    @Inject(CATALOGUE) private readonly catalogue: Catalogue,
    @Inject(MetricsService) metrics: MetricsService,
  ) {
    // One read serves every gauge of a scrape, each query its own: a failed one blanks only its gauges.
    const inbox = new SharedRead(() => this.depth(), GAUGE_READ_TTL_MS);
    const working = new SharedRead(() => runsWorking(this.db), GAUGE_READ_TTL_MS);
    metrics.gauge('palisade_inbox_pending', 'Alerts stored but not yet handed to Temporal.', async () => (await inbox.get()).pending);
    metrics.gauge('palisade_inbox_oldest_age_seconds', 'Age of the oldest alert waiting in the inbox.', async () => (await inbox.get()).oldestAgeSeconds);
    metrics.gauge(
      'palisade_inbox_behind',
      'Playbooks far behind the door: 1 while the inbox is past PALISADE_READY_INBOX_MAX_PENDING or PALISADE_READY_INBOX_MAX_AGE (/readyz says degraded).',
      async () => (inboxLag(await inbox.get(), config.api.readyInbox).ok ? 0 : 1),
    );
    metrics.gauge(
      'palisade_dispatch_runs_working',
      `New incidents' runs on their way to their first wait; at PALISADE_DISPATCH_RUNS_WORKING (${config.api.runsWorkingMax || 'no limit'}) the next new incidents wait in the inbox.`,
      () => working.get(),
    );
    metrics.gauge('palisade_inbox_dead_letters', 'Alerts Temporal refused for good, set aside until an operator sends them again (POST /incidents/:id/redispatch).', async () => (await inbox.get()).deadLetters);
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    clearTimeout(this.nudged);
    this.interrupt?.();
    await this.loop;
  }

  /** Pending rows, the age of the oldest, and the rows set aside, for /readyz and /metrics. */
  depth(): Promise<InboxDepth> {
    return inboxDepth(this.db);
  }

  /** One incident's alerts not yet handed to its playbook, for GET /incidents/:id. */
  incidentDispatch(incidentId: string): Promise<IncidentDispatch> {
    return incidentDispatch(this.db, incidentId);
  }

  /** Sends an incident's set-aside rows again (once their cause is fixed); returns how many. */
  redispatch(incidentId: string): Promise<number> {
    return requeueDeadLetters(this.db, incidentId);
  }

  private async run(): Promise<void> {
    let backoff = 0;
    while (this.running) {
      let dispatched = 0;
      this.woken = false;
      try {
        dispatched = await this.drainOnce();
        backoff = 0;
      } catch (err) {
        backoff = Math.min(MAX_BACKOFF_MS, backoff ? backoff * 2 : 250);
        this.log.warn(`dispatch failed, retrying in ${backoff} ms: ${(err as Error).message}`);
      }
      if (backoff > 0) await this.sleep(backoff);
      // Woken during the round: what was stored may have come after its claim.
      else if (dispatched === 0 && !this.woken) {
        this.idle = true;
        await this.sleep(this.atLimit ? AT_LIMIT_IDLE_MS : IDLE_MS);
        this.idle = false;
      }
    }
  }

  /**
   * This API just stored alerts for a playbook: the next round starts as soon as they may be
   * claimed, not at the end of an idle sleep (on average half of IDLE_MS on an alert's way to
   * its first containment): at once when they start a new incident (its run starts with them,
   * inbox-store.ts), else once COALESCE_MS passed, so a storm still coalesces; a round under way
   * is followed by another, not by a sleep. A new incident waits for the next poll when as many
   * new runs work as may (it could not start). Never cuts short the backoff from an unreachable
   * Temporal. Alerts stored by another replica wait for the poll.
   */
  nudge(startsIncident = false): void {
    if (!this.running) return;
    if (startsIncident && !this.atLimit) {
      this.wake();
      return;
    }
    if (this.nudged) return;
    this.nudged = setTimeout(() => {
      this.nudged = undefined;
      this.wake();
    }, COALESCE_MS + 5);
    this.nudged.unref();
  }

  private wake(): void {
    if (this.idle) this.interrupt?.();
    else this.woken = true;
  }

  private nudged: NodeJS.Timeout | undefined;
  /** In an idle sleep (nothing was claimed), which a nudge may end. */
  private idle = false;
  /** A nudge came during the round under way: the next round follows it without sleeping. */
  private woken = false;

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.interrupt?.(), ms);
      this.interrupt = () => {
        clearTimeout(timer);
        this.interrupt = undefined;
        resolve();
      };
    });
  }

  /**
   * Dispatches the pending rows of up to INCIDENTS_PER_ROUND incidents (each incident's rows
   * in one signal, the incidents side by side); returns how many rows. An incident that
   * fails is held back on its own (or set aside, when Temporal refuses it for good); the
   * round throws, so the loop backs off, only when Temporal could not be reached at all.
   */
  async drainOnce(): Promise<number> {
    const { rows, lease, atLimit } = await claimRows(this.db, this.config.api.runsWorkingMax);
    this.atLimit = atLimit;
    if (rows.length === 0) return 0;
    const incidents = groupByIncident(rows);
    const outcomes = new Map<ClaimedRow[], Delivery>();
    // Incidents of different workflows side by side; two incidents of one workflow (an entity's
    // next incident arriving while the last one closes) one after the other, in inbox order.
    await Promise.all(
      [...groupBy(incidents, (group) => group[0].workflow_id).values()].map(async (chain) => {
        let failed: Error | undefined;
        for (const group of chain) {
          // After a failure the workflow's later incidents wait too, to keep their order.
          const outcome: Delivery = failed ? { kind: 'failed', error: failed } : await this.dispatch(group).catch((err: unknown) => ({ kind: 'failed' as const, error: asError(err) }));
          if (outcome.kind === 'failed') failed = outcome.error;
          outcomes.set(group, outcome);
        }
      }),
    );
    const sent = incidents.filter((group) => outcomes.get(group)?.kind === 'sent').flat();
    if (sent.length > 0) await markDispatched(this.db, sent, lease);
    let unreachable: Error | undefined;
    for (const [group, outcome] of outcomes) {
      if (outcome.kind === 'closing-run') await holdBack(this.db, group, lease, 'the signal reached the run that had just closed this incident; sending again', CLOSING_RUN_RETRY_S);
      if (outcome.kind !== 'failed') continue;
      const { error } = outcome;
      if (isRefusedForGood(error)) {
        await deadLetter(this.db, group, lease, `Temporal refused the incident's run: ${error.message}`);
        this.log.error(
          `incident ${group[0].incident_id} (${group[0].workflow_id}): Temporal refused it for good, ${group.length} alert(s) set aside: ${error.message}. ` +
            `Fix the cause, then POST /incidents/${group[0].incident_id}/redispatch.`,
        );
        continue;
      }
      await holdBack(this.db, group, lease, error.message);
      if (isTemporalUnreachable(error)) unreachable ??= error;
      else this.log.error(`incident ${group[0].incident_id} (${group[0].workflow_id}): dispatch failed, held back: ${error.message}`);
    }
    if (unreachable) throw unreachable;
    return rows.length;
  }

  /** Signals one incident's claimed rows to its workflow, unless the incident closed meanwhile. */
  private async dispatch(rows: ClaimedRow[]): Promise<Delivery> {
    const first = rows[0];
    if (first.duplicate_of) {
      const survivor = first.duplicate_of;
      const moved = await this.db.transaction((tx) => passToSurvivor(tx, first.incident_id, survivor, rows.map((r) => r.inbox_id)));
      this.log.log(`incident ${first.incident_id} was merged into ${survivor}: ${moved} alert(s) that reached it after go there`);
      return { kind: 'taken-back' };
    }
    if (first.incident_status === 'resolved' || first.incident_status === 'cancelled') {
      const outcome = await this.db.transaction((tx) => takeBackLateAlerts(tx, first.incident_id, rows.map((r) => r.inbox_id)));
      if (outcome.late > 0) {
        this.log.warn(
          `incident ${first.incident_id} is ${first.incident_status}: ${outcome.late} alert(s) merged before it closed reached it after; ` +
            (outcome.reopened ? 'it is reopened' : `they joined incident ${outcome.incidentId}`),
        );
      }
      return { kind: 'taken-back' };
    }
    // A span in the first alert's trace (the one that opened the batch), linked to every other alert's.
    const attributes = { 'palisade.incident.id': first.incident_id, 'palisade.alert.count': rows.length, 'palisade.workflow.id': first.workflow_id };
    const links = linksTo([...new Set(rows.map((r) => r.traceparent))].filter((t) => t !== first.traceparent));
    const signaledRunId = await inSpan('dispatch', { attributes, parent: contextOf(first.traceparent), links }, () => this.signal(first, batchOf(rows)));
    // The run may be in its last workflow task, where a signal can no longer be acted on.
    return (await closedByRun(this.db, first.incident_id, signaledRunId)) ? { kind: 'closing-run' } : { kind: 'sent' };
  }

  private async signal(first: ClaimedRow, batch: AlertBatch): Promise<string> {
    const playbook = this.catalogue.get(first.playbook);
    if (!playbook) throw new Error(`incident ${first.incident_id} names unknown playbook '${first.playbook}'`);
    const input: TriageInput = {
      incidentId: first.incident_id,
      playbook: first.playbook,
      playbookVersion: first.playbook_version,
      entityKey: first.incident_entity,
      entity: { kind: first.entity_kind, key: first.entity_key, display: first.entity_display },
      title: first.incident_title,
      severity: first.incident_severity,
      source: first.source,
      detectedAt: first.detected_at.toISOString(),
      timelineSequence: first.timeline_sequence,
      firstAlertId: first.alert_id,
    };
    const signalled: TriageBatch = { ...batch, start: input };
    // Well inside the lease: a hung call must not let the lease lapse and the batch go twice.
    const handle = await this.temporal.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () => this.temporal.workflow.signalWithStart(playbook.workflowType, {
      workflowId: first.workflow_id,
      taskQueue: this.config.temporal.taskQueue,
      args: [input],
      signal: alertsMergedSignal,
      signalArgs: [signalled],
      ...runStartOptions({ incidentId: first.incident_id, playbook: first.playbook, playbookVersion: playbook.version, severity: first.incident_severity, entityKey: first.incident_entity, sources: batch.sources }),
    }));
    return handle.signaledRunId;
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Temporal refuses this request as it is, and would every time. */
function isRefusedForGood(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (!isGrpcServiceError(e)) continue;
    const code: number = e.code;
    if (code === INVALID_ARGUMENT) return true;
  }
  return false;
}

/** Coalesces an incident's pending alerts into one signal: counts, first/last seen, a little evidence. */
export function batchOf(rows: ClaimedRow[]): AlertBatch {
  const times = rows.map((r) => r.observed_at.getTime());
  const evidence = new Map<string, AlertBatch['evidence'][number]>();
  for (const r of rows) {
    if (evidence.size >= EVIDENCE_PER_BATCH) break;
    if (!evidence.has(r.fingerprint)) {
      evidence.set(r.fingerprint, {
        alertId: r.alert_id,
        source: r.source,
        title: r.title,
        severity: r.severity,
        fingerprint: r.fingerprint,
        observedAt: r.observed_at.toISOString(),
      });
    }
  }
  return {
    incidentId: rows[0].incident_id,
    lastInboxId: Number(rows.at(-1)!.inbox_id),
    count: rows.length,
    firstSeen: new Date(Math.min(...times)).toISOString(),
    lastSeen: new Date(Math.max(...times)).toISOString(),
    sources: [...new Set(rows.map((r) => r.source))],
    maxSeverity: rows.reduce<AlertSeverity>((max, r) => (ALERT_SEVERITIES.indexOf(r.severity) > ALERT_SEVERITIES.indexOf(max) ? r.severity : max), 'info'),
    evidence: [...evidence.values()],
  };
}

/** An incident's rows together, incidents in the order of their first row. */
function groupByIncident(rows: ClaimedRow[]): ClaimedRow[][] {
  return [...groupBy(rows, (row) => row.incident_id).values()];
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
