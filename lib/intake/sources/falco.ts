import { z } from 'zod';
import type { AlertCategory, AlertEntity, AlertSeverity, ParsedAlert, SecretDescriptor } from '../alert';
import { fingerprintOf, parseWith, type SourceAdapter } from '../source';

/** Falco priorities (any case): Emergency/Alert/Critical → critical … Informational/Debug → info. */
const PRIORITIES = new Map<string, AlertSeverity>([
  ['emergency', 'critical'], ['alert', 'critical'], ['critical', 'critical'], ['error', 'high'],
  ['warning', 'medium'], ['notice', 'low'], ['informational', 'info'], ['info', 'info'], ['debug', 'info'],
]);

/** One event from falcosidekick's webhook output (Falco's JSON output plus `uuid` and `hostname`). */
const Event = z.looseObject({
  uuid: z.string().optional(),
  output: z.string(),
  priority: z.string().refine((p) => PRIORITIES.has(p.toLowerCase()), 'expected a Falco priority (Emergency … Debug)'),
  rule: z.string().min(1),
  time: z.string().optional(),
  output_fields: z.record(z.string(), z.unknown()).default({}),
  source: z.string().default('syscall'),
  tags: z.array(z.string()).default([]),
  hostname: z.string().optional(),
});
type Event = z.infer<typeof Event>;

/** output_fields copied into labels (when present): where it ran, and who did what. */
const FIELD_LABELS = [
  'container.id', 'container.name', 'container.image.repository', 'k8s.ns.name', 'k8s.pod.name', 'proc.name', 'proc.cmdline',
  'user.name', 'fd.name', 'ka.user.name', 'ka.verb', 'ka.target.resource', 'ka.target.namespace', 'ka.target.name',
];

/**
 * Runtime events (`syscall`) are threats on a host: host-compromise. Audit sources (`k8s_audit`,
 * `aws_cloudtrail`, …) are control-plane changes: someone inside a workload (Attach/Exec Pod, a
 * shell) → host-compromise; secrets/credentials → secret-leak; anything else, a privileged pod
 * or a binding to cluster-admin included, → config-drift on the object it names.
 */
function categoryOf(e: Event): AlertCategory {
  if (e.source === 'syscall') return 'host-compromise';
  const text = [e.rule, ...e.tags].join(' ');
  if (/exec|shell|mitre_execution/i.test(text)) return 'host-compromise';
  if (/secret|credential|token|private.?key/i.test(text)) return 'secret-leak';
  return 'config-drift';
}

/** An output field as text (strings and finite numbers; `<NA>` is Falco's "no value"). */
function field(e: Event, name: string): string | undefined {
  const v = Object.hasOwn(e.output_fields, name) ? e.output_fields[name] : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return typeof v === 'string' && v !== '' && v !== '<NA>' ? v : undefined;
}

/** Who acted, by the fields Falco's audit plugins name it with (k8saudit, cloudtrail, okta, gcpaudit). */
const USER_FIELDS = ['ka.user.name', 'ct.user.arn', 'ct.user', 'okta.target.user.name', 'okta.actor.name', 'gcp.user', 'user.name'];

/**
 * Syscall events: the host (`hostname`, the node Falco runs on), then the pod, the container,
 * the user. Audit and plugin events (`k8s_audit`, `aws_cloudtrail`, …) are about the Kubernetes
 * object (`ka.target.name`, or `ka.resp.name` for an object just created) or else the user who
 * acted; their `hostname` is only the Falco instance that read the log. Else the rule, saying
 * what was looked for.
 */
function entityOf(e: Event): AlertEntity {
  const syscall = e.source === 'syscall';
  const target = field(e, 'ka.target.name') ?? field(e, 'ka.resp.name');
  if (!syscall && target) {
    const path = [field(e, 'ka.target.namespace'), field(e, 'ka.target.resource'), target].filter(Boolean).join('/');
    return { kind: 'resource', key: `k8s:${path.toLowerCase()}`, display: `Kubernetes ${path}` };
  }
  if (syscall && e.hostname) return { kind: 'host', key: e.hostname.toLowerCase(), display: e.hostname };
  const pod = field(e, 'k8s.pod.name');
  if (syscall && pod) { const p = `${field(e, 'k8s.ns.name') ?? 'default'}/${pod}`; return { kind: 'resource', key: `k8s:${p}`, display: `pod ${p}` }; }
  const container = field(e, 'container.id');
  if (syscall && container) return { kind: 'resource', key: `container:${container}`, display: `container ${field(e, 'container.name') ?? container}` };
  const userField = USER_FIELDS.find((f) => field(e, f) !== undefined);
  const user = userField && field(e, userField);
  if (userField && user) return { kind: 'account', key: user.toLowerCase(), display: syscall ? user : `${user} (${userField})` };
  const looked = syscall ? 'hostname, k8s.pod.name, container.id' : 'ka.target.name, ka.resp.name';
  return { kind: 'resource', key: `falco-rule:${e.rule}`, display: `Falco rule "${e.rule}" (source ${e.source}: no ${looked} or user field in output_fields)` };
}

function observedAt(t: string | undefined, fallback: string): string {
  const ms = t && /^\d{4}-\d\d-\d\d/.test(t) ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : fallback;
}

export const falcoSource: SourceAdapter = {
  name: 'falco',
  auth: { kind: 'token', allowQueryToken: false },
  setupHint:
    'In falcosidekick, set webhook.address to https://<palisade>/webhooks/falco and webhook.customHeaders to "Authorization:Bearer <PALISADE_WEBHOOK_SECRET_FALCO>".',
  deliveryId(body) {
    const uuid = typeof body === 'object' && body !== null && Object.hasOwn(body, 'uuid') ? (body as { uuid: unknown }).uuid : undefined;
    return typeof uuid === 'string' && uuid !== '' ? uuid : undefined;
  },
  parse(body, _req, ctx) {
    const e = parseWith('falco', Event, body);
    const found: SecretDescriptor[] = [];
    const clean = (s: string) => ctx.redactor.redactText(s, found);
    const entity = entityOf(e);
    const labels: Record<string, string> = {};
    const put = (k: string, v: string | undefined) => { if (v) labels[k] = clean(v); };
    put('rule', e.rule);
    put('priority', e.priority);
    put('source', e.source);
    put('tags', e.tags.join(','));
    put('hostname', e.hostname);
    for (const k of FIELD_LABELS) put(k, field(e, k));
    const alert: ParsedAlert = {
      title: clean(e.rule),
      description: clean(e.output || e.rule),
      severity: PRIORITIES.get(e.priority.toLowerCase()) ?? 'medium',
      severityOriginal: e.priority,
      category: categoryOf(e),
      entity: { kind: entity.kind, key: clean(entity.key), display: clean(entity.display) },
      observedAt: observedAt(e.time, ctx.receivedAt),
      // One finding = one rule on one entity (and container, so two containers on a node differ).
      fingerprint: fingerprintOf('falco', e.rule, entity.kind, entity.key, field(e, 'container.id')),
      labels,
    };
    if (found.length) alert.secrets = [...new Map(found.map((d) => [`${d.type}:${d.fingerprint}`, d])).values()];
    return { kind: 'alerts', alerts: [alert] };
  },
};
