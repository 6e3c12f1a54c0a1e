import { z } from 'zod';
import type { AlertCategory, AlertEntity, ParsedAlert, SecretDescriptor } from '../alert';
import { PayloadError, fingerprintOf, severityFromScale, type ParseContext, type SourceAdapter } from '../source';

/**
 * Elastic alerts posted by a Kibana webhook connector: one document, or `{ "alerts": [ ... ] }`
 * (a `{{context.alerts}}` or `{{context.hits}}` template). Three kinds of document:
 *  - detection alerts (alerts-as-data, 8.x): `kibana.alert.rule.name`, `kibana.alert.severity`, …;
 *  - detection signals before 8.0: the same fields as `signal.rule.*` (Kibana's
 *    signal_aad_mapping.json maps one onto the other);
 *  - Elastic Defend (endpoint) alerts: `event.kind: "alert"`, `event.code`, `event.risk_score`,
 *    `rule.*` (behavior alerts) or only `rule.ruleset` and `message` (malware alerts).
 * Elasticsearch hits (`{ "_index", "_id", "_source": { … } }`) are read by their `_source`.
 * Documents come flat (`"kibana.alert.rule.name": …`), nested (`{ kibana: { alert: … } }`) or
 * mixed, so each field is looked up by its dotted path; a field of the wrong type is named by
 * the path it was read from.
 */
const Score = z.union([z.number().min(0).max(100), z.string().regex(/^\d+(\.\d+)?$/).transform(Number)]);
const Fields = z.object({
  name: z.string().min(1),
  severity: z.enum(['low', 'medium', 'high', 'critical']).optional(),
  riskScore: Score.optional(),
  alertUuid: z.string().optional(),
  eventId: z.string().optional(),
  ruleUuid: z.string().optional(),
  ruleId: z.string().optional(),
  tags: z.array(z.string()).optional(),
  description: z.string().optional(),
  hostName: z.string().optional(),
  hostHostname: z.string().optional(),
  userName: z.string().optional(),
  timestamp: z.string().optional(),
  eventCode: z.string().optional(),
  filePath: z.string().optional(),
});
type Fields = z.infer<typeof Fields>;
type FieldName = keyof Fields;

/** Where each field is read from, first path with a value wins; `endpoint` paths only in Elastic Defend alerts. */
const PATHS: Record<FieldName, { paths: string[]; endpoint?: string[] }> = {
  name: { paths: ['kibana.alert.rule.name', 'signal.rule.name', 'rule.name'], endpoint: ['message'] },
  severity: { paths: ['kibana.alert.severity', 'signal.rule.severity'] },
  riskScore: { paths: ['kibana.alert.risk_score', 'signal.rule.risk_score'], endpoint: ['event.risk_score', 'event.severity'] },
  alertUuid: { paths: ['kibana.alert.uuid'] },
  eventId: { paths: [], endpoint: ['event.id'] },
  ruleUuid: { paths: ['kibana.alert.rule.uuid', 'signal.rule.id'], endpoint: ['rule.id'] },
  ruleId: { paths: ['kibana.alert.rule.rule_id', 'signal.rule.rule_id'] },
  tags: { paths: ['kibana.alert.rule.tags', 'signal.rule.tags'] },
  description: {
    paths: ['kibana.alert.reason', 'signal.reason', 'kibana.alert.rule.description', 'signal.rule.description', 'rule.description'],
    endpoint: ['message'],
  },
  hostName: { paths: ['host.name'] },
  hostHostname: { paths: ['host.hostname'] },
  userName: { paths: ['user.name'] },
  timestamp: { paths: ['@timestamp'] },
  eventCode: { paths: [], endpoint: ['event.code'] },
  filePath: { paths: [], endpoint: ['file.path'] },
};

const NO_NAME =
  'expected a detection alert (kibana.alert.rule.name, or signal.rule.name before 8.0) or an Elastic Defend alert (event.kind "alert" with rule.name or message)';

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

const at = (doc: unknown, dotted: string): unknown => lookup(doc, dotted === '@timestamp' ? [dotted] : dotted.split('.'));

/** An Elasticsearch hit's document, else the body itself. */
function documentOf(item: unknown): unknown {
  return isRecord(item) && Object.hasOwn(item, '_source') && isRecord(item._source) ? item._source : item;
}

/** Elastic Defend's own alerts (logs-endpoint.alerts-*), as opposed to detection alerts about them. */
function isEndpointAlert(doc: unknown): boolean {
  return at(doc, 'event.kind') === 'alert';
}

/** ATT&CK tactic names of an endpoint alert's `threat` (an object or a list of them). */
function tactics(doc: unknown): string[] | undefined {
  const threat = at(doc, 'threat');
  const names = (Array.isArray(threat) ? threat : [threat]).map((t) => at(t, 'tactic.name')).filter((n): n is string => typeof n === 'string');
  return names.length ? names : undefined;
}

/** Reads and validates one document; problems name the path each field came from, under `prefix`. */
function fieldsOf(item: unknown, prefix: string | undefined): Fields {
  const doc = documentOf(item);
  const where = (path: string) => (prefix ? `${prefix}.${path}` : path);
  if (!isRecord(doc)) throw new PayloadError('elastic', [`${prefix ?? '(body)'}: expected an alert document (a JSON object)`]);
  const endpoint = isEndpointAlert(doc);
  const projected: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const [field, { paths, endpoint: endpointPaths = [] }] of Object.entries(PATHS)) {
    const path = [...paths, ...(endpoint ? endpointPaths : [])].find((p) => at(doc, p) !== undefined);
    if (path) {
      projected[field] = at(doc, path);
      origin[field] = path;
    }
  }
  if (projected.tags === undefined && endpoint) projected.tags = tactics(doc);
  if (projected.name === undefined) throw new PayloadError('elastic', [`${where('kibana.alert.rule.name')}: ${NO_NAME}`]);
  const result = Fields.safeParse(projected);
  if (!result.success) {
    throw new PayloadError(
      'elastic',
      result.error.issues.slice(0, 10).map((i) => `${where(origin[String(i.path[0])] ?? String(i.path[0]))}: ${i.message}`),
    );
  }
  return result.data;
}

function observedAt(t: string | undefined, fallback: string): string {
  const ms = t && /^\d{4}-\d\d-\d\d/.test(t) ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : fallback;
}

/** The rule's identity: its uuid, its rule_id, an endpoint alert's kind (event.code), else its name. */
function ruleOf(f: Fields): string {
  return f.ruleUuid || f.ruleId || (f.eventCode ? `endpoint:${f.eventCode}` : f.name);
}

/** `host.name` (or `host.hostname`), else the `user.name` account, else the rule itself, saying what was looked for. */
function entityOf(f: Fields): AlertEntity {
  const host = f.hostName || f.hostHostname;
  if (host) return { kind: 'host', key: host.toLowerCase(), display: host };
  const user = f.userName;
  if (user) return { kind: 'account', key: user.toLowerCase(), display: user };
  return {
    kind: 'resource',
    key: `elastic-rule:${ruleOf(f)}`,
    display: `Elastic rule "${f.name}" (no host.name, host.hostname or user.name in the alert)`,
  };
}

function toAlert(f: Fields, ctx: ParseContext): ParsedAlert {
  const found: SecretDescriptor[] = [];
  const clean = (s: string) => ctx.redactor.redactText(s, found);
  const tags = f.tags ?? [];
  const score = f.riskScore;
  const entity = entityOf(f);
  const labels: Record<string, string> = {};
  const put = (k: string, v: string | number | undefined) => { if (v !== undefined && v !== '') labels[k] = clean(String(v)); };
  put('rule_name', f.name);
  put('rule_id', f.ruleId);
  put('rule_uuid', f.ruleUuid);
  put('alert_uuid', f.alertUuid);
  put('alert_id', f.eventId);
  put('event_code', f.eventCode);
  put('risk_score', score);
  put('tags', tags.join(','));
  put('host', f.hostName || f.hostHostname);
  put('user', f.userName);
  put('file', f.filePath);
  const alert: ParsedAlert = {
    title: clean(f.name),
    description: clean(f.description || f.name),
    // Elastic's own risk-score bands: 0–21 low, 22–47 medium, 48–73 high, 74–100 critical.
    severity: f.severity ?? (score === undefined ? 'medium' : severityFromScale(score, { low: 0, medium: 22, high: 48, critical: 74 })),
    severityOriginal: f.severity ?? (score === undefined ? 'unspecified' : `risk_score ${score}`),
    // Elastic Defend alerts are all about what ran on a host (malware, ransomware, memory threats, behavior).
    category: f.eventCode !== undefined ? 'host-compromise' : (CATEGORIES.find(([, re]) => re.test([f.name, ...tags].join(' ')))?.[0] ?? 'other'),
    entity: { kind: entity.kind, key: clean(entity.key), display: clean(entity.display) },
    observedAt: observedAt(f.timestamp, ctx.receivedAt),
    // One finding = one detection rule about one entity (alert uuids differ per rule run).
    fingerprint: fingerprintOf('elastic', ruleOf(f), entity.kind, entity.key),
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
    'In Kibana, create a Webhook connector (POST https://<palisade>/webhooks/elastic, header Authorization: Bearer <PALISADE_WEBHOOK_SECRET_ELASTIC>) and add it as an action on your Security rules with body {"alerts": {{{context.alerts}}}} (or, on an Elasticsearch query rule over logs-endpoint.alerts-*, {"alerts": {{{context.hits}}}}).',
  // The alert's own id when the delivery carries exactly one alert; a batch has no single id.
  deliveryId(body) {
    const only = documentOf(isBatch(body) ? (body.alerts.length === 1 ? body.alerts[0] : undefined) : body);
    const uuid = at(only, 'kibana.alert.uuid') ?? (isEndpointAlert(only) ? at(only, 'event.id') : undefined);
    return typeof uuid === 'string' && uuid !== '' ? uuid : undefined;
  },
  parse(body, _req, ctx) {
    // Array.from visits every index (a hole reads as undefined and is refused, never skipped).
    const fields = isBatch(body) ? Array.from(body.alerts, (item, i) => fieldsOf(item, `alerts.${i}`)) : [fieldsOf(body, undefined)];
    return { kind: 'alerts', alerts: fields.map((f) => toAlert(f, ctx)) };
  },
};
