import { Inject, Injectable } from '@nestjs/common';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DataSource } from 'typeorm';
import { describeError } from '../../../lib/errors';
import type { PalisadeConfig } from '../../../lib/config/env';
import { isLivePoll } from '../../../lib/temporal/pollers';
import { SharedRead } from '../common/shared-read';
import { PALISADE_CONFIG } from '../config/config.module';
import { InboxDispatcher } from '../webhooks/inbox-dispatcher.service';
import { inboxLag, type InboxDepth } from '../webhooks/inbox-store';

export interface CheckResult {
  ok: boolean;
  detail: string;
}

export interface Readiness {
  /** Postgres, Temporal and a worker answer. */
  ready: boolean;
  /** Ready, but the inbox is past its limits: the playbooks are far behind the door (checks.inbox says by how much). */
  degraded: boolean;
  checks: { postgres: CheckResult; temporal: CheckResult; worker: CheckResult; inbox: CheckResult };
  /** Alerts stored but not yet handed to Temporal, and those Temporal refused for good (informational: the door stays open). */
  inbox: InboxDepth | null;
  /** Open incidents whose run is stuck (a workflow task that keeps failing: apps/api/incidents/stuck-watcher.service.ts); informational, like the inbox. */
  stuck: { count: number; incidents: { id: string; since: string; reason: string | null }[] } | null;
}

const CHECK_TIMEOUT_MS = 2_000;
/** How many stuck incidents /readyz names (it counts them all). */
export const READYZ_STUCK_NAMED = 10;
/** /readyz is public: its checks run at most once this often, however many ask. */
export const READINESS_TTL_MS = 2_000;

@Injectable()
export class HealthService {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(Client) private readonly temporalClient: Client,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
    @Inject(InboxDispatcher) private readonly dispatcher: InboxDispatcher,
  ) {}

  private readonly shared = new SharedRead(() => this.check(), READINESS_TTL_MS);

  /** Readiness at most READINESS_TTL_MS old; concurrent callers share one check. */
  readiness(): Promise<Readiness> {
    return this.shared.get();
  }

  private async check(): Promise<Readiness> {
    const [postgres, temporalCheck] = await Promise.all([this.checkPostgres(), this.checkTemporal()]);
    const worker = temporalCheck.ok
      ? await this.checkWorker()
      : { ok: false, detail: 'unknown until Temporal answers' };
    const inbox = postgres.ok ? await this.dispatcher.depth().catch(() => null) : null;
    const lag = inbox ? inboxLag(inbox, this.config.api.readyInbox) : { ok: false, detail: 'unknown until Postgres answers' };
    const stuck = postgres.ok ? await this.stuck().catch(() => null) : null;
    const ready = postgres.ok && temporalCheck.ok && worker.ok;
    return { ready, degraded: ready && !lag.ok, checks: { postgres, temporal: temporalCheck, worker, inbox: lag }, inbox, stuck };
  }

  /** The stuck incidents, counted, the READYZ_STUCK_NAMED stuck longest named. */
  private async stuck(): Promise<Readiness['stuck']> {
    const rows = await this.db.query<{ id: string; since: Date; reason: string | null; n: number }[]>(
      `SELECT id, stuck_since AS since, stuck_reason AS reason, count(*) OVER ()::int AS n FROM incidents WHERE stuck_since IS NOT NULL ORDER BY stuck_since LIMIT $1`,
      [READYZ_STUCK_NAMED],
    );
    return { count: rows[0]?.n ?? 0, incidents: rows.map((r) => ({ id: r.id, since: r.since.toISOString(), reason: r.reason })) };
  }

  private async checkPostgres(): Promise<CheckResult> {
    try {
      await withTimeout(this.db.query('SELECT 1'), 'Postgres');
      return { ok: true, detail: 'answers' };
    } catch (err) {
      return { ok: false, detail: `does not answer: ${describeError(err)}` };
    }
  }

  private async checkTemporal(): Promise<CheckResult> {
    try {
      const connection = this.temporalClient.connection;
      await connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
        connection.workflowService.getSystemInfo({}),
      );
      return { ok: true, detail: 'answers' };
    } catch (err) {
      return { ok: false, detail: `does not answer: ${describeError(err)}` };
    }
  }

  private async checkWorker(): Promise<CheckResult> {
    try {
      const taskQueue = this.config.temporal.taskQueue;
      const connection = this.temporalClient.connection;
      const res = await connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
        connection.workflowService.describeTaskQueue({
          namespace: this.temporalClient.options.namespace,
          taskQueue: { name: taskQueue },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        }),
      );
      const now = Date.now();
      const fresh = (res.pollers ?? []).filter((p) => isLivePoll(p.lastAccessTime, now));
      return fresh.length > 0
        ? { ok: true, detail: `${fresh.length} poller(s) on task queue '${taskQueue}'` }
        : { ok: false, detail: `no worker polls task queue '${taskQueue}'` };
    } catch (err) {
      return { ok: false, detail: `task queue not readable: ${describeError(err)}` };
    }
  }
}

async function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
