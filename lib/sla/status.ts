import type { Severity } from '../domain/incident';
import type { IncidentTimes } from '../postmortem/times';
import { goalsFor, type SlaGoal, type SlaMeasure, type SlaPolicy } from './policy';

/** The milestone each measure waits for, as the postmortem's times name it. */
const REACHED: Record<SlaMeasure, keyof IncidentTimes> = { acknowledge: 'acknowledgedAt', contain: 'containedAt', resolve: 'resolvedAt' };

export interface SlaVerdict {
  goal: SlaGoal;
  dueAt: string;
  /** met: reached in time; missed: reached late, or not reached and past due; pending: not yet due. */
  state: 'met' | 'missed' | 'pending';
  /** The milestone was reached (in time or late). */
  reached: boolean;
  /** When it was reached (null: not reached). */
  reachedAt: string | null;
}

/**
 * Each of an incident's targets judged at `now`: due from its first sign (times.startedAt). A
 * closed incident's unreached targets are over: cancelled or resolved without containment
 * meets nothing more, and is judged only on what it reached (an unreached one counts as missed
 * only if it came due while the incident was open).
 */
export function judge(policy: SlaPolicy, incident: { playbook: string; severity: Severity }, times: IncidentTimes, now: Date): SlaVerdict[] {
  const start = times.startedAt ? Date.parse(times.startedAt) : null;
  if (start === null) return [];
  const end = times.closedAt ? Date.parse(times.closedAt) : now.getTime();
  return goalsFor(policy, incident).flatMap((goal): SlaVerdict[] => {
    const due = start + goal.ms;
    const reached = times[REACHED[goal.measure]];
    const dueAt = new Date(due).toISOString();
    if (reached) return [{ goal, dueAt, state: Date.parse(reached) <= due ? 'met' : 'missed', reached: true, reachedAt: reached }];
    if (due < end) return [{ goal, dueAt, state: 'missed', reached: false, reachedAt: null }];
    // Closed before it came due without reaching it (e.g. cancelled before containment): nothing to judge.
    return times.closedAt ? [] : [{ goal, dueAt, state: 'pending', reached: false, reachedAt: null }];
  });
}

/** What GET /incidents shows: the next target not yet met, when it is due, and the time left (negative: overdue). */
export interface SlaClock {
  measure: SlaMeasure;
  target: string;
  dueAt: string;
  timeLeftMs: number;
}

/** The open incident's most pressing target: an overdue one first, else the next due; null when none is left. */
export function nextClock(verdicts: SlaVerdict[], now: Date): SlaClock | null {
  const waiting = verdicts.filter((v) => !v.reached);
  if (waiting.length === 0) return null;
  const next = waiting.sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt))[0];
  return { measure: next.goal.measure, target: next.goal.target, dueAt: next.dueAt, timeLeftMs: Date.parse(next.dueAt) - now.getTime() };
}

/** Per policy rule and measure: how many incidents met it, missed it, or are still within it. */
export interface SlaTally {
  rule: string;
  measure: SlaMeasure;
  target: string;
  met: number;
  missed: number;
  pending: number;
}

export function tally(verdicts: SlaVerdict[][]): SlaTally[] {
  const rows = new Map<string, SlaTally>();
  for (const v of verdicts.flat()) {
    const key = `${v.goal.rule}|${v.goal.measure}`;
    const row = rows.get(key) ?? { rule: v.goal.rule, measure: v.goal.measure, target: v.goal.target, met: 0, missed: 0, pending: 0 };
    row[v.state] += 1;
    rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : a.measure < b.measure ? -1 : 1));
}
