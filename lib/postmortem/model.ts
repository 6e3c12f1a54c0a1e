import { classificationLabel, type Classification } from '../domain/classification';
import type { IncidentStatus, Severity } from '../domain/incident';
import { approvalsOf, type PostmortemApproval } from './approvals';
import { automationOf, type PostmortemAutomation } from './automation';
import { NO_LINKS, ownerOf, slaResultsOf, type PostmortemLinks, type PostmortemOwner, type PostmortemReviewState, type PostmortemSlaResult } from './case-work';
import { iso, list, record, text, type PostmortemEventRow, type PostmortemIncidentRow } from './events';
import { acknowledgementOf, closingEvent, milestonesOf, type IncidentDurations, type IncidentTimes } from './times';
import type { SlaPolicy } from '../sla/policy';

export type { PostmortemEventRow, PostmortemIncidentRow } from './events';
export type { PostmortemApproval } from './approvals';
export type { PostmortemAutomation } from './automation';
export type { PostmortemLinkedIncident, PostmortemLinks, PostmortemOwner, PostmortemReviewState, PostmortemSlaResult } from './case-work';

/** What the postmortem reads besides the incident's row and timeline (the API looks them up). */
export interface PostmortemContext {
  /** The SLA policy (runbooks/sla.yaml); absent: no SLA results. */
  sla?: SlaPolicy;
  links?: PostmortemLinks;
  review?: PostmortemReviewState | null;
}

/** What GET /incidents/:id/postmortem?format=json returns, and what the templates render. */
/** One page or ticket (lib/db/paging-outbox.ts): where it went, what the vendor called it, who acknowledged it. */
export interface PostmortemNotice {
  vendor: string;
  kind: 'page' | 'ticket' | 'chat';
  target: string;
  status: string;
  externalId: string | null;
  externalUrl: string | null;
  sentAt: string | null;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
}

export interface Postmortem {
  generatedAt: string;
  incident: {
    id: string;
    workflowId: string;
    title: string;
    playbook: string;
    playbookVersion: string;
    /** The build (worker version) its run started on, and the one that ran it last. */
    startedBuild: string | null;
    runningBuild: string | null;
    status: IncidentStatus;
    severity: Severity;
    entity: string | null;
  };
  summary: {
    openedBy: string | null;
    opening: string | null;
    closed: boolean;
    closedBy: string | null;
    /** Who acknowledged it first (a person, never the playbook); null: nobody did. */
    acknowledgedBy: string | null;
    /** The closing event's sentence (who resolved or cancelled it, and why). */
    closing: string | null;
    /** What it was, as whoever closed it said (`by`: a person, or `automation`); null: not classified. */
    classification: { classification: Classification; label: string; reason: string; by: string } | null;
  };
  /** Who owns it, and who gave it to whom when. */
  owner: PostmortemOwner;
  impact: {
    entity: string | null;
    severity: Severity;
    initialSeverity: Severity | null;
    severityChanges: { at: string; from: string; to: string; why: string }[];
    alertCount: number;
    sources: string[];
    firstAlertAt: string | null;
    lastAlertAt: string | null;
    /** Distinct findings merged in (up to 20 per batch, as the timeline keeps them). */
    alerts: { title: string; source: string; severity: string; observedAt: string | null }[];
  };
  /** The incident's milestones (lib/postmortem/times.ts). */
  times: IncidentTimes;
  /** All from `times.startedAt` (lib/postmortem/times.ts), plus the time spent waiting for approvals. */
  durations: IncidentDurations & {
    /** All approvals' waits added up: time the automation spent waiting for people. */
    waitingForApprovalMs: number;
  };
  /** Each SLA target that applies (runbooks/sla.yaml), met or missed; empty: none applies. */
  sla: PostmortemSlaResult[];
  /** Related incidents and merges. */
  links: PostmortemLinks;
  /** The review's state (/postmortems/:id); null: nobody has written on it yet. */
  review: PostmortemReviewState | null;
  approvals: PostmortemApproval[];
  automation: PostmortemAutomation;
  /** Every page and ticket sent for the incident, who acknowledged it and when (absent: none was asked for). */
  notices?: PostmortemNotice[];
  /** Responders' notes (POST /incidents/:id/notes), oldest first, as written (redacted). */
  notes: { at: string; author: string; text: string }[];
  timeline: { sequence: number; at: string; type: string; actor: string; summary: string }[];
  /** Suggested from what went wrong; the templates add empty rows to fill in. */
  actionItems: string[];
}

/**
 * Computes an incident's postmortem from its projection row and its whole timeline (oldest
 * first). Pure: the same inputs give the same model (`now` stamps `generatedAt` and judges SLA
 * targets not reached yet). `context` adds what lives elsewhere: the SLA policy, links, review. The
 * projection's columns win; the timeline fills in what they lack.
 */
export function buildPostmortem(incident: PostmortemIncidentRow, events: PostmortemEventRow[], now: Date = new Date(), context: PostmortemContext = {}): Postmortem {
  const ordered = [...events].sort((a, b) => a.sequence - b.sequence);
  const first = (type: string) => ordered.find((e) => e.type === type);
  const created = first('incident.created');
  const closing = closingEvent(incident.status, ordered);
  const closed = closing !== undefined || incident.status === 'resolved' || incident.status === 'cancelled';
  const { times, durations } = milestonesOf(incident, ordered);
  const acknowledgement = acknowledgementOf(ordered);

  const approvals = approvalsOf(ordered);
  const automation = automationOf(ordered, closed);
  return {
    generatedAt: now.toISOString(),
    incident: {
      id: incident.id,
      workflowId: incident.workflowId,
      title: incident.title,
      playbook: incident.playbook,
      playbookVersion: incident.playbookVersion,
      startedBuild: incident.startedBuild ?? null,
      runningBuild: incident.runningBuild ?? null,
      status: incident.status,
      severity: incident.severity,
      entity: incident.entity,
    },
    summary: {
      openedBy: created?.actor ?? null,
      opening: created?.summary ?? null,
      closed,
      closedBy: closing?.actor ?? null,
      acknowledgedBy: acknowledgement?.actor ?? null,
      closing: closing?.summary ?? null,
      classification: classificationOf(incident, closing),
    },
    owner: ownerOf(incident.assignee, ordered),
    impact: {
      entity: incident.entity,
      severity: incident.severity,
      initialSeverity: (text(created?.data ?? {}, 'severity') as Severity) || null,
      severityChanges: ordered
        .filter((e) => e.type === 'incident.severity-raised')
        .map((e) => ({ at: iso(e.occurredAt)!, from: text(e.data, 'from'), to: text(e.data, 'to'), why: e.summary })),
      alertCount: incident.alertCount,
      sources: incident.sources,
      firstAlertAt: iso(incident.firstAlertAt),
      lastAlertAt: iso(incident.lastAlertAt),
      alerts: mergedAlerts(ordered),
    },
    times,
    durations: { ...durations, waitingForApprovalMs: approvals.reduce((sum, a) => sum + (a.waitedMs ?? 0), 0) },
    sla: slaResultsOf(context.sla, incident, times, now),
    links: context.links ?? NO_LINKS,
    review: context.review ?? null,
    approvals,
    automation,
    notes: ordered.filter((e) => e.type === 'incident.note').map((e) => ({ at: iso(e.occurredAt)!, author: e.actor, text: text(e.data, 'text') })),
    timeline: ordered.map((e) => ({ sequence: e.sequence, at: iso(e.occurredAt)!, type: e.type, actor: e.actor, summary: e.summary })),
    actionItems: suggestedActions(approvals, automation),
  };
}

/** The projection's classification, or (a row read without it) the closing event's. */
function classificationOf(incident: PostmortemIncidentRow, closing: PostmortemEventRow | undefined): Postmortem['summary']['classification'] {
  const data = closing?.data ?? {};
  const classification = incident.classification ?? ((text(data, 'classification') || null) as Classification | null);
  if (!classification) return null;
  const reason = incident.classification ? (incident.classificationReason ?? '') : text(data, 'classificationReason');
  const by = incident.classification ? (incident.classifiedBy ?? '') : text(data, 'classifiedBy');
  return { classification, label: classificationLabel(classification), reason, by };
}

/** The distinct findings the `alerts.merged` events carry, by fingerprint, oldest first. */
function mergedAlerts(events: PostmortemEventRow[]): Postmortem['impact']['alerts'] {
  const seen = new Map<string, Postmortem['impact']['alerts'][number]>();
  for (const e of events) {
    if (e.type !== 'alerts.merged') continue;
    for (const item of list(e.data.evidence)) {
      const a = record(item);
      const key = text(a, 'fingerprint') || text(a, 'alertId');
      if (seen.has(key)) continue;
      seen.set(key, { title: text(a, 'title'), source: text(a, 'source'), severity: text(a, 'severity'), observedAt: iso(text(a, 'observedAt')) });
    }
  }
  return [...seen.values()];
}

/** Follow-ups the timeline makes plain: what failed, what was left undone, who did not answer. */
function suggestedActions(approvals: PostmortemApproval[], automation: PostmortemAutomation): string[] {
  const items: string[] = [];
  for (const c of automation.compensations) {
    if (c.outcome === 'failed') items.push(`Undo "${c.name}" by hand: the playbook could not (${c.error ?? 'no reason recorded'}).`);
  }
  for (const s of automation.failedSteps) {
    if (!s.compensation) items.push(`Find out why "${s.name}" failed after ${s.attempts} attempt(s) (${s.error ?? 'no reason recorded'}), and whether it still needs doing.`);
  }
  for (const s of automation.steps) {
    if (s.outcome === 'skipped') items.push(`Follow up on a skipped step: ${s.error ?? s.name}.`);
  }
  for (const a of approvals) {
    if (a.outcome === 'expired' || a.outcome === 'paused') {
      items.push(`Nobody decided "${a.step}" in time (${a.escalations.length} escalation(s), fallback ${a.fallback ?? 'unknown'}): check who may approve it and the policy's timeouts.`);
    }
  }
  return items;
}
