import { z } from 'zod';
import type { AlertCategory, AlertEntity, ParsedAlert, SecretDescriptor } from '../alert';
import { fingerprintOf, parseWith, severityFromScale, type SourceAdapter } from '../source';

/**
 * One Wazuh alert as written to alerts.json, posted by a custom integration
 * (`<integration><name>custom-palisade</name>…<alert_format>json</alert_format>`), or wrapped
 * under `all_fields` as Wazuh's Shuffle integration (integrations/shuffle.py) posts it.
 * Only what Palisade reads is required: Wazuh's own test alert for integrations
 * (integrations/tests/data/alerts.json) has no `manager` and an empty `rule.id`.
 */
const Id = z.union([z.string().min(1), z.number().transform(String)]);
const RuleId = z.union([z.string(), z.number().transform(String)]);
const Alert = z.looseObject({
  timestamp: z.string(),
  id: Id,
  rule: z.looseObject({
    level: z.number().int().min(0).max(15),
    description: z.string(),
    id: RuleId,
    groups: z.array(z.string()).default([]),
    mitre: z.looseObject({ id: z.array(z.string()).optional(), tactic: z.array(z.string()).optional() }).optional(),
  }),
  agent: z.looseObject({ id: Id, name: z.string().min(1), ip: z.string().optional() }),
  manager: z.looseObject({ name: z.string().min(1).optional() }).optional(),
  /** Syslog header of the event: for logs the manager (agent 000) received from other hosts, the host that sent them. */
  predecoder: z.looseObject({ hostname: z.string().optional() }).optional(),
  full_log: z.string().optional(),
  location: z.string().optional(),
  decoder: z.looseObject({ name: z.string().optional() }).optional(),
  syscheck: z.looseObject({ path: z.string().optional(), event: z.string().optional() }).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
type Alert = z.infer<typeof Alert>;

/**
 * By rule groups, first match wins:
 * - vulnerability: `vulnerability-detector`;
 * - host-compromise: rootcheck, attack, malware, virustotal, exploit/web-attack groups, and
 *   `authentication_failures` at level 10+ (brute force);
 * - config-drift: file integrity (`syscheck*`), `ossec`, `policy_monitoring`, `sca`;
 * - everything else: other.
 */
function categoryOf(groups: string[], level: number): AlertCategory {
  const has = (...names: string[]) => groups.some((g) => names.includes(g));
  if (has('vulnerability-detector')) return 'vulnerability';
  if (has('rootcheck', 'attack', 'malware', 'virustotal', 'exploit_attempt', 'sql_injection', 'web_scan', 'invalid_access')) return 'host-compromise';
  if (has('authentication_failures') && level >= 10) return 'host-compromise';
  if (groups.some((g) => g.startsWith('syscheck')) || has('ossec', 'policy_monitoring', 'sca')) return 'config-drift';
  return 'other';
}

/** A nested value under `data` as text (Wazuh decodes fields as strings). */
function dataField(a: Alert, ...path: string[]): string | undefined {
  let v: unknown = a.data;
  for (const k of path) v = typeof v === 'object' && v !== null && Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Wazuh writes `2024-05-01T12:34:56.789+0000`; falls back to the receive time. */
function observedAt(t: string, fallback: string): string {
  const ms = /^\d{4}-\d\d-\d\d/.test(t) ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : fallback;
}

/**
 * The host that sent the log a remote-syslog alert is about: the predecoder's hostname, when the
 * agent is the manager itself (000) and the name is another host's.
 */
function remoteHost(a: Alert): string | undefined {
  const host = a.predecoder?.hostname?.trim();
  const own = [a.agent.name, a.manager?.name].map((n) => n?.toLowerCase());
  return a.agent.id === '000' && host && !own.includes(host.toLowerCase()) ? host : undefined;
}

/** The agent is the host; for logs the manager received from another host, that host. */
function entityOf(a: Alert): AlertEntity {
  const remote = remoteHost(a);
  if (remote) return { kind: 'host', key: remote.toLowerCase(), display: `${remote} (syslog from ${a.location ?? 'a remote host'} to ${a.agent.name})` };
  const where = [`agent ${a.agent.id}`, a.agent.ip].filter(Boolean).join(', ');
  return { kind: 'host', key: a.agent.name.toLowerCase(), display: `${a.agent.name} (${where})` };
}

/** The alert itself, also when Wazuh's Shuffle integration wrapped it under `all_fields`. */
function alertOf(body: unknown): unknown {
  const wrapped = typeof body === 'object' && body !== null && Object.hasOwn(body, 'all_fields') ? (body as { all_fields: unknown }).all_fields : undefined;
  return typeof wrapped === 'object' && wrapped !== null ? wrapped : body;
}

export const wazuhSource: SourceAdapter = {
  name: 'wazuh',
  auth: { kind: 'token', allowQueryToken: false },
  setupHint:
    'In ossec.conf add an <integration> named custom-palisade whose script POSTs the alert JSON to https://<palisade>/webhooks/wazuh with Authorization: Bearer <PALISADE_WEBHOOK_SECRET_WAZUH> (alert_format json, level to taste).',
  // Alert ids are unique per manager, so manager name + id identifies a delivery.
  deliveryId(body) {
    const r = Alert.pick({ id: true, manager: true }).safeParse(alertOf(body));
    return r.success ? `${r.data.manager?.name ?? 'wazuh'}:${r.data.id}` : undefined;
  },
  parse(body, _req, ctx) {
    const a = parseWith('wazuh', Alert, alertOf(body));
    const found: SecretDescriptor[] = [];
    const clean = (s: string) => ctx.redactor.redactText(s, found);
    const { rule, agent } = a;
    const entity = entityOf(a);
    const labels: Record<string, string> = {};
    const put = (k: string, v: string | undefined) => { if (v) labels[k] = clean(v); };
    put('rule_id', rule.id);
    put('rule_level', String(rule.level));
    put('groups', rule.groups.join(','));
    put('mitre', rule.mitre?.id?.join(','));
    put('agent_id', agent.id);
    put('agent_ip', agent.ip);
    put('manager', a.manager?.name);
    put('hostname', a.predecoder?.hostname);
    put('location', a.location);
    put('decoder', a.decoder?.name);
    put('file', a.syscheck?.path);
    put('cve', dataField(a, 'vulnerability', 'cve'));
    put('srcip', dataField(a, 'srcip'));
    // What the rule is about, when one rule covers many things: a file, a CVE, an SCA check.
    const subject = a.syscheck?.path ?? dataField(a, 'vulnerability', 'cve') ?? dataField(a, 'sca', 'check', 'id') ?? remoteHost(a);
    const alert: ParsedAlert = {
      title: clean(rule.description),
      description: clean(a.full_log || rule.description),
      // Wazuh rule levels: 0–3 info, 4–7 low, 8–11 medium, 12–14 high, 15 critical.
      severity: severityFromScale(rule.level, { low: 4, medium: 8, high: 12, critical: 15 }),
      severityOriginal: `level ${rule.level}`,
      category: categoryOf(rule.groups, rule.level),
      entity: { kind: entity.kind, key: clean(entity.key), display: clean(entity.display) },
      observedAt: observedAt(a.timestamp, ctx.receivedAt),
      // One finding = one rule on one agent of one manager (about one subject, if any).
      fingerprint: fingerprintOf('wazuh', a.manager?.name, agent.id, rule.id, subject),
      labels,
    };
    if (found.length) alert.secrets = [...new Map(found.map((d) => [`${d.type}:${d.fingerprint}`, d])).values()];
    return { kind: 'alerts', alerts: [alert] };
  },
};
