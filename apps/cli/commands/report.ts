import { formatDuration } from '../../../lib/postmortem/format';
import type { DurationStats } from '../../../lib/reports/stats';
import type { ApiClient } from './api-client';
import { instant } from './incidents';
import { printJson, say, table } from './output';

interface ResponseTimes {
  period: { since: string; until: string };
  by: string | null;
  incidents: number;
  groups: { key: string; incidents: number; mttd: DurationStats; mtta: DurationStats; mttc: DurationStats; mttr: DurationStats }[];
  /** Each SLA target (absent: an API from before SLA timers). */
  sla?: { rule: string; measure: string; target: string; met: number; missed: number; pending: number }[];
}

interface Rate {
  rule: string;
  incidents: number;
  falsePositives: number;
  rate: number;
}

interface FalsePositives {
  period: { since: string; until: string };
  classified: number;
  unclassified: number;
  routingRules: Rate[];
  vendorRules: Rate[];
}

export interface ReportOptions {
  since?: string;
  until?: string;
  by?: string;
  playbook?: string;
  json?: boolean;
}

/**
 * `palisade report`: MTTD, MTTA, MTTC and MTTR (count, mean, median, p90) per group, and the
 * false-positive rate per routing rule and per vendor rule, over a period (GET /reports/…).
 */
export async function report(client: ApiClient, opts: ReportOptions): Promise<void> {
  const period = { since: opts.since && instant(opts.since, '--since'), until: opts.until && instant(opts.until, '--until'), playbook: opts.playbook };
  const [times, fp] = await Promise.all([
    client.get<ResponseTimes>('/reports/response-times', { ...period, by: opts.by }),
    client.get<FalsePositives>('/reports/false-positives', period),
  ]);
  if (opts.json) return printJson({ responseTimes: times, falsePositives: fp });

  say(`Incidents detected ${times.period.since} → ${times.period.until}: ${times.incidents}`);
  say('');
  const cell = (s: DurationStats) => (s.count === 0 ? '—' : `${formatDuration(s.meanMs)} / ${formatDuration(s.medianMs)} / ${formatDuration(s.p90Ms)} (${s.count})`);
  say('Response times: mean / median / p90 (incidents that reached it)');
  say(table([(times.by ?? 'all').toUpperCase(), 'INCIDENTS', 'MTTD', 'MTTA', 'MTTC', 'MTTR'], times.groups.map((g) => [g.key, String(g.incidents), cell(g.mttd), cell(g.mtta), cell(g.mttc), cell(g.mttr)])));
  if (times.sla?.length) {
    say('');
    say('SLA targets (runbooks/sla.yaml)');
    say(table(['POLICY', 'MEASURE', 'TARGET', 'MET', 'MISSED', 'PENDING'], times.sla.map((t) => [t.rule, t.measure, t.target, String(t.met), t.missed ? `${t.missed} MISSED` : '0', String(t.pending)])));
  }
  say('');
  say(`False positives: ${fp.classified} classified incident(s), ${fp.unclassified} closed without a classification`);
  const rates = (title: string, list: Rate[]) => {
    say('');
    if (list.length === 0) return say(`${title}: none classified`);
    say(table([title, 'INCIDENTS', 'FALSE POSITIVES', 'RATE'], list.map((r) => [r.rule, String(r.incidents), String(r.falsePositives), `${Math.round(r.rate * 100)}%`])));
  };
  rates('ROUTING RULE', fp.routingRules);
  rates('VENDOR RULE', fp.vendorRules);
}
