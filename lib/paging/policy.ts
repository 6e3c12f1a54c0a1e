import { z } from 'zod';
import { PalisadeError } from '../errors';
import { ALERT_CATEGORIES } from '../intake/alert';
import { SEVERITIES, type Severity } from '../domain/incident';
import { readRunbookFile } from '../runbook-file';

/**
 * Whether an incident pages someone, opens a ticket, both or neither (`runbooks/paging.yaml`).
 * Decided once, when the incident opens, from its routing rule, playbook, first alert's
 * category and the incident's severity; the first policy that matches decides.
 */
const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.infer<T>[]);

const policySchema = z
  .object({
    name: z.string().min(1),
    match: z
      .object({
        /** The routing rule (runbooks/routing.yaml) that opened the incident. */
        rule: oneOrMany(z.string().min(1)).optional(),
        playbook: oneOrMany(z.string().min(1)).optional(),
        category: oneOrMany(z.enum(ALERT_CATEGORIES)).optional(),
        minSeverity: z.enum(SEVERITIES).optional(),
        maxSeverity: z.enum(SEVERITIES).optional(),
      })
      .strict()
      .default({}),
    /** Page this PagerDuty service (a name under settings.pagerduty.services in runbooks/providers.yaml). */
    page: z.object({ service: z.string().min(1) }).strict().optional(),
    /** Open a ticket in this Jira project (its key). */
    ticket: z.object({ project: z.string().min(1) }).strict().optional(),
  })
  .strict();

const fileSchema = z.object({ policies: z.array(policySchema).default([]) }).strict();

export type PagingRule = z.infer<typeof policySchema>;

export interface PagingPolicy {
  file: string;
  policies: PagingRule[];
}

/** What the policy says about one incident. */
export interface PagingDecision {
  /** The policy that matched, or null when none did (then: neither). */
  policy: string | null;
  page: { service: string } | null;
  ticket: { project: string } | null;
}

/** What the policy is asked about. */
export interface PagingSubject {
  rule: string | null;
  playbook: string;
  category: string | null;
  severity: Severity;
}

export function loadPagingPolicy(file: string): PagingPolicy {
  const parsed = readRunbookFile(
    file,
    fileSchema,
    (reason) =>
      new PalisadeError(
        'paging_policy_invalid',
        `Paging policy ${file}: ${reason}.`,
        'Each policy needs a name, an optional match (rule, playbook, category, minSeverity, maxSeverity) and page: { service } and/or ticket: { project }; the comment at the top of runbooks/paging.yaml shows them.',
      ),
  );
  return { file, policies: parsed.policies };
}

const rank = (s: Severity) => SEVERITIES.indexOf(s);

/** The first policy whose every condition holds decides; none: neither page nor ticket. */
export function decidePaging(policy: PagingPolicy, subject: PagingSubject): PagingDecision {
  for (const p of policy.policies) {
    const m = p.match;
    if (m.rule && (!subject.rule || !m.rule.includes(subject.rule))) continue;
    if (m.playbook && !m.playbook.includes(subject.playbook)) continue;
    if (m.category && (!subject.category || !(m.category as string[]).includes(subject.category))) continue;
    if (m.minSeverity && rank(subject.severity) < rank(m.minSeverity)) continue;
    if (m.maxSeverity && rank(subject.severity) > rank(m.maxSeverity)) continue;
    return { policy: p.name, page: p.page ?? null, ticket: p.ticket ?? null };
  }
  return { policy: null, page: null, ticket: null };
}

/** The decision in a sentence (routing test, timeline). */
export function describePaging(d: PagingDecision): string {
  const what = [d.page ? `page ${d.page.service}` : null, d.ticket ? `ticket in ${d.ticket.project}` : null].filter(Boolean);
  if (!d.policy) return 'no paging policy matches: neither page nor ticket';
  return `paging policy '${d.policy}': ${what.length > 0 ? what.join(' and ') : 'neither page nor ticket'}`;
}
