import { z } from 'zod';
import type { AlertCategory, AlertEntity, ParsedAlert, SecretDescriptor } from '../alert';
import { fingerprintOf, parseWith, severityFromScale, type ParseContext, type SourceAdapter } from '../source';

/**
 * A Kibana webhook connector posting Elastic Security alerts: one alert document, or
 * `{ "alerts": [ ... ] }` (a `{{context.alerts}}` template). Documents come flat
 * (`"kibana.alert.rule.name": …`), nested (`{ kibana: { alert: { rule: { name } } } }`) or
 * mixed (alerts-as-data keep `kibana.alert.*` flat and ECS fields nested), so each field is
 * looked up by its dotted path first and validated under that path.
 */
const Score = z.union([z.number().min(0).max(100), z.string().regex(/^\d+(\.\d+)?$/).transform(Number)]);
const Fields = z.object({
  'kibana.alert.rule.name': z.string().min(1),
  'kibana.alert.severity': z.enum(['low', 'medium', 'high', 'critical']).optional(),
  'kibana.alert.risk_score': Score.optional(),
  'kibana.alert.uuid': z.string().optional(),
  'kibana.alert.rule.uuid': z.string().optional(),
  'kibana.alert.rule.rule_id': z.string().optional(),
  'kibana.alert.rule.tags': z.array(z.string()).optional(),
  'kibana.alert.rule.description': z.string().optional(),
  'kibana.alert.reason': z.string().optional(),
  'host.name': z.string().optional(),
  'host.hostname': z.string().optional(),
  'user.name': z.string().optional(),
  '@timestamp': z.string().optional(),
});
type Fields = z.infer<typeof Fields>;
const Batch = z.object({ alerts: z.array(Fields) });

/** First match wins, over the rule name and its tags (e.g. "Tactic: Credential Access"). */
const CATEGORIES: [AlertCategory, RegExp][] = [
  ['vulnerability', /\bcve-\d{4}|vulnerab/i],
  ['host-compromise', /malware|ransomware|shell|privilege.?escalation|execution|persistence|defense.?evasion|lateral.?movement|credential.?access|command.?and.?control|exploit|brute.?force/i],
  ['secret-leak', /secret|credential|token|api.?key|access.?key|password/i],
  ['config-drift', /config|compliance|policy|integrity|drift|posture/i],
];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A dotted path in a flat, nested or mixed document: tries the longest dotted key at each level. */
function lookup(doc: unknown, path: string[]): unknown {
  if (path.length === 0) return doc;
  if (!isRecord(doc)) return undefined;
  for (let i = path.length; i >= 1; i--) {
    const key = path.slice(0, i).join('.');
    const found = Object.hasOwn(doc, key) ? lookup(doc[key], path.slice(i)) : undefined;
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The fields Palisade reads, keyed by dotted path (a non-object stays as is, for zod to reject). */
function project(doc: unknown): unknown {
  if (!isRecord(doc)) return doc;
  return Object.fromEntries(Object.keys(Fields.shape).map((k) => [k, lookup(doc, k === '@timestamp' ? [k] : k.split('.'))]));
}

function observedAt(t: string | undefined, fallback: string): string {
  const ms = t && /^\d{4}-\d\d-\d\d/.test(t) ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : fallback;
}

/** `host.name` (or `host.hostname`), else the `user.name` account, else the rule itself (cloud/SaaS rules). */
function entityOf(f: Fields): AlertEntity {
  const host = f['host.name'] || f['host.hostname'];
  if (host) return { kind: 'host', key: host.toLowerCase(), display: host };
  const user = f['user.name'];
  if (user) return { kind: 'account', key: user.toLowerCase(), display: user };
  const rule = f['kibana.alert.rule.uuid'] || f['kibana.alert.rule.rule_id'] || f['kibana.alert.rule.name'];
  return { kind: 'resource', key: `elastic-rule:${rule}`, display: `Elastic rule "${f['kibana.alert.rule.name']}"` };
}

function toAlert(f: Fields, ctx: ParseContext): ParsedAlert {
  const found: SecretDescriptor[] = [];
  const clean = (s: string) => ctx.redactor.redactText(s, found);
  const name = f['kibana.alert.rule.name'];
  const tags = f['kibana.alert.rule.tags'] ?? [];
  const score = f['kibana.alert.risk_score'];
  const entity = entityOf(f);
  const labels: Record<string, string> = {};
  const put = (k: string, v: string | number | undefined) => { if (v !== undefined && v !== '') labels[k] = clean(String(v)); };
  put('rule_name', name);
  put('rule_id', f['kibana.alert.rule.rule_id']);
  put('rule_uuid', f['kibana.alert.rule.uuid']);
  put('alert_uuid', f['kibana.alert.uuid']);
  put('risk_score', score);
  put('tags', tags.join(','));
  put('host', f['host.name'] || f['host.hostname']);
  put('user', f['user.name']);
  const alert: ParsedAlert = {
    title: clean(name),
    description: clean(f['kibana.alert.reason'] || f['kibana.alert.rule.description'] || name),
    // Elastic's own risk-score bands: 0–21 low, 22–47 medium, 48–73 high, 74–100 critical.
    severity: f['kibana.alert.severity'] ?? (score === undefined ? 'medium' : severityFromScale(score, { low: 0, medium: 22, high: 48, critical: 74 })),
    severityOriginal: f['kibana.alert.severity'] ?? (score === undefined ? 'unspecified' : `risk_score ${score}`),
    category: CATEGORIES.find(([, re]) => re.test([name, ...tags].join(' ')))?.[0] ?? 'other',
    entity: { kind: entity.kind, key: clean(entity.key), display: clean(entity.display) },
    observedAt: observedAt(f['@timestamp'], ctx.receivedAt),
    // One finding = one detection rule about one entity (alert uuids differ per rule run).
    fingerprint: fingerprintOf('elastic', f['kibana.alert.rule.uuid'] || f['kibana.alert.rule.rule_id'] || name, entity.kind, entity.key),
    labels,
  };
  if (found.length) alert.secrets = [...new Map(found.map((d) => [`${d.type}:${d.fingerprint}`, d])).values()];
  return alert;
}

function isBatch(body: unknown): body is { alerts: unknown[] } {
  return isRecord(body) && Object.hasOwn(body, 'alerts') && Array.isArray(body.alerts);
}

export const elasticSource: SourceAdapter = {
  name: 'elastic',
  auth: { kind: 'token', allowQueryToken: false },
  setupHint:
    'In Kibana, create a Webhook connector (POST https://<palisade>/webhooks/elastic, header Authorization: Bearer <PALISADE_WEBHOOK_SECRET_ELASTIC>) and add it as an action on your Security rules with body {"alerts": {{{context.alerts}}}}.',
  // The alert's uuid when the delivery carries exactly one alert; a batch has no single id.
  deliveryId(body) {
    const only = isBatch(body) ? (body.alerts.length === 1 ? body.alerts[0] : undefined) : body;
    const uuid = lookup(only, ['kibana', 'alert', 'uuid']);
    return typeof uuid === 'string' && uuid !== '' ? uuid : undefined;
  },
  parse(body, _req, ctx) {
    const fields = isBatch(body)
      ? parseWith('elastic', Batch, { alerts: body.alerts.map(project) }).alerts
      : [parseWith('elastic', Fields, project(body))];
    return { kind: 'alerts', alerts: fields.map((f) => toAlert(f, ctx)) };
  },
};
