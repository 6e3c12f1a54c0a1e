import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { DataSource } from 'typeorm';
import type { PalisadeConfig } from '../../../lib/config/env';
import { enqueueStuckCleared, enqueueStuckPage } from '../../../lib/db/stuck-page';
import { insertTimelineEvent } from '../../../lib/db/timeline-insert';
import { describeError } from '../../../lib/errors';
import { PALISADE_CONFIG } from '../config/config.module';
import { isTemporalUnreachable } from '../common/temporal-errors';
import { MetricsService } from '../metrics/metrics.service';
import { forEachConcurrently } from '../../../lib/concurrently';
import { Pace } from '../../../lib/pace';

/** Runs described at once in a sweep: bounded, so a thousand open incidents never flood the frontend (and paced: PALISADE_STUCK_CHECK_RATE). */
const CONCURRENCY = 4;
const CALL_DEADLINE_MS = 2_000;

/** What a sweep learned of one run: stuck (with why), moving, Temporal silent, or nothing to say (not started, closed). */
type Verdict = { stuck: true; reason: string; build: string | null } | { stuck: false } | 'temporal-unreachable' | undefined;

/** What one sweep did: how many open incidents it looked at, and why it stopped before the last. */
export interface SweepSummary {
  open: number;
  looked: number;
  /**
   * `temporal-unreachable`: a call met no answer, and the rest would each wait out their
   * deadline too (with thousands of incidents open, an hour); the next sweep tries again.
   * `shutting-down`: the API is stopping, and does not wait for the rest.
   */
  stopped?: 'temporal-unreachable' | 'shutting-down';
}

/**
 * Finds incidents whose run is stuck: a workflow task that keeps failing (a change made without
 * patched() reaching open runs, a bug) retries for ever and the incident moves no further. Every
 * `stuckCheckMs` it describes each open incident's run (one DescribeWorkflowExecution per open
 * incident, CONCURRENCY at a time, `stuckCheckRate` a second at most: with thousands open a check
 * takes minutes rather than loading Temporal while it works through a worm's incidents): a pending workflow task at its `stuckAttempts`th attempt or
 * later marks the incident stuck (projection, timeline with the error and the build, the
 * palisade_incidents_stuck metric, /readyz); once the task completes (a fixed or rolled-back
 * worker took it), the mark clears by itself. Several API processes may watch: the projection's
 * update decides which one writes the timeline.
 */
@Injectable()
export class StuckWatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('StuckWatcher');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  /** Aborted on shutdown: a sweep waiting for its next turn stops at once. */
  private readonly shutdown = new AbortController();

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(Client) private readonly temporal: Client,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
    @Inject(MetricsService) private readonly metrics: MetricsService,
  ) {
    metrics.gauge('palisade_incidents_stuck', 'Open incidents whose run is stuck: a workflow task that keeps failing (see GET /incidents?stuck and /readyz).', async () => {
      const [row] = await this.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM incidents WHERE stuck_since IS NOT NULL`);
      return row?.n ?? 0;
    });
  }

  onApplicationBootstrap(): void {
    if (this.config.api.stuckCheckMs === 0) return;
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .then(() => undefined)
        .catch((err: unknown) => this.log.warn(`stuck check failed: ${describeError(err)}`))
        .finally(() => (this.running = undefined));
    }, this.config.api.stuckCheckMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.shutdown.abort();
    clearInterval(this.timer);
    await this.running;
  }

  /** One look at every open incident's run; stops early when Temporal does not answer or the API shuts down. */
  async sweep(): Promise<SweepSummary> {
    const open = await this.db.query<{ id: string; workflow_id: string; stuck: boolean }[]>(
      // A stuck one that has closed since (its run moved on and ended) is looked at once more, to clear it.
      `SELECT id, workflow_id, stuck_since IS NOT NULL AS stuck FROM incidents WHERE status NOT IN ('resolved', 'cancelled') OR stuck_since IS NOT NULL`,
    );
    const summary: SweepSummary = { open: open.length, looked: 0 };
    const stop = () => {
      if (this.stopping) summary.stopped ??= 'shutting-down';
      return summary.stopped !== undefined;
    };
    const pace = new Pace(this.config.api.stuckCheckRate);
    await forEachConcurrently(
      open,
      CONCURRENCY,
      async (incident) => {
        if (!(await pace.turn(this.shutdown.signal))) return;
        const verdict = await this.verdict(incident.workflow_id);
        summary.looked += 1;
        if (verdict === 'temporal-unreachable') summary.stopped ??= 'temporal-unreachable';
        else if (verdict?.stuck && !incident.stuck) await this.markStuck(incident.id, verdict.reason, verdict.build);
        else if (verdict && !verdict.stuck && incident.stuck) await this.clear(incident.id);
      },
      stop,
    );
    stop();
    if (summary.stopped === 'temporal-unreachable') {
      this.log.warn(`stuck check stopped after ${summary.looked} of ${summary.open} open incidents: Temporal did not answer; the next check is in ${this.config.api.stuckCheckMs / 1000} s`);
    } else if (summary.stopped === undefined) this.metrics.stuckChecks.inc();
    return summary;
  }

  private async verdict(workflowId: string): Promise<Verdict> {
    const { namespace } = this.temporal.options;
    const service = this.temporal.workflowService;
    try {
      const described = await this.temporal.withDeadline(Date.now() + CALL_DEADLINE_MS, () => service.describeWorkflowExecution({ namespace, execution: { workflowId } }));
      const task = described.pendingWorkflowTask;
      if (!task || (task.attempt ?? 1) < this.config.api.stuckAttempts) return { stuck: false };
      const versioning = described.workflowExecutionInfo?.versioningInfo;
      const runId = described.workflowExecutionInfo?.execution?.runId ?? undefined;
      const failed = await this.lastTaskFailure(workflowId, runId);
      const build = versioning?.versionTransition?.deploymentVersion?.buildId || failed?.build || versioning?.deploymentVersion?.buildId || null;
      return { stuck: true, reason: `${failed?.message ?? 'its workflow task keeps failing'} (attempt ${task.attempt})`, build };
    } catch (err) {
      if (isTemporalUnreachable(err)) return 'temporal-unreachable';
      // Not started yet (still in the inbox), or gone: nothing to say this time.
      return undefined;
    }
  }

  /** The error of the run's last failed workflow task (the first attempt's is in the history), and the build it ran on. */
  private async lastTaskFailure(workflowId: string, runId: string | undefined): Promise<{ message: string; build: string | null } | undefined> {
    const { namespace } = this.temporal.options;
    const page = await this.temporal.withDeadline(Date.now() + CALL_DEADLINE_MS, () =>
      this.temporal.workflowService.getWorkflowExecutionHistoryReverse({ namespace, execution: { workflowId, runId }, maximumPageSize: 50 }),
    );
    const event = page.history?.events?.find((e) => e.workflowTaskFailedEventAttributes);
    const attrs: temporal.api.history.v1.IWorkflowTaskFailedEventAttributes | null | undefined = event?.workflowTaskFailedEventAttributes;
    if (!attrs?.failure) return undefined;
    return { message: firstLine(attrs.failure.message ?? 'workflow task failed'), build: attrs.workerVersion?.buildId || null };
  }

  private async markStuck(incidentId: string, reason: string, build: string | null): Promise<void> {
    await this.db.transaction(async (tx) => {
      const marked = await tx.query<{ since: Date }[]>(
        // (A CTE: TypeORM answers a bare UPDATE … RETURNING with [rows, count].)
        `WITH m AS (UPDATE incidents SET stuck_since = now(), stuck_reason = $2, updated_at = now() WHERE id = $1 AND stuck_since IS NULL RETURNING stuck_since)
         SELECT stuck_since AS since FROM m`,
        [incidentId, build ? `${reason}; build ${build}` : reason],
      );
      if (marked.length === 0) return;
      // Once per episode: only the process whose update marked it gets here.
      const paged = await enqueueStuckPage(tx, incidentId, marked[0].since, { reason, build });
      await insertTimelineEvent(tx, {
        id: `${incidentId}#stuck-${marked[0].since.getTime()}`,
        incidentId,
        sequence: null,
        type: 'incident.stuck',
        occurredAt: new Date().toISOString(),
        actor: 'palisade',
        summary: `The playbook is stuck${build ? ` on build ${build}` : ''}: its workflow task keeps failing: ${reason}. Roll the deploy back (palisade deploy rollback) or ship a fix; it moves again by itself once a worker takes it.${paged ? ` Paging ${paged.service} through ${paged.vendor}.` : ''}`,
        data: { error: reason, build, paged },
      });
    });
    this.log.warn(`incident ${incidentId} is stuck${build ? ` on build ${build}` : ''}: ${reason}`);
  }

  private async clear(incidentId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const cleared = await tx.query<{ since: Date }[]>(
        `WITH old AS (SELECT id, stuck_since FROM incidents WHERE id = $1 AND stuck_since IS NOT NULL FOR UPDATE),
              c AS (UPDATE incidents i SET stuck_since = NULL, stuck_reason = NULL, updated_at = now() FROM old WHERE i.id = old.id RETURNING old.stuck_since)
         SELECT stuck_since AS since FROM c`,
        [incidentId],
      );
      if (cleared.length === 0) return;
      await enqueueStuckCleared(tx, incidentId, cleared[0].since);
      await insertTimelineEvent(tx, {
        id: `${incidentId}#unstuck-${cleared[0].since.getTime()}`,
        incidentId,
        sequence: null,
        type: 'incident.unstuck',
        occurredAt: new Date().toISOString(),
        actor: 'palisade',
        summary: 'The playbook moves again: a worker completed its workflow task. The stuck alarm is cleared (its page, if any, resolves).',
        data: {},
      });
    });
    this.log.log(`incident ${incidentId} is no longer stuck`);
  }
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0];
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}
