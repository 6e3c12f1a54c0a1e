import type { PostmortemEventRow, PostmortemIncidentRow } from '../postmortem/events';
import { milestonesOf, type IncidentDurations } from '../postmortem/times';
import { durationStats, type DurationStats } from './stats';

/** What a response-times report groups incidents by; none: one group of them all. */
export const REPORT_GROUPINGS = ['playbook', 'severity', 'source', 'day', 'week'] as const;
export type ReportGrouping = (typeof REPORT_GROUPINGS)[number];

/** The four measures, each the postmortem's own duration (lib/postmortem/times.ts) averaged over incidents. */
export const MEASURES = { mttd: 'toDetectMs', mtta: 'toAcknowledgeMs', mttc: 'toContainMs', mttr: 'toResolveMs' } as const satisfies Record<string, keyof IncidentDurations>;
export type Measure = keyof typeof MEASURES;

export interface ResponseTimesGroup {
  /** The playbook, severity, source or period start (YYYY-MM-DD, a week's Monday); `all` without grouping. */
  key: string;
  incidents: number;
  mttd: DurationStats;
  mtta: DurationStats;
  mttc: DurationStats;
  mttr: DurationStats;
}

/** One incident as a report reads it: its projection row and its milestone events, oldest first. */
export interface ReportIncident {
  incident: PostmortemIncidentRow;
  events: PostmortemEventRow[];
}

/**
 * Time to detect, acknowledge, contain and resolve over many incidents, per group. Each
 * incident's durations are exactly its postmortem's (and a game day scorecard's); an incident
 * counts in a measure only once it reached that milestone (an open incident has no time to
 * resolve). By source, an incident with alerts from two sources counts in both; one reported
 * by hand counts under `manual`. Groups are sorted by key.
 */
export function responseTimes(incidents: readonly ReportIncident[], by?: ReportGrouping): ResponseTimesGroup[] {
  const groups = new Map<string, IncidentDurations[]>();
  for (const { incident, events } of incidents) {
    const { durations, times } = milestonesOf(incident, [...events].sort((a, b) => a.sequence - b.sequence));
    for (const key of keysOf(incident, times.startedAt, by)) {
      const list = groups.get(key) ?? [];
      list.push(durations);
      groups.set(key, list);
    }
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, list]) => {
      const stat = (m: Measure) => durationStats(list.map((d) => d[MEASURES[m]]).filter((v): v is number => v !== null));
      return { key, incidents: list.length, mttd: stat('mttd'), mtta: stat('mtta'), mttc: stat('mttc'), mttr: stat('mttr') };
    });
}

function keysOf(incident: PostmortemIncidentRow, startedAt: string | null, by: ReportGrouping | undefined): string[] {
  switch (by) {
    case undefined:
      return ['all'];
    case 'playbook':
      return [incident.playbook];
    case 'severity':
      return [incident.severity];
    case 'source':
      return incident.sources.length > 0 ? [...new Set(incident.sources)] : ['manual'];
    case 'day':
      return [startedAt ? startedAt.slice(0, 10) : 'unknown'];
    case 'week':
      return [startedAt ? mondayOf(startedAt) : 'unknown'];
  }
}

/** The Monday (UTC) of the week an instant falls in, as YYYY-MM-DD. */
function mondayOf(isoTime: string): string {
  const d = new Date(isoTime.slice(0, 10) + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}
