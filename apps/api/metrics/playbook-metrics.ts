import { Inject, Injectable } from '@nestjs/common';
import { Gauge, Histogram } from 'prom-client';
import { DataSource, type EntityManager } from 'typeorm';
import { SharedRead } from '../common/shared-read';
import { MetricsService } from './metrics.service';

/** Events this far in the past are final: a transaction that commits late cannot slip in behind the cursor. */
const SETTLE_SECONDS = 2;
const BATCH = 5_000;
/** Batches one scrape folds at most; a long backlog is caught up over the next scrapes. */
const MAX_BATCHES = 4;
/** /metrics is public: what it reads from Postgres is read at most once this often, however many scrape. */
export const METRICS_TTL_MS = 2_000;

interface Finished {
  kind: 'step' | 'gate';
  playbook: string;
  name: string;
  outcome: string;
  seconds: number | null;
  recorded_at: string;
  id: string;
}

/**
 * Playbook figures for GET /metrics, read from Postgres when Prometheus scrapes: open incidents
 * by playbook (shared state, the same from every replica), and step durations and approval
 * waits folded in from timeline events no replica has folded yet. The cursor is shared
 * (metrics_cursors) and each batch is taken by one replica, so the histograms are summed
 * across replicas (`sum by (le, ...)`), each event counted once.
 */
@Injectable()
export class PlaybookMetrics {
  private readonly stepDuration: Histogram<'playbook' | 'step' | 'outcome'>;
  private readonly approvalWait: Histogram<'playbook' | 'outcome'>;

  constructor(
    @Inject(MetricsService) metrics: MetricsService,
    @Inject(DataSource) private readonly db: DataSource,
  ) {
    const registers = [metrics.registry];
    this.stepDuration = new Histogram({
      name: 'palisade_step_duration_seconds',
      help: 'Playbook steps from started to succeeded or failed (retries included), by playbook, step and outcome.',
      labelNames: ['playbook', 'step', 'outcome'] as const,
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
      registers,
    });
    this.approvalWait = new Histogram({
      name: 'palisade_approval_wait_seconds',
      help: 'Approval gates from requested to decided or expired, by playbook and outcome.',
      labelNames: ['playbook', 'outcome'] as const,
      buckets: [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 14400],
      registers,
    });
    const source = this.db;
    const snapshot = new SharedRead(async () => {
      const rows = await source
        .query<{ playbook: string; n: number }[]>(`SELECT playbook, count(*)::int AS n FROM incidents WHERE status NOT IN ('resolved', 'cancelled') GROUP BY playbook`)
        .catch(() => []);
      await this.fold();
      return rows;
    }, METRICS_TTL_MS);
    new Gauge({
      name: 'palisade_incidents_open',
      help: 'Incidents not resolved or cancelled, by playbook.',
      labelNames: ['playbook'] as const,
      registers,
      async collect() {
        const rows = await snapshot.get();
        this.reset();
        for (const r of rows) this.set({ playbook: r.playbook }, r.n);
      },
    });
  }

  /** Observes the steps and gates that finished since any replica last folded. */
  async fold(): Promise<void> {
    try {
      for (let batch = 0; batch < MAX_BATCHES; batch++) {
        const rows = await this.db.transaction((tx) => this.takeBatch(tx));
        // Taken by another replica right now: it counts these.
        if (!rows) return;
        for (const r of rows) {
          if (r.seconds === null || r.seconds < 0) continue;
          if (r.kind === 'step') this.stepDuration.observe({ playbook: r.playbook, step: r.name, outcome: r.outcome }, r.seconds);
          else this.approvalWait.observe({ playbook: r.playbook, outcome: r.outcome }, r.seconds);
        }
        if (rows.length < BATCH) return;
      }
    } catch {
      // Postgres away: the next scrape picks up where the last fold stopped.
    }
  }

  /** The next settled events after the shared cursor, and the cursor moved past them; undefined when another replica holds it. */
  private async takeBatch(tx: EntityManager): Promise<Finished[] | undefined> {
    const [cursor] = await tx.query<{ at: string; id: string }[]>(`SELECT at::text AS at, id FROM metrics_cursors WHERE name = 'timeline' FOR UPDATE SKIP LOCKED`);
    if (!cursor) return undefined;
    const rows = await tx.query<Finished[]>(
      `SELECT CASE WHEN e.type LIKE 'step.%' THEN 'step' ELSE 'gate' END AS kind, i.playbook,
              COALESCE(e.data->>'step', e.data->>'gateId', '') AS name,
              CASE e.type WHEN 'step.succeeded' THEN 'succeeded' WHEN 'step.failed' THEN 'failed'
                          WHEN 'gate.expired' THEN 'expired' ELSE COALESCE(e.data->>'outcome', 'decided') END AS outcome,
              EXTRACT(EPOCH FROM e.occurred_at - s.occurred_at)::float8 AS seconds,
              e.recorded_at::text AS recorded_at, e.id
       FROM timeline_events e
       JOIN incidents i ON i.id = e.incident_id
       LEFT JOIN LATERAL (
         SELECT s.occurred_at FROM timeline_events s
         WHERE s.incident_id = e.incident_id AND s.sequence < e.sequence
           AND ((e.type LIKE 'step.%' AND s.type = 'step.started' AND s.data->>'step' = e.data->>'step')
             OR (e.type LIKE 'gate.%' AND s.type = 'gate.requested' AND s.data->>'gateId' = e.data->>'gateId'))
         ORDER BY s.sequence DESC LIMIT 1) s ON true
       WHERE e.type IN ('step.succeeded', 'step.failed', 'gate.decided', 'gate.expired')
         AND (e.recorded_at, e.id) > ($1::timestamptz, $2)
         AND e.recorded_at < now() - make_interval(secs => $3)
       ORDER BY e.recorded_at, e.id
       LIMIT ${BATCH}`,
      [cursor.at, cursor.id, SETTLE_SECONDS],
    );
    const last = rows.at(-1);
    if (last) await tx.query(`UPDATE metrics_cursors SET at = $1, id = $2 WHERE name = 'timeline'`, [last.recorded_at, last.id]);
    return rows;
  }
}
