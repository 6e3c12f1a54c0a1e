import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { DataSource } from 'typeorm';
import type { z } from 'zod';
import type { PalisadeConfig } from '../../../lib/config/env';
import { isLivePollAt } from '../../../lib/temporal/pollers';
import { changeRouting, describeDeployment, RoutingNotApplied, RoutingRefused, type DeploymentState, type Routing } from '../../../lib/temporal/deployment-routing';
import { AuditService } from '../audit/audit.service';
import { ApiError } from '../common/error.filter';
import { PALISADE_CONFIG } from '../config/config.module';
import { isTemporalUnreachable, temporalUnavailable } from '../common/temporal-errors';

/**
 * Temporal answers a worker deployment's describe and routing calls from the deployment's own
 * system workflow, behind any routing change still in flight: seconds longer than the API's usual
 * 5 s under load (the contract drill's concurrent ramps met 503s at 5 s).
 */
const DEPLOYMENT_DEADLINE_MS = 15_000;
/** How long a deployment known to exist may answer NOT_FOUND before GET /deploys says 404. */
const NOT_FOUND_PATIENCE_MS = 5_000;
import type { deployChangedSchema, deployStatusSchema } from './dto/deploy-responses.dto';

export type DeployStatus = z.infer<typeof deployStatusSchema>;
export type DeployChanged = z.infer<typeof deployChangedSchema>;
export type DeployAction = DeployChanged['action'];
/** Per build id: the workers polling the engine's task queue for workflow tasks now, and its last poll. */
export type Pollers = Map<string, { live: number; lastPollAt: string | null }>;

const { TaskQueueType, TaskQueueKind } = temporal.api.enums.v1;

/**
 * The engine's worker deployment as an operator sees it (`palisade deploy status`), and the
 * routing changes the deploy actions make (ramp.ts, promote.ts, rollback.ts): each waits until
 * Temporal has applied it, is kept in deploy_changes with the version current before it (what a
 * rollback goes back to), and is on the audit trail.
 */
@Injectable()
export class DeploysService {
  constructor(
    @Inject(DataSource) readonly db: DataSource,
    @Inject(Client) readonly temporal: Client,
    @Inject(PALISADE_CONFIG) readonly config: PalisadeConfig,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  /** The deployment's name; versioning off has none to deploy. */
  get deploymentName(): string {
    const name = this.config.temporal.deploymentName;
    if (!name) {
      throw new ApiError(HttpStatus.CONFLICT, 'versioning_off', 'Worker Versioning is off (PALISADE_WORKER_VERSIONING=false): every worker runs every open incident, and there are no versions to deploy.', 'Turn it on (the default) to ramp, promote and roll back versions.');
    }
    return name;
  }

  async state(): Promise<DeploymentState> {
    const deploymentName = this.deploymentName;
    const describe = () => this.ask('describe the worker deployment', () => describeDeployment(this.temporal.workflowService, this.temporal.options.namespace, deploymentName));
    let state = await describe();
    // Temporal answers from the deployment's own system workflow and may say NOT_FOUND for a moment
    // while it turns over (seen between two versions, both polling). Once a worker of the
    // deployment has registered its build the deployment exists: ask again before calling it absent.
    if (!state && (await this.registeredBuilds(deploymentName)).size > 0) {
      const until = Date.now() + NOT_FOUND_PATIENCE_MS;
      while (!state && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 250));
        state = await describe();
      }
    }
    if (!state) {
      throw new ApiError(HttpStatus.NOT_FOUND, 'deployment_not_found', `No worker of deployment ${this.deploymentName} has polled Temporal yet.`, 'Start a worker (npm start, or the worker process) with the same PALISADE_DEPLOYMENT_NAME, then ask again.');
    }
    return state;
  }

  /** A version the deployment knows (its worker has polled), or a 404 naming the ones it does. */
  requireVersion(state: DeploymentState, version: string): void {
    if (state.versions.some((v) => v.buildId === version)) return;
    throw new ApiError(
      HttpStatus.NOT_FOUND,
      'version_not_found',
      `Deployment ${this.deploymentName} has no version ${version}; it has ${state.versions.map((v) => v.buildId).join(', ') || 'none'}.`,
      'A version appears once a worker of its code polls; GET /deploys lists them (the worker logs its buildId as it starts).',
    );
  }

  /** `pollers`: as a deploy action read them moments ago (requirePollers), so as not to ask Temporal twice. */
  async status(pollers?: Pollers): Promise<DeployStatus> {
    const deploymentName = this.deploymentName;
    const state = await this.state();
    const [polling, running, registered, rollbackTo] = await Promise.all([pollers ?? this.pollers(), this.runningIncidents(), this.registeredBuilds(deploymentName), this.rollbackTarget(state.current)]);
    return {
      deployment: deploymentName,
      current: state.current,
      ramping: state.ramping ? { version: state.ramping.buildId, percent: state.ramping.percent } : null,
      updating: state.updating,
      rollbackTo,
      versions: state.versions.map((v) => ({
        version: v.buildId,
        status: v.status,
        createdAt: v.createdAt,
        currentSince: v.currentSince,
        rampingSince: v.rampingSince,
        pollers: polling.get(v.buildId)?.live ?? 0,
        lastPollAt: polling.get(v.buildId)?.lastPollAt ?? null,
        runningIncidents: running.get(v.buildId) ?? 0,
        codeRegistered: registered.has(v.buildId),
      })),
    };
  }

  /**
   * Refuses to send new runs to a version no worker of which polls now: they would wait, each
   * incident at its first step, until one did. `allowNoPollers` (a worker so busy it has stopped
   * polling is still there) skips the check, as Temporal's own flag of that name skips its check
   * that the version was ever polled. The pollers read, for the action's answer (status()); none
   * when the check was skipped.
   */
  async requirePollers(version: string, doing: string, allowNoPollers: boolean): Promise<Pollers | undefined> {
    if (allowNoPollers) return undefined;
    const pollers = await this.pollers();
    const seen = pollers.get(version);
    if (seen && seen.live > 0) return pollers;
    const taskQueue = this.config.temporal.taskQueue;
    const last = seen?.lastPollAt
      ? `its last poll was at ${seen.lastPollAt}, ${Math.round((Date.now() - Date.parse(seen.lastPollAt)) / 1000)} s ago`
      : 'Temporal has no poll of it in the last five minutes';
    throw new ApiError(
      HttpStatus.CONFLICT,
      'version_has_no_pollers',
      `No worker of version ${version} polls task queue '${taskQueue}' (${last}); ${doing} would send new incidents to a version nobody runs, where they would wait. Nothing was changed.`,
      `Start a worker of ${version} (it polls within seconds; GET /deploys shows its pollers), then ask again. A worker so busy it has stopped polling is still there: allowNoPollers: true (--allow-no-pollers) goes ahead.`,
    );
  }

  /**
   * Runs a deploy action's decide → change → record alone, so two admins (or two API replicas)
   * deciding from the same state go one after the other, the second deciding from what the first
   * did: one at a time in this process, and across processes under a transaction-scoped advisory
   * lock on the deployment's name. The lock holds one connection while the action uses others, so
   * a pool of one (embedded PGlite: one process, one session) has the process's queue only.
   */
  async exclusive<T>(action: () => Promise<T>): Promise<T> {
    const turn = this.queue.then(() => this.acrossProcesses(action));
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  private queue: Promise<void> = Promise.resolve();

  private async acrossProcesses<T>(action: () => Promise<T>): Promise<T> {
    if (this.config.database.poolSize < 2) return action();
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await runner.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`deploy:${this.deploymentName}`]);
      const out = await action();
      await runner.commitTransaction();
      return out;
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  }

  /** Applies a routing change, keeps it with the version current before it, and audits it. */
  async change(action: DeployAction, want: Routing, opts: { actor: string; version: string | null; previous: string | null; reason?: string; percent?: number; detail?: Record<string, unknown> }): Promise<void> {
    try {
      await changeRouting(this.temporal.workflowService, this.temporal.options.namespace, this.deploymentName, want, `palisade-api:${opts.actor}`);
    } catch (err) {
      if (isTemporalUnreachable(err)) throw temporalUnavailable(`Temporal did not answer, so Palisade could not ${action} (the routing is as it was, or as Temporal applied it before it went silent: GET /deploys shows which).`);
      if (err instanceof RoutingRefused) {
        throw new ApiError(HttpStatus.CONFLICT, 'routing_refused', `Temporal refused the ${action}: ${err.message}. Nothing was changed or recorded.`, 'GET /deploys shows where new runs go now; change the routing from there.');
      }
      if (err instanceof RoutingNotApplied) {
        throw temporalUnavailable(
          `Temporal had not applied the ${action} within a minute (a routing change still under way, or a slow server); it may still apply, and nothing was recorded: GET /deploys shows the routing as it is.`,
          'Look at GET /deploys; if the routing is not what you asked for, ask again in a minute.',
        );
      }
      throw err;
    }
    await this.db.query(`INSERT INTO deploy_changes (deployment_name, action, build_id, previous_current, ramp_percent, actor) VALUES ($1, $2, $3, $4, $5, $6)`, [
      this.deploymentName,
      action,
      opts.version,
      opts.previous,
      opts.percent ?? null,
      opts.actor,
    ]);
    await this.audit.record({ actor: opts.actor, action: `deploy.${action}`, target: `${this.deploymentName}/${opts.version ?? '-'}`, reason: opts.reason, detail: { previous: opts.previous, ...(opts.percent !== undefined ? { percent: opts.percent } : {}), ...opts.detail } });
  }

  /**
   * The version a rollback makes current: the one that was current when `current` was last made
   * current through the API (a promotion or a rollback); null when Palisade never changed it.
   */
  async rollbackTarget(current: string | null): Promise<string | null> {
    if (!current) return null;
    const [row] = await this.db.query<{ previous_current: string | null }[]>(
      `SELECT previous_current FROM deploy_changes WHERE deployment_name = $1 AND action IN ('promote', 'rollback') AND build_id = $2 AND previous_current IS DISTINCT FROM build_id ORDER BY id DESC LIMIT 1`,
      [this.deploymentName, current],
    );
    return row?.previous_current ?? null;
  }

  /** Per build id: the workers polling the engine's task queue for workflow tasks now, and its last poll. */
  private async pollers(): Promise<Pollers> {
    const described = await this.ask('list the task queue\'s pollers', () =>
      this.temporal.workflowService.describeTaskQueue({
        namespace: this.temporal.options.namespace,
        taskQueue: { name: this.config.temporal.taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      }),
    );
    const now = Date.now();
    // Each LastAccessTime converted once; the newest poll per build made a date at the end.
    const builds = new Map<string, { live: number; lastPollMs: number | undefined }>();
    for (const p of described.pollers ?? []) {
      const build = p.deploymentOptions?.buildId;
      if (!build) continue;
      const polled = optionalTsToMs(p.lastAccessTime);
      const seen = builds.get(build) ?? { live: 0, lastPollMs: undefined };
      if (isLivePollAt(polled, now, this.config.temporal.livePollWindowMs)) seen.live += 1;
      if (polled !== undefined && (seen.lastPollMs === undefined || polled > seen.lastPollMs)) seen.lastPollMs = polled;
      builds.set(build, seen);
    }
    return new Map([...builds].map(([build, { live, lastPollMs }]) => [build, { live, lastPollAt: lastPollMs === undefined ? null : new Date(lastPollMs).toISOString() }]));
  }

  /** A call to Temporal within the API's deadline; down or silent, a 503 that says what could not be done. */
  private async ask<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await this.temporal.withDeadline(Date.now() + DEPLOYMENT_DEADLINE_MS, call);
    } catch (err) {
      if (isTemporalUnreachable(err)) throw temporalUnavailable(`Temporal did not answer, so Palisade could not ${what}.`);
      throw err;
    }
  }

  private async runningIncidents(): Promise<Map<string, number>> {
    const rows = await this.db.query<{ build: string; n: number }[]>(
      `SELECT running_build AS build, count(*)::int AS n FROM incidents WHERE status NOT IN ('resolved', 'cancelled') AND running_build IS NOT NULL GROUP BY running_build`,
    );
    return new Map(rows.map((r) => [r.build, r.n]));
  }

  private async registeredBuilds(deploymentName: string): Promise<Set<string>> {
    const rows = await this.db.query<{ build_id: string }[]>(`SELECT build_id FROM worker_builds WHERE deployment_name = $1`, [deploymentName]);
    return new Set(rows.map((r) => r.build_id));
  }
}
