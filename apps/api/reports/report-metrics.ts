import { Inject, Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { MEASURES, type Measure } from '../../../lib/reports/response-times';
import { SharedRead } from '../common/shared-read';
import { MetricsService } from '../metrics/metrics.service';
import { ReportsService } from './reports.service';

/** The period the gauges cover: the last 30 days, as GET /reports/response-times by default. */
const PERIOD_MS = 30 * 86_400_000;
/** /metrics is public and a report reads many rows: at most one read a minute, however many scrape. */
const REPORT_TTL_MS = 60_000;

/**
 * GET /reports as Prometheus gauges, read from Postgres (the same on every replica): MTTD, MTTA,
 * MTTC and MTTR per playbook over the last 30 days (mean, median, p90, in seconds), and the
 * false-positive ratio per routing rule. Dashboards and alert rules read these; for another
 * period or grouping, ask GET /reports.
 */
@Injectable()
export class ReportMetrics {
  constructor(@Inject(MetricsService) metrics: MetricsService, @Inject(ReportsService) reports: ReportsService) {
    const since = () => new Date(Date.now() - PERIOD_MS).toISOString();
    const times = new SharedRead(() => reports.responseTimes({ since: since(), by: 'playbook' }), REPORT_TTL_MS);
    const fp = new SharedRead(() => reports.falsePositives({ since: since() }), REPORT_TTL_MS);
    new Gauge({
      name: 'palisade_incident_response_seconds',
      help: 'Time to detect (mttd), acknowledge (mtta), contain (mttc) and resolve (mttr) over the incidents of the last 30 days, by playbook; stat mean, median or p90.',
      labelNames: ['measure', 'playbook', 'stat'] as const,
      registers: [metrics.registry],
      async collect() {
        const report = await times.get().catch(() => undefined);
        this.reset();
        for (const g of report?.groups ?? []) {
          for (const measure of Object.keys(MEASURES) as Measure[]) {
            const s = g[measure];
            if (s.count === 0) continue;
            this.set({ measure, playbook: g.key, stat: 'mean' }, s.meanMs! / 1000);
            this.set({ measure, playbook: g.key, stat: 'median' }, s.medianMs! / 1000);
            this.set({ measure, playbook: g.key, stat: 'p90' }, s.p90Ms! / 1000);
          }
        }
      },
    });
    new Gauge({
      name: 'palisade_false_positive_ratio',
      help: 'Share of the classified incidents of the last 30 days (test and duplicate left out) that were false positives, by routing rule.',
      labelNames: ['rule'] as const,
      registers: [metrics.registry],
      async collect() {
        const report = await fp.get().catch(() => undefined);
        this.reset();
        for (const r of report?.routingRules ?? []) this.set({ rule: r.rule }, r.rate);
      },
    });
  }
}
