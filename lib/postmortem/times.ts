import type { IncidentStatus } from '../domain/incident';
import type { TimelineEventType } from '../domain/timeline';
import { between, iso, ms, text, type PostmortemEventRow, type PostmortemIncidentRow } from './events';

/**
 * An incident's milestones. `startedAt`: the first alert observed (or when it was reported by
 * hand); `openedAt`: Palisade opened it and its playbook took over.
 */
export interface IncidentTimes {
  startedAt: string | null;
  openedAt: string | null;
  acknowledgedAt: string | null;
  containedAt: string | null;
  resolvedAt: string | null;
  /** Resolved or cancelled. */
  closedAt: string | null;
}

/** All from `startedAt`, so they add up: detect ≤ acknowledge ≤ contain ≤ resolve. Null: not reached. */
export interface IncidentDurations {
  toDetectMs: number | null;
  toAcknowledgeMs: number | null;
  toContainMs: number | null;
  toResolveMs: number | null;
  /** To resolved or cancelled. */
  toCloseMs: number | null;
}

/** The only timeline events the milestones read: a report over many incidents loads just these. */
export const MILESTONE_EVENT_TYPES: readonly TimelineEventType[] = ['incident.created', 'incident.status-changed', 'incident.acknowledged', 'notice.acknowledged', 'incident.resolved', 'incident.cancelled'];

/**
 * The one definition of an incident's times and durations (time to detect, acknowledge,
 * contain, resolve): the postmortem, the game day scorecard and GET /reports/response-times
 * all use it. `ordered`: its timeline oldest first (only MILESTONE_EVENT_TYPES are read). The
 * projection's columns win; the timeline fills in what they lack.
 */
export function milestonesOf(incident: PostmortemIncidentRow, ordered: PostmortemEventRow[]): { times: IncidentTimes; durations: IncidentDurations } {
  const first = (type: string, match: (e: PostmortemEventRow) => boolean = () => true) => ordered.find((e) => e.type === type && match(e));
  const statusEvent = (status: IncidentStatus) => first('incident.status-changed', (e) => text(e.data, 'status') === status);
  const created = first('incident.created');
  const closing = closingEvent(incident.status, ordered);
  const closed = closing !== undefined || incident.status === 'resolved' || incident.status === 'cancelled';

  const earliest = [ms(incident.firstAlertAt), ms(incident.detectedAt)].filter((t): t is number => t !== null);
  const startedAt = earliest.length > 0 ? new Date(Math.min(...earliest)).toISOString() : null;
  const times: IncidentTimes = {
    startedAt,
    openedAt: iso(created?.occurredAt) ?? iso(incident.detectedAt),
    // A person's: the playbook's own `acknowledged` (runs from before it said `responding`) is not one.
    acknowledgedAt: iso(acknowledgementOf(ordered)?.occurredAt) ?? (statusEvent('acknowledged') ? null : iso(incident.acknowledgedAt)),
    containedAt: iso(incident.containedAt) ?? iso(statusEvent('contained')?.occurredAt),
    resolvedAt: incident.status === 'resolved' ? (iso(incident.resolvedAt) ?? iso(closing?.occurredAt)) : null,
    closedAt: closed ? (iso(incident.resolvedAt) ?? iso(closing?.occurredAt)) : null,
  };
  return {
    times,
    durations: {
      toDetectMs: between(startedAt, times.openedAt),
      toAcknowledgeMs: between(startedAt, times.acknowledgedAt),
      toContainMs: between(startedAt, times.containedAt),
      toResolveMs: between(startedAt, times.resolvedAt),
      toCloseMs: between(startedAt, times.closedAt),
    },
  };
}

/** The event that closed the incident as it stands (the last resolve or cancel; none while open). */
export function closingEvent(status: IncidentStatus, ordered: PostmortemEventRow[]): PostmortemEventRow | undefined {
  const type = status === 'resolved' ? 'incident.resolved' : status === 'cancelled' ? 'incident.cancelled' : undefined;
  return type ? [...ordered].reverse().find((e) => e.type === type) : undefined;
}

/** The first person to acknowledge the incident: in Palisade (API, CLI, web, Slack) or in the pager. */
export function acknowledgementOf(ordered: PostmortemEventRow[]): PostmortemEventRow | undefined {
  return ordered.filter((e) => e.type === 'incident.acknowledged' || e.type === 'notice.acknowledged').sort((a, b) => (ms(a.occurredAt) ?? 0) - (ms(b.occurredAt) ?? 0))[0];
}
