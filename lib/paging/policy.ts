import { z } from 'zod';
import { PalisadeError } from '../errors';
import { ALERT_CATEGORIES } from '../intake/alert';
import { SEVERITIES, type Severity } from '../domain/incident';
import { readRunbookFile } from '../runbook-file';
import { DURATION_PATTERN, durationMs } from '../duration';
import { Capability } from '../providers/capabilities';
import { VENDORS } from '../providers/providers-file';

/**
 * Whether an incident pages someone, opens a ticket, both or neither (`runbooks/paging.yaml`).
 * Decided once, when the incident opens, from its routing rule, playbook, first alert's
 * category and the incident's severity; the first policy that matches decides.
 */
const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.infer<T>[]);

/** Every paging vendor runbooks/providers.yaml knows (a vendor added there can be a channel at once). */
const PAGE_VIA = VENDORS[Capability.Paging].filter((v) => v !== 'none') as [string, ...string[]];
/** How long a channel has to accept a page, unless it says otherwise. */
export const DEFAULT_FALLBACK_AFTER = '2m';

/**
 * One channel a page may go through: a service of a paging vendor (`via`, by default the one
 * vendors.paging names in runbooks/providers.yaml), and how long it has to accept the page
 * before the next channel is tried.
 */
const channelSchema = z
  .object({
    via: z.enum(PAGE_VIA).optional(),
    service: z.string().min(1),
    fallbackAfter: z.string().regex(DURATION_PATTERN, 'must be a duration such as 30s, 2m or 1h').default(DEFAULT_FALLBACK_AFTER),
  })
  .strict();
export type PageChannel = z.infer<typeof channelSchema>;

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
    /**
     * Page this service (a name under settings.<vendor>.services in runbooks/providers.yaml); a
     * list names channels tried in order, each only when the one before refused the page or was
     * down past its fallbackAfter.
     */
    page: z
      .union([channelSchema, z.array(channelSchema).min(1)])
      .transform((v) => (Array.isArray(v) ? v : [v]))
      .optional(),
    /** Open a ticket in this Jira project (its key). */
    ticket: z.object({ project: z.string().min(1) }).strict().optional(),
    /** Post the incident to this Slack channel (a name `#sec-incidents` or an id `C0…`), once, kept up to date, milestones in its thread. */
    post: z.object({ channel: z.string().regex(/^(#[a-z0-9][a-z0-9._-]*|[CG][A-Z0-9]+)$/, 'must be a channel name such as #sec-incidents or a channel id such as C0123ABCD') }).strict().optional(),
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
  /** The first channel to page, or null: no page. */
  page: PageChannel | null;
  /** The channels after it, in order, each tried only if the one before refused or was down. */
  fallback: PageChannel[];
  ticket: { project: string } | null;
  /** The Slack channel the incident is posted to, or null: no post. */
  post: { channel: string } | null;
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
    const [page = null, ...fallback] = p.page ?? [];
    return { policy: p.name, page, fallback, ticket: p.ticket ?? null, post: p.post ?? null };
  }
  return { policy: null, page: null, fallback: [], ticket: null, post: null };
}

/** The vendors runbooks/providers.yaml names for pages and tickets (null: none, nothing is sent). */
export interface PagingVendorNames {
  page: string | null;
  ticket: string | null;
  /** Whether Slack is connected (SLACK_BOT_TOKEN): undefined when not known (the post is then described without it). */
  chat?: boolean;
}

/**
 * The decision in a sentence (routing test, timeline). With the vendors, each channel says
 * which vendor it goes through, the fallback chain says when the next channel is tried, and a
 * page or ticket no vendor would send says so.
 */
export function describePaging(d: PagingDecision, vendors?: PagingVendorNames): string {
  if (!d.policy) return 'no paging policy matches: neither page nor ticket';
  const unsent = (capability: 'paging' | 'ticketing') => ` (not sent: vendors.${capability} in runbooks/providers.yaml is none)`;
  let page: string | null = null;
  if (d.page) {
    const chain = [d.page, ...d.fallback];
    if (!vendors) page = `page ${chain.map(describeChannel).join(', else ')}`;
    else if (!vendors.page) page = `page ${chain.map((c) => c.service).join(', else ')}${unsent('paging')}`;
    else {
      const through = (c: PageChannel) => `${c.service} through ${c.via ?? vendors.page}`;
      page = `page ${through(chain[0])}${chain
        .slice(1)
        .map((c, i) => `, falling back (refused, or nothing accepted within ${chain[i].fallbackAfter}) to ${through(c)}`)
        .join('')}`;
    }
  }
  let ticket: string | null = null;
  if (d.ticket) ticket = `ticket in ${d.ticket.project}${vendors ? (vendors.ticket ? ` through ${vendors.ticket}` : unsent('ticketing')) : ''}`;
  let post: string | null = null;
  if (d.post) post = `post to ${d.post.channel} in Slack${vendors?.chat === false ? ' (not sent: Slack is not connected)' : ''}`;
  const what = [page, ticket, post].filter(Boolean);
  return `paging policy '${d.policy}': ${what.length > 0 ? what.join(vendors && what.length > 1 && page ? '; and ' : ' and ') : 'neither page nor ticket'}`;
}

/** A channel in words: "secops-oncall" (the default vendor), "pagerduty secops-oncall" when it names one; its fallbackAfter when not the default. */
export function describeChannel(c: PageChannel): string {
  const after = c.fallbackAfter === DEFAULT_FALLBACK_AFTER ? '' : ` (falls back after ${c.fallbackAfter})`;
  return `${c.via ? `${c.via} ` : ''}${c.service}${after}`;
}

export function fallbackAfterMs(c: PageChannel): number {
  return durationMs(c.fallbackAfter);
}
