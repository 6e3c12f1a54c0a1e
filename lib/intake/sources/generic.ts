import { z } from 'zod';
import { instant } from '../../instant';
import { ALERT_CATEGORIES, ALERT_SEVERITIES, ENTITY_KINDS } from '../alert';
import type { ParsedAlert, SecretDescriptor } from '../alert';
import type { ParseContext, ParseResult, SourceAdapter, WebhookRequest } from '../source';
import { fingerprintOf, header, parseWith } from '../source';

/** The most alerts one generic delivery may carry. */
export const GENERIC_BATCH_LIMIT = 100;

/**
 * Palisade's own minimal alert shape, for any sender without a dedicated adapter.
 * POST one object, or an array of up to 100 of them, signed with `X-Palisade-Signature`.
 */
export const genericAlertSchema = z.object({
  title: z.string().min(1).max(300),
  severity: z.enum(ALERT_SEVERITIES),
  entity: z.object({
    kind: z.enum(ENTITY_KINDS),
    key: z.string().min(1).max(300),
    display: z.string().max(300).optional(),
  }),
  description: z.string().max(10_000).optional(),
  category: z.enum(ALERT_CATEGORIES).default('other'),
  observedAt: instant('2024-05-01T12:00:00Z').optional(),
  /** The sender's own finding id: re-sends with the same id are the same finding. */
  id: z.string().min(1).max(300).optional(),
  labels: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});
export type GenericAlert = z.infer<typeof genericAlertSchema>;

const genericBatchSchema = z
  .array(genericAlertSchema)
  .min(1, 'expected at least one alert in the array')
  .max(GENERIC_BATCH_LIMIT, `expected at most ${GENERIC_BATCH_LIMIT} alerts in one delivery`);

function toAlert(g: GenericAlert, ctx: ParseContext): ParsedAlert {
  const found: SecretDescriptor[] = [];
  const clean = (s: string) => ctx.redactor.redactText(s, found);
  const title = clean(g.title);
  const key = clean(g.entity.key);
  const labels = Object.fromEntries(Object.entries(g.labels ?? {}).map(([name, value]) => [clean(name), clean(String(value))]));
  const alert: ParsedAlert = {
    title,
    description: clean(g.description ?? ''),
    severity: g.severity,
    severityOriginal: g.severity,
    category: g.category,
    entity: { kind: g.entity.kind, key, display: g.entity.display ? clean(g.entity.display) : key },
    observedAt: g.observedAt ?? ctx.receivedAt,
    fingerprint: fingerprintOf('generic', g.id ?? title, g.entity.kind, key),
    labels,
  };
  return found.length ? { ...alert, secrets: found } : alert;
}

export const genericSource: SourceAdapter = {
  name: 'generic',
  auth: { kind: 'palisade-hmac' },
  setupHint:
    'POST JSON {title, severity, entity: {kind, key}} (or an array of up to 100) to https://<palisade>/webhooks/generic, signed with X-Palisade-Timestamp and X-Palisade-Signature: v1=HMAC-SHA256(PALISADE_WEBHOOK_SECRET_GENERIC, "<timestamp>.<body>").',

  deliveryId(_body: unknown, req: WebhookRequest): string | undefined {
    return header(req, 'x-palisade-delivery');
  },

  parse(body: unknown, _req: WebhookRequest, ctx: ParseContext): ParseResult {
    const items = Array.isArray(body) ? parseWith('generic', genericBatchSchema, body) : [parseWith('generic', genericAlertSchema, body)];
    return { kind: 'alerts', alerts: items.map((g) => toAlert(g, ctx)) };
  },
};
