import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import type { PalisadeConfig } from '../../../lib/config/env';
import { IncidentEntity } from '../../../lib/db/entities/incident.entity';
import { enqueuePage, type PagingPlan } from '../../../lib/db/paging-outbox';
import { insertTimelineEvent } from '../../../lib/db/timeline-insert';
import { describeError } from '../../../lib/errors';
import { formatDuration } from '../../../lib/postmortem/format';
import { milestonesOf } from '../../../lib/postmortem/times';
import { SLA_MEASURES, type SlaPolicy } from '../../../lib/sla/policy';
import { durationMs } from '../../../lib/duration';
import { judge, type SlaVerdict } from '../../../lib/sla/status';
import { PALISADE_CONFIG } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { SLA_PAGING, SLA_POLICY } from './sla.tokens';

/** The timeline event of a breach: one per incident and measure, whichever API records it. */
const breachEventId = (incidentId: string, measure: SlaVerdict['goal']['measure']) => `${incidentId}#sla:${measure}`;

/**
 * Open incidents judged per statement. A sweep over thousands (a worm across a fleet) reads
 * and judges them a page at a time, so it never holds the API's event loop, and with it the
 * webhook door, for all of them at once (issue 22: one read of every open incident stalled the
 * door 390 ms).
 */
export const SLA_SWEEP_PAGE = 500;

/**
 * A page of the open incidents a target may have come due for: first seen at `dueSince` or
 * before (nothing is due sooner than the policy's shortest target), after `after` in id order.
 * Only the columns the judgement reads.
 */
export function slaCandidates(db: DataSource, dueSince: Date, after: string | undefined, limit = SLA_SWEEP_PAGE): Promise<IncidentEntity[]> {
  const query = db
    .getRepository(IncidentEntity)
    .createQueryBuilder('i')
    .select(['i.id', 'i.severity', 'i.status', 'i.playbook', 'i.firstAlertAt', 'i.detectedAt', 'i.acknowledgedAt', 'i.containedAt', 'i.resolvedAt'])
    .where(`i.status NOT IN ('resolved', 'cancelled')`)
    // As times.startedAt: the earlier of the first alert and detection (LEAST skips a null).
    .andWhere(`LEAST(i.first_alert_at, i.detected_at) <= :dueSince`, { dueSince });
  if (after !== undefined) query.andWhere('i.id > :after', { after });
  return query.orderBy('i.id').limit(limit).getMany();
}

/** The sentence of each measure not reached in time. */
const MISSED: Record<SlaVerdict['goal']['measure'], string> = { acknowledge: 'not acknowledged', contain: 'not contained', resolve: 'not resolved' };

/**
 * Looks for missed SLA targets (runbooks/sla.yaml) every `slaCheckMs`: each open incident's
 * targets judged from its projection row, as the postmortem times it. A breach is written once
 * per incident and measure whichever API finds it: under the incident's row lock, its timeline
 * event (`<incident>#sla:<measure>`) decides; the same transaction queues the page through the
 * paging outbox (one sender delivers it) and this replica counts it on
 * palisade_sla_breaches_total (summed across replicas).
 */
@Injectable()
export class SlaWatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('SlaWatcher');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly breaches: Counter<'measure' | 'severity'>;
  /** The policy's shortest target: nothing is due sooner after an incident's first sign (undefined: no targets). */
  private readonly soonestMs: number | undefined;

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
    @Inject(SLA_POLICY) private readonly policy: SlaPolicy,
    @Inject(SLA_PAGING) private readonly paging: PagingPlan,
    @Inject(MetricsService) metrics: MetricsService,
  ) {
    const targets = policy.targets.flatMap((t) => SLA_MEASURES.flatMap((m) => (t[m] ? [durationMs(t[m])] : [])));
    this.soonestMs = targets.length > 0 ? Math.min(...targets) : undefined;
    this.breaches = new Counter({
      name: 'palisade_sla_breaches_total',
      help: 'SLA targets (runbooks/sla.yaml) missed by open incidents, by measure (acknowledge, contain, resolve) and severity; each counted by the one API that recorded it.',
      labelNames: ['measure', 'severity'] as const,
      registers: [metrics.registry],
    });
  }

  onApplicationBootstrap(): void {
    if (this.config.api.slaCheckMs === 0 || this.policy.targets.length === 0) return;
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .then(() => undefined)
        .catch((err: unknown) => this.log.warn(`SLA check failed: ${describeError(err)}`))
        .finally(() => (this.running = undefined));
    }, this.config.api.slaCheckMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /**
   * One look at every open incident a target may have come due for (SLA_SWEEP_PAGE at a time);
   * answers how many breaches this call recorded. A target
   * whose breach is recorded already (its timeline event) is left alone: its incident is not
   * locked again, so old breaches cost one index look-up per sweep and never wait on a
   * responder's transaction.
   */
  async sweep(now = new Date()): Promise<number> {
    if (this.soonestMs === undefined) return 0;
    const dueSince = new Date(now.getTime() - this.soonestMs);
    let recorded = 0;
    let after: string | undefined;
    for (;;) {
      const page = await slaCandidates(this.db, dueSince, after);
      recorded += await this.judgePage(page, now);
      if (page.length < SLA_SWEEP_PAGE) return recorded;
      after = page.at(-1)!.id;
    }
  }

  private async judgePage(open: IncidentEntity[], now: Date): Promise<number> {
    const missed = open.flatMap((incident) =>
      judge(this.policy, incident, milestonesOf(incident, []).times, now)
        .filter((v) => v.state === 'missed' && !v.reached)
        .map((v) => ({ incident, v, eventId: breachEventId(incident.id, v.goal.measure) })),
    );
    if (missed.length === 0) return 0;
    const known = await this.db.query<{ id: string }[]>(`SELECT id FROM timeline_events WHERE id = ANY($1::text[])`, [missed.map((m) => m.eventId)]);
    const recordedBefore = new Set(known.map((r) => r.id));
    let recorded = 0;
    for (const { incident, v } of missed.filter((m) => !recordedBefore.has(m.eventId))) {
      if (await this.breach(incident, v, now)) recorded += 1;
    }
    return recorded;
  }

  /** Records one breach unless another API (or an earlier sweep) did; true when this call did. */
  private async breach(incident: IncidentEntity, v: SlaVerdict, now: Date): Promise<boolean> {
    const { measure, target, rule, page } = v.goal;
    const eventId = breachEventId(incident.id, measure);
    const recorded = await this.db.transaction(async (tx) => {
      const [row] = await tx.query<{ status: string }[]>(`SELECT status FROM incidents WHERE id = $1 FOR UPDATE`, [incident.id]);
      if (!row || row.status === 'resolved' || row.status === 'cancelled') return false;
      const [earlier] = await tx.query<unknown[]>(`SELECT 1 FROM timeline_events WHERE id = $1`, [eventId]);
      if (earlier) return false;
      const paged = page ? await enqueuePage(tx, this.paging, { incidentId: incident.id, ref: `sla:${measure}`, service: page, policy: `SLA ${rule}: ${measure} within ${target}`, detail: { sla: { measure, target, rule } } }) : null;
      const late = formatDuration(now.getTime() - Date.parse(v.dueAt));
      await insertTimelineEvent(tx, {
        id: eventId,
        incidentId: incident.id,
        sequence: null,
        type: 'sla.breached',
        occurredAt: now.toISOString(),
        actor: 'palisade',
        summary: `SLA missed: ${MISSED[measure]} within ${target} (${rule}), ${late} past due${paged ? `; paging ${page} through ${paged.vendor}` : page ? ' (no paging vendor: nobody paged)' : ''}`,
        data: { measure, target, rule, dueAt: v.dueAt, page: paged ? page : null, vendor: paged?.vendor ?? null },
      });
      return true;
    });
    if (recorded) this.breaches.inc({ measure, severity: incident.severity });
    return recorded;
  }
}
