import Handlebars from 'handlebars';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { PalisadeError } from '../errors';
import type { Catalogue } from '../playbooks/catalogue';
import { boundedKey } from './entity-key';
import { entityGlob } from './suppressions';
import { MAX_GLOB_PATTERN_CHARS } from './glob';
import { ALERT_CATEGORIES, ALERT_SEVERITIES, SOURCES, type Alert, type AlertSeverity } from './alert';
import { readRunbookFile } from '../runbook-file';

const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.infer<T>[]);

const duration = z.string().regex(/^\d+[smhd]$/, 'must be a duration such as 30m, 24h or 7d');

const ruleSchema = z
  .object({
    name: z.string().min(1),
    match: z
      .object({
        source: oneOrMany(z.enum(SOURCES)).optional(),
        category: oneOrMany(z.enum(ALERT_CATEGORIES)).optional(),
        severity: oneOrMany(z.enum(ALERT_SEVERITIES)).optional(),
        minSeverity: z.enum(ALERT_SEVERITIES).optional(),
        /** Label values to match exactly, or with `*` as a wildcard. */
        labels: z.record(z.string(), z.string().max(MAX_GLOB_PATTERN_CHARS)).optional(),
      })
      .strict()
      .default({}),
    playbook: z.string().optional(),
    action: z.literal('ignore').optional(),
    /** Handlebars template over the alert for the incident's entity key. */
    entityKey: z.string().min(1).default('{{entity.kind}}:{{entity.key}}'),
    /** An alert this soon after the incident was resolved reopens it instead of opening a new one ("30m", "24h", "7d"). */
    reopenWindow: duration.optional(),
    /**
     * A re-fire of the same detection (same fingerprint) for the open incident within this window
     * is stored and answered "duplicate" instead of being merged into the incident again.
     */
    dedupeWindow: duration.optional(),
  })
  .strict();

const fileSchema = z.object({ rules: z.array(ruleSchema).min(1) }).strict();

type RuleConfig = z.infer<typeof ruleSchema>;

export interface Rule extends RuleConfig {
  index: number;
  render: (alert: Alert) => string;
  /** The version of the playbook it names, from the catalogue. */
  playbookVersion?: string;
}

export type RouteDecision =
  | { kind: 'ignore'; rule: string }
  | {
      kind: 'playbook';
      rule: string;
      playbook: string;
      /** The playbook's version, for the incident it opens. */
      playbookVersion: string;
      entityKey: string;
      workflowId: string;
      reopenWithinSeconds: number;
      dedupeWithinSeconds: number;
    };

export interface Routing {
  file: string;
  rules: Rule[];
  /** Takes what no rule matches (compiled once, like the rules). */
  fallback: Rule;
}

/** Alerts no rule matches still become incidents: the triage playbook takes them. */
const FALLBACK: RuleConfig = { name: '(default)', match: {}, playbook: 'triage', entityKey: '{{entity.kind}}:{{entity.key}}' };

/**
 * Reads and validates a routing file against the playbooks the engine runs; a bad file fails
 * with the file, the rule and the reason (an unknown playbook names the known ones).
 */
export function loadRouting(file: string, playbooks: Pick<Catalogue, 'get' | 'names'>): Routing {
  const parsed = readRunbookFile(
    file,
    fileSchema,
    (reason) => invalid(file, reason),
    (issue, doc) => {
      const [, index] = issue.path;
      const where = typeof index === 'number' ? `rule ${index + 1}${ruleName(doc, index)}` : 'the file';
      return `${where}: ${issue.path.slice(2).join('.') || issue.path.join('.')} ${issue.message}`;
    },
  );
  const seen = new Set<string>();
  const rules = parsed.rules.map((rule, index) => {
    const where = `rule ${index + 1} (${rule.name})`;
    if (seen.has(rule.name)) throw invalid(file, `${where}: the name is used by an earlier rule`);
    seen.add(rule.name);
    if (!rule.playbook === !rule.action) throw invalid(file, `${where}: give either 'playbook' or 'action: ignore'`);
    const playbook = rule.playbook ? playbooks.get(rule.playbook) : undefined;
    if (rule.playbook && !playbook) {
      throw invalid(file, `${where}: unknown playbook '${rule.playbook}' (known: ${playbooks.names.join(', ')})`);
    }
    return { ...compile(rule, index, () => invalid(file, `${where}: entityKey template '${rule.entityKey}' does not render`)), playbookVersion: playbook?.version };
  });
  const triage = playbooks.get(FALLBACK.playbook!);
  if (!triage) throw invalid(file, `the default rule's playbook '${FALLBACK.playbook}' is not in the catalogue`);
  return { file, rules, fallback: { ...compile(FALLBACK, rules.length, () => invalid(file, 'the default rule does not compile')), playbookVersion: triage.version } };
}

function compile(rule: RuleConfig, index: number, onError: () => Error): Rule {
  try {
    Handlebars.parse(rule.entityKey); // syntax errors stop the engine at start, not at the first alert
  } catch {
    throw onError();
  }
  // Lenient at run time: a label an alert lacks renders empty rather than refusing the alert.
  const template = Handlebars.compile(rule.entityKey, { noEscape: true });
  return { ...rule, index, render: (alert) => template(alert).trim() };
}

/** The first rule that matches decides; none matching means the triage playbook. */
export function route(routing: Routing, alert: Alert): RouteDecision {
  const rule = routing.rules.find((r) => matches(r, alert)) ?? routing.fallback;
  if (rule.action === 'ignore') return { kind: 'ignore', rule: rule.name };
  const playbook = rule.playbook!;
  const entityKey = boundedKey(rule.render(alert) || `${alert.entity.kind}:${alert.entity.key}`);
  return {
    kind: 'playbook',
    rule: rule.name,
    playbook,
    playbookVersion: rule.playbookVersion ?? '',
    entityKey,
    workflowId: workflowIdFor(playbook, entityKey),
    reopenWithinSeconds: seconds(rule.reopenWindow),
    dedupeWithinSeconds: seconds(rule.dedupeWindow),
  };
}

/** Temporal on SQL stores workflow ids in 255 bytes: a long entity key is hashed (the incident keeps it whole). */
export const MAX_WORKFLOW_ID_BYTES = 200;

export function workflowIdFor(playbook: string, entityKey: string): string {
  const id = `${playbook}:${entityKey}`;
  if (Buffer.byteLength(id) <= MAX_WORKFLOW_ID_BYTES) return id;
  return `${playbook}:sha256:${createHash('sha256').update(entityKey).digest('hex')}`;
}

function matches(rule: Rule, alert: Alert): boolean {
  const m = rule.match;
  if (m.source && !m.source.includes(alert.source)) return false;
  if (m.category && !m.category.includes(alert.category)) return false;
  if (m.severity && !m.severity.includes(alert.severity)) return false;
  if (m.minSeverity && rank(alert.severity) < rank(m.minSeverity)) return false;
  for (const [key, pattern] of Object.entries(m.labels ?? {})) {
    const value = alert.labels[key];
    if (value === undefined || !entityGlob(pattern).test(value)) return false;
  }
  return true;
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;
const seconds = (duration: string | undefined) =>
  duration ? Number(duration.slice(0, -1)) * UNIT_SECONDS[duration.at(-1) as keyof typeof UNIT_SECONDS] : 0;
const rank = (s: AlertSeverity) => ALERT_SEVERITIES.indexOf(s);

function ruleName(doc: unknown, index: number): string {
  const rules = (doc as { rules?: { name?: unknown }[] } | null)?.rules;
  const name = Array.isArray(rules) ? rules[index]?.name : undefined;
  return typeof name === 'string' ? ` (${name})` : '';
}

function invalid(file: string, reason: string): PalisadeError {
  return new PalisadeError('routing_invalid', `Routing file ${file}: ${reason}.`, 'Fix the file (the comment at the top of runbooks/routing.yaml describes each field) and start again.');
}
