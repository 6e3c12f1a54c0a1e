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
import type { SlaPolicy } from '../../../lib/sla/policy';
import { judge, type SlaVerdict } from '../../../lib/sla/status';
import { PALISADE_CONFIG } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { SLA_PAGING, SLA_POLICY } from './sla.tokens';

/** The timeline event of a breach: one per incident and measure, whichever API records it. */
const breachEventId = (incidentId: string, measure: SlaVerdict['goal']['measure']) => `${incidentId}#sla:${measure}`;

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

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
    @Inject(SLA_POLICY) private readonly policy: SlaPolicy,
    @Inject(SLA_PAGING) private readonly paging: PagingPlan,
    @Inject(MetricsService) metrics: MetricsService,
  ) {
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
   * One look at every open incident; answers how many breaches this call recorded. A target
   * whose breach is recorded already (its timeline event) is left alone: its incident is not
   * locked again, so old breaches cost one index look-up per sweep and never wait on a
   * responder's transaction.
   */
  async sweep(now = new Date()): Promise<number> {
    const open = await this.db.getRepository(IncidentEntity).createQueryBuilder('i').where(`i.status NOT IN ('resolved', 'cancelled')`).getMany();
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
