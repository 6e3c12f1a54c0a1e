import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AlertCategory, AlertEntity, AlertSeverity, ParsedAlert, SecretDescriptor } from '../alert';
import { fingerprintOf, parseWith, type ParseContext, type SourceAdapter } from '../source';

/**
 * Splunk's webhook alert action ("Use a webhook alert action"): `sid`, `search_name`, `app`,
 * `owner`, `results_link`, and `result` (the first result row, only when the search returned
 * rows). A `results` array (several rows, e.g. from a custom alert action) gives one alert per row.
 * Row values are strings, or arrays of strings for multivalue fields.
 */
const Row = z.record(z.string(), z.unknown());
const Body = z.looseObject({
  sid: z.string().min(1),
  search_name: z.string().nullish(),
  app: z.string().nullish(),
  owner: z.string().nullish(),
  results_link: z.string().nullish(),
  result: Row.nullish(),
  results: z.array(Row).nullish(),
});
type Body = z.infer<typeof Body>;
type Row = z.infer<typeof Row>;

/** `urgency`/`severity` words (Splunk ES), or 1–5 as Splunk's numeric alert severity (1 info … 5 critical). */
const SEVERITIES = new Map<string, AlertSeverity>([
  ['informational', 'info'], ['info', 'info'], ['low', 'low'], ['medium', 'medium'], ['high', 'high'], ['critical', 'critical'],
  ['1', 'info'], ['2', 'low'], ['3', 'medium'], ['4', 'high'], ['5', 'critical'],
]);

/** First match wins, over the search name and the row's signature/rule/category fields. */
const CATEGORIES: [AlertCategory, RegExp][] = [
  ['vulnerability', /\bcve-\d{4}|vulnerab/i],
  ['host-compromise', /malware|ransomware|shell|privilege.?escalation|brute.?force|exploit|lateral|persistence|credential.?access/i],
  ['secret-leak', /secret|credential|token|api.?key|access.?key|password/i],
  ['config-drift', /config|compliance|policy|integrity|drift|baseline/i],
];

/** Row fields copied into labels (when present). */
const ROW_LABELS = ['host', 'dest', 'src', 'user', 'signature', 'rule_name', 'urgency', 'severity', 'index', 'sourcetype', 'source'];

/** A row field as text: a string or number, or the first value of a multivalue field. */
function field(row: Row, name: string): string | undefined {
  const v = Object.hasOwn(row, name) ? row[name] : undefined;
  const first: unknown = Array.isArray(v) ? v[0] : v;
  if (typeof first === 'number' && Number.isFinite(first)) return String(first);
  return typeof first === 'string' && first.trim() !== '' ? first.trim() : undefined;
}

/** `_time` is epoch seconds ("1714566896.123") or an ISO-like string; else the receive time. */
function observedAt(row: Row | undefined, fallback: string): string {
  const t = row && field(row, '_time');
  const ms = t === undefined ? NaN : /^\d+(\.\d+)?$/.test(t) ? Number(t) * 1000 : /^\d{4}-\d\d-\d\d/.test(t) ? Date.parse(t) : NaN;
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : fallback;
}

/**
 * In Splunk's Common Information Model `dest` is the endpoint an event is about, `host` the
 * machine that reported it (often a forwarder or collector) and `src` where it came from (often
 * the attacker). So: `dest`, `dest_host`, `dest_nt_host`, then `host`; else the `user` account;
 * else `src`; else the search itself, saying what was looked for.
 */
const HOST_FIELDS = ['dest', 'dest_host', 'dest_nt_host', 'host'];

function entityOf(body: Body, row: Row | undefined): AlertEntity {
  const host = row && HOST_FIELDS.map((k) => field(row, k)).find(Boolean);
  if (host) return { kind: 'host', key: host.toLowerCase(), display: host };
  const user = row && field(row, 'user');
  if (user) return { kind: 'account', key: user.toLowerCase(), display: user };
  const src = row && field(row, 'src');
  if (src) return { kind: 'host', key: src.toLowerCase(), display: src };
  const search = body.search_name ?? body.sid;
  const missing = row ? 'no dest, host, user or src field in the result' : 'no result row: nothing names a dest, host, user or src';
  return { kind: 'resource', key: `splunk-search:${body.app ?? 'search'}/${search}`, display: `Splunk search "${search}" (${missing})` };
}

/** A row without `_raw`: its visible fields as `name=value`. */
function summary(row: Row): string {
  return Object.keys(row)
    .filter((k) => !k.startsWith('_'))
    .flatMap((k) => { const v = field(row, k); return v === undefined ? [] : [`${k}=${v}`]; })
    .join(' ');
}

function toAlert(body: Body, row: Row | undefined, index: number | undefined, ctx: ParseContext): ParsedAlert {
  const found: SecretDescriptor[] = [];
  const clean = (s: string) => ctx.redactor.redactText(s, found);
  const name = body.search_name ?? `Splunk search ${body.sid}`;
  const rawSeverity = row && (field(row, 'urgency') ?? field(row, 'severity'));
  const haystack = [name, ...(row ? ['signature', 'rule_name', 'category'].map((k) => field(row, k) ?? '') : [])].join(' ');
  const entity = entityOf(body, row);
  const labels: Record<string, string> = {};
  const put = (k: string, v: string | null | undefined) => { if (v) labels[k] = clean(v); };
  put('sid', body.sid);
  put('search_name', body.search_name);
  put('app', body.app);
  put('owner', body.owner);
  put('results_link', body.results_link);
  if (index !== undefined) put('row', String(index));
  for (const k of ROW_LABELS) if (row) put(k, field(row, k));
  const description = row
    ? clean(field(row, '_raw') ?? summary(row)) || `Splunk search "${clean(name)}" returned an empty row.`
    : `Splunk search "${clean(name)}" triggered without result rows.${body.results_link ? ` Results: ${clean(body.results_link)}` : ''}`;
  const alert: ParsedAlert = {
    title: clean(name),
    description,
    severity: (rawSeverity && SEVERITIES.get(rawSeverity.toLowerCase())) || 'medium',
    severityOriginal: rawSeverity ?? 'unspecified',
    category: CATEGORIES.find(([, re]) => re.test(haystack))?.[0] ?? 'other',
    entity: { kind: entity.kind, key: clean(entity.key), display: clean(entity.display) },
    observedAt: observedAt(row, ctx.receivedAt),
    // One finding = one saved search (per app) about one entity: reruns and re-sends collapse.
    fingerprint: fingerprintOf('splunk', body.app, name, entity.kind, entity.key),
    labels,
  };
  if (found.length) alert.secrets = [...new Map(found.map((d) => [`${d.type}:${d.fingerprint}`, d])).values()];
  return alert;
}

export const splunkSource: SourceAdapter = {
  name: 'splunk',
  // Splunk's webhook action cannot set headers: the token travels as `?token=`.
  auth: { kind: 'token', allowQueryToken: true },
  setupHint:
    'In the Splunk alert, add a "Webhook" alert action with URL https://<palisade>/webhooks/splunk?token=<PALISADE_WEBHOOK_SECRET_SPLUNK>.',
  // One search run (one `sid`) sends one POST per result when the alert triggers "For each
  // result": the sid plus a digest of the result rows tells those apart, while Splunk sending
  // the very same POST again keeps its delivery id (a duplicate).
  deliveryId(body) {
    if (typeof body !== 'object' || body === null) return undefined;
    const { sid, result, results } = body as { sid?: unknown; result?: unknown; results?: unknown };
    if (typeof sid !== 'string' || sid === '') return undefined;
    const rows = JSON.stringify([result ?? null, results ?? null]);
    return `${sid}:${createHash('sha256').update(rows).digest('hex').slice(0, 32)}`;
  },
  parse(body, _req, ctx) {
    const b = parseWith('splunk', Body, body);
    const alerts = b.results?.length
      ? b.results.map((row, i) => toAlert(b, row, i, ctx))
      : [toAlert(b, b.result ?? undefined, undefined, ctx)];
    return { kind: 'alerts', alerts };
  },
};
