import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { IncidentEntity } from '../../../lib/db/entities/incident.entity';
import type { Classification } from '../../../lib/domain/classification';
import type { PostmortemEventRow } from '../../../lib/postmortem/events';
import { MILESTONE_EVENT_TYPES, milestonesOf } from '../../../lib/postmortem/times';
import type { SlaPolicy } from '../../../lib/sla/policy';
import { judge, tally, type SlaTally } from '../../../lib/sla/status';
import { SLA_POLICY } from '../sla/sla.tokens';
import { falsePositiveRates, VENDOR_RULE_LABEL, type ClassifiedAlert, type FalsePositiveRate } from '../../../lib/reports/false-positives';
import { responseTimes, type ReportGrouping, type ResponseTimesGroup } from '../../../lib/reports/response-times';
import { ApiError } from '../common/error.filter';

/** The period a report covers when ?since= is left out: the 30 days before `until`. */
const DEFAULT_PERIOD_MS = 30 * 86_400_000;
/** At most this many incidents in one report: narrow the period for more. */
export const MAX_REPORT_INCIDENTS = 20_000;

export interface ReportFilter {
  since?: string;
  until?: string;
  playbook?: string;
}

export interface Period {
  since: string;
  until: string;
}

export interface ResponseTimesReport {
  period: Period;
  by: ReportGrouping | null;
  incidents: number;
  groups: ResponseTimesGroup[];
  /** Each target of the SLA policy (runbooks/sla.yaml): how many of these incidents met it, missed it, or are still within it. */
  sla: SlaTally[];
}

export interface FalsePositivesReport {
  period: Period;
  classified: number;
  unclassified: number;
  routingRules: FalsePositiveRate[];
  vendorRules: FalsePositiveRate[];
}

/** The vendor rule of an alert row `a` (lib/reports/false-positives.ts VENDOR_RULE_LABEL), its title when the source names none. */
const VENDOR_RULE_SQL = `COALESCE(NULLIF(CASE a.source ${Object.entries(VENDOR_RULE_LABEL)
  .filter(([, label]) => label !== null)
  .map(([source, label]) => `WHEN '${source}' THEN a.labels->>'${label}'`)
  .join(' ')} END, ''), a.title)`;

/**
 * Measures over many incidents, read from the projection and the timeline in Postgres (every
 * replica answers the same). Each incident's durations are its postmortem's (lib/postmortem/times.ts).
 */
@Injectable()
export class ReportsService {
  constructor(
    @InjectRepository(IncidentEntity) private readonly incidents: Repository<IncidentEntity>,
    @Inject(SLA_POLICY) private readonly sla: SlaPolicy,
  ) {}

  async responseTimes(filter: ReportFilter & { by?: ReportGrouping }): Promise<ResponseTimesReport> {
    const period = periodOf(filter);
    const qb = this.incidents.createQueryBuilder('i').where('i.detected_at >= :since AND i.detected_at < :until', period);
    if (filter.playbook) qb.andWhere('i.playbook = :playbook', { playbook: filter.playbook });
    const rows = await qb.orderBy('i.detected_at', 'ASC').limit(MAX_REPORT_INCIDENTS + 1).getMany();
    if (rows.length > MAX_REPORT_INCIDENTS) throw tooMany(period);
    const events = await this.milestoneEvents(rows.map((r) => r.id));
    const incidents = rows.map((incident) => ({ incident, events: events.get(incident.id) ?? [] }));
    const now = new Date();
    const verdicts = incidents.map(({ incident, events: own }) => judge(this.sla, incident, milestonesOf(incident, own).times, now));
    return { period, by: filter.by ?? null, incidents: rows.length, groups: responseTimes(incidents, filter.by), sla: tally(verdicts) };
  }

  async falsePositives(filter: ReportFilter): Promise<FalsePositivesReport> {
    const period = periodOf(filter);
    const params = [period.since, period.until, filter.playbook ?? null];
    const where = `i.detected_at >= $1 AND i.detected_at < $2 AND ($3::text IS NULL OR i.playbook = $3) AND i.status IN ('resolved', 'cancelled')`;
    const [counts] = await this.incidents.query<{ classified: number; unclassified: number }[]>(
      `SELECT count(*) FILTER (WHERE i.classification IS NOT NULL)::int AS classified, count(*) FILTER (WHERE i.classification IS NULL)::int AS unclassified FROM incidents i WHERE ${where}`,
      params,
    );
    if (counts.classified > MAX_REPORT_INCIDENTS) throw tooMany(period);
    const alerts = await this.incidents.query<{ incident_id: string; classification: Classification; source: string; rule: string | null; vendor_rule: string }[]>(
      `SELECT DISTINCT a.incident_id, i.classification, a.source, a.rule, ${VENDOR_RULE_SQL} AS vendor_rule
       FROM incidents i JOIN alerts a ON a.incident_id = i.id
       WHERE ${where} AND i.classification IS NOT NULL`,
      params,
    );
    const classified: ClassifiedAlert[] = alerts.map((a) => ({ incidentId: a.incident_id, classification: a.classification, source: a.source, routingRule: a.rule, vendorRule: a.vendor_rule }));
    return { period, ...counts, routingRules: falsePositiveRates(classified, 'routing'), vendorRules: falsePositiveRates(classified, 'vendor') };
  }

  /** The events the milestones read, per incident, oldest first. */
  private async milestoneEvents(ids: string[]): Promise<Map<string, PostmortemEventRow[]>> {
    const byIncident = new Map<string, PostmortemEventRow[]>();
    if (ids.length === 0) return byIncident;
    const rows = await this.incidents.query<(PostmortemEventRow & { incidentId: string })[]>(
      `SELECT incident_id AS "incidentId", sequence, type, occurred_at AS "occurredAt", actor, summary, data
       FROM timeline_events WHERE incident_id = ANY($1::uuid[]) AND type = ANY($2::text[]) ORDER BY incident_id, sequence`,
      [ids, MILESTONE_EVENT_TYPES],
    );
    for (const { incidentId, ...event } of rows) {
      const list = byIncident.get(incidentId) ?? [];
      list.push(event);
      byIncident.set(incidentId, list);
    }
    return byIncident;
  }
}

function periodOf(filter: ReportFilter): Period {
  const until = filter.until ? new Date(filter.until) : new Date();
  const since = filter.since ? new Date(filter.since) : new Date(until.getTime() - DEFAULT_PERIOD_MS);
  if (since.getTime() >= until.getTime()) {
    throw new ApiError(HttpStatus.BAD_REQUEST, 'invalid_period', `since (${since.toISOString()}) is not before until (${until.toISOString()}).`, 'Give a since earlier than until, e.g. ?since=2026-11-01T00:00:00Z&until=2026-12-01T00:00:00Z.');
  }
  return { since: since.toISOString(), until: until.toISOString() };
}

function tooMany(period: Period): ApiError {
  return new ApiError(
    HttpStatus.BAD_REQUEST,
    'period_too_large',
    `More than ${MAX_REPORT_INCIDENTS} incidents were detected between ${period.since} and ${period.until}.`,
    'Narrow the period (?since=, ?until=) or the playbook (?playbook=), and ask again per part.',
  );
}
