import type { Severity } from '../domain/incident';
import type { SlaPolicy } from '../sla/policy';
import { judge } from '../sla/status';
import { iso, text, type PostmortemEventRow } from './events';
import type { IncidentTimes } from './times';

/** Who owned the incident: the owner now, and each change of owner the timeline has, oldest first. */
export interface PostmortemOwner {
  /** A person's id in runbooks/people.yaml; null: nobody. */
  assignee: string | null;
  assignments: {
    at: string;
    /** Who did it: a person, or `palisade` for an assignment rule. */
    by: string;
    /** assign, take, unassign; `rule` when runbooks/assignment.yaml gave it on open. */
    how: string;
    assignee: string | null;
    previous: string | null;
    reason: string | null;
    /** The timeline's sentence ("Taken by carol (was alice): I know this host"). */
    summary: string;
  }[];
}

/** One SLA target (runbooks/sla.yaml) as the incident did against it, judged by lib/sla/status.ts. */
export interface PostmortemSlaResult {
  measure: 'acknowledge' | 'contain' | 'resolve';
  /** As the policy writes it ("30m") and in ms. */
  target: string;
  targetMs: number;
  /** The policy entry it came from ("high", "host-compromise/high"). */
  rule: string;
  dueAt: string;
  /** When the milestone was reached (null: not reached) and how long after the first sign. */
  reachedAt: string | null;
  tookMs: number | null;
  /** met: reached in time; missed: reached late, or not reached and past due; pending: open and not due yet. */
  state: 'met' | 'missed' | 'pending';
}

/** Another incident, as this incident's postmortem names it. */
export interface PostmortemLinkedIncident {
  incidentId: string;
  /** From this incident's side: related, caused-by, causes, duplicate-of, duplicated-by. */
  relation: string;
  title: string;
  status: string;
  reason: string | null;
  /** Who linked or merged them, and when (null: not recorded, e.g. a duplicate that followed its own survivor). */
  by: string | null;
  at: string | null;
}

/** Related incidents (POST /incidents/:id/links) and merges (POST /incidents/:id/merge). */
export interface PostmortemLinks {
  /** The incident this one was merged into as a duplicate (its alerts went there); null: not merged. */
  duplicateOf: PostmortemLinkedIncident | null;
  /** Duplicates merged into this one. */
  mergedIn: PostmortemLinkedIncident[];
  /** Links other than merges. */
  related: PostmortemLinkedIncident[];
}

/** The state of the postmortem's review (/postmortems/:id), when responders have started one. */
export interface PostmortemReviewState {
  state: 'draft' | 'in_review' | 'published';
  /** The current revision (1, 2, …). */
  revision: number;
  /** Who signed the current revision off, and when. */
  signOffs: { reviewer: string; signedAt: string }[];
  /** The latest published revision (null: none yet). */
  published: { revision: number; publishedAt: string } | null;
}

export const NO_LINKS: PostmortemLinks = { duplicateOf: null, mergedIn: [], related: [] };

/** The owner now (the projection's) and every `incident.assigned` event. */
export function ownerOf(assignee: string | null | undefined, ordered: PostmortemEventRow[]): PostmortemOwner {
  const assignments = ordered
    .filter((e) => e.type === 'incident.assigned')
    .map((e) => ({
      at: iso(e.occurredAt)!,
      by: e.actor,
      how: text(e.data, 'how') || (text(e.data, 'rule') ? 'rule' : 'assign'),
      assignee: text(e.data, 'assignee') || null,
      previous: text(e.data, 'previous') || null,
      reason: text(e.data, 'reason') || null,
      summary: e.summary,
    }));
  return { assignee: assignee === undefined ? (assignments.at(-1)?.assignee ?? null) : assignee, assignments };
}

/**
 * Each SLA target that applies to the incident, met or missed: the same judgement the list's
 * time left, the breach sweep and the report make (lib/sla/status.ts `judge`), at `now`.
 */
export function slaResultsOf(policy: SlaPolicy | undefined, incident: { playbook: string; severity: Severity }, times: IncidentTimes, now: Date): PostmortemSlaResult[] {
  if (!policy) return [];
  const start = times.startedAt ? Date.parse(times.startedAt) : null;
  return judge(policy, incident, times, now).map((v) => ({
    measure: v.goal.measure,
    target: v.goal.target,
    targetMs: v.goal.ms,
    rule: v.goal.rule,
    dueAt: v.dueAt,
    reachedAt: v.reachedAt,
    tookMs: v.reachedAt && start !== null ? Date.parse(v.reachedAt) - start : null,
    state: v.state,
  }));
}
