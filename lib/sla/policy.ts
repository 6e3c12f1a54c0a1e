import { z } from 'zod';
import { SEVERITIES, type Severity } from '../domain/incident';
import { DURATION_PATTERN, durationMs } from '../duration';
import { PalisadeError } from '../errors';
import { readRunbookFile } from '../runbook-file';

/** What an SLA times, each from the incident's first sign (the postmortem's startedAt). */
export const SLA_MEASURES = ['acknowledge', 'contain', 'resolve'] as const;
export type SlaMeasure = (typeof SLA_MEASURES)[number];

const duration = z.string().regex(DURATION_PATTERN, 'must be a duration such as 15m, 1h or 4h');

const targetSchema = z
  .object({
    severity: z.enum(SEVERITIES),
    /** Only this playbook's incidents; without it, every playbook's (a playbook's own target wins). */
    playbook: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be a playbook name, e.g. host-compromise').optional(),
    acknowledge: duration.optional(),
    contain: duration.optional(),
    resolve: duration.optional(),
    /** Page this service (of the paging vendor, runbooks/providers.yaml) on a breach; default: the file's `page`. */
    page: z.string().min(1).optional(),
  })
  .strict()
  .refine((t) => t.acknowledge ?? t.contain ?? t.resolve, { message: 'needs at least one of acknowledge, contain, resolve' });

const fileSchema = z
  .object({
    /** The service paged on a breach unless a target names its own; none: a breach is on the timeline and the metric only. */
    page: z.string().min(1).optional(),
    targets: z.array(targetSchema).default([]),
  })
  .strict();

export type SlaTarget = z.infer<typeof targetSchema>;

export interface SlaPolicy {
  file: string;
  page?: string;
  targets: SlaTarget[];
}

/** One measure's target for one incident: how long, which rule of the file set it, and whom a breach pages. */
export interface SlaGoal {
  measure: SlaMeasure;
  ms: number;
  target: string;
  /** e.g. "high" or "host-compromise/high": the policy entry it came from. */
  rule: string;
  page: string | null;
}

/** Reads and checks the SLA policy (runbooks/sla.yaml); a file that is not there is an empty policy. */
export function loadSlaPolicy(file: string, exists: (f: string) => boolean): SlaPolicy {
  if (!exists(file)) return { file, targets: [] };
  const parsed = readRunbookFile(
    file,
    fileSchema,
    (reason) =>
      new PalisadeError('sla_policy_invalid', `SLA policy ${file}: ${reason}.`, 'Each target needs a severity, optionally a playbook, and one or more of acknowledge, contain, resolve (durations such as 15m); the comment at the top of runbooks/sla.yaml shows them.'),
  );
  return { file, ...parsed };
}

/**
 * The targets an incident is held to, per measure: a target for its playbook and severity wins
 * over one for its severity alone, measure by measure.
 */
export function goalsFor(policy: SlaPolicy, incident: { playbook: string; severity: Severity }): SlaGoal[] {
  const own = policy.targets.find((t) => t.playbook === incident.playbook && t.severity === incident.severity);
  const general = policy.targets.find((t) => t.playbook === undefined && t.severity === incident.severity);
  const goals: SlaGoal[] = [];
  for (const measure of SLA_MEASURES) {
    const from = own?.[measure] ? own : general?.[measure] ? general : undefined;
    if (!from) continue;
    goals.push({
      measure,
      ms: durationMs(from[measure]!),
      target: from[measure]!,
      rule: from.playbook ? `${from.playbook}/${from.severity}` : from.severity,
      page: from.page ?? policy.page ?? null,
    });
  }
  return goals;
}
