import { z } from 'zod';
import type { AlertSeverity, ParsedAlert, SecretDescriptor } from '../alert';
import type { ParseContext, ParseResult, SourceAdapter, WebhookRequest } from '../source';
import { PayloadError, fingerprintOf, header, parseWith } from '../source';

/**
 * GitHub secret scanning alerts (`X-GitHub-Event: secret_scanning_alert`), per
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads#secret_scanning_alert.
 * The payload carries the leaked secret itself in `alert.secret`: it leaves this file only
 * as a `SecretDescriptor`.
 */

const isoTime = z.iso.datetime({ offset: true, message: 'expected an ISO 8601 date-time, e.g. 2024-05-01T12:00:00Z' });

const pingSchema = z.object({ hook_id: z.union([z.number(), z.string()]).optional() });

const secretScanningSchema = z.object({
  action: z.string().min(1),
  alert: z.object({
    number: z.number().int(),
    secret_type: z.string().min(1),
    secret_type_display_name: z.string().nullish(),
    secret: z.string().min(1, 'expected the leaked secret (GitHub sends it in alert.secret)'),
    html_url: z.string(),
    created_at: isoTime,
    updated_at: isoTime.nullish(),
    resolved_at: isoTime.nullish(),
    resolution: z.string().nullish(),
    validity: z.string().nullish(),
    publicly_leaked: z.boolean().nullish(),
    push_protection_bypassed: z.boolean().nullish(),
  }),
  repository: z.object({ full_name: z.string().min(1), html_url: z.string().optional(), private: z.boolean() }),
  organization: z.object({ login: z.string() }).nullish(),
  sender: z.object({ login: z.string() }).nullish(),
});
type SecretScanningEvent = z.infer<typeof secretScanningSchema>;

function severityOf(e: SecretScanningEvent, validity: string): AlertSeverity {
  const leakedPublicly = e.action === 'publicly_leaked' || e.alert.publicly_leaked === true;
  return leakedPublicly || !e.repository.private || validity === 'active' ? 'critical' : 'high';
}

function toAlert(e: SecretScanningEvent, ctx: ParseContext): ParsedAlert {
  const { alert, repository } = e;
  const found: SecretDescriptor[] = [];
  const secret = ctx.redactor.describe(alert.secret_type, alert.secret);
  // The secret itself is removed from any text it turns up in, besides the usual patterns.
  const placeholder = ctx.redactor.placeholder(secret);
  const scrub = (text: string) => (alert.secret.length >= 8 ? text.split(alert.secret).join(placeholder) : text);
  const clean = (text: string) => ctx.redactor.redactText(scrub(text), found);
  const typeName = clean(alert.secret_type_display_name ?? alert.secret_type);
  const repo = clean(repository.full_name);
  const validity = clean(alert.validity ?? 'unknown');
  const action = clean(e.action);
  const visibility = repository.private ? 'private' : 'public';
  const observedAt = action === 'created' ? alert.created_at : (alert.resolved_at ?? alert.updated_at ?? alert.created_at);

  const lines = [
    `GitHub secret scanning alert #${alert.number} (${action}) in ${visibility} repository ${repo}.`,
    `Secret: ${typeName} ending …${secret.last4} (fingerprint ${secret.fingerprint.slice(0, 12)}), validity ${validity}.`,
    alert.push_protection_bypassed ? 'Push protection was bypassed for this secret.' : undefined,
    alert.resolution ? `Resolution: ${clean(alert.resolution)}.` : undefined,
    e.sender ? `Sender: ${clean(e.sender.login)}.` : undefined,
    `Alert: ${clean(alert.html_url)}`,
  ];
  const labels: Record<string, string> = {
    repository: repo,
    alertNumber: String(alert.number),
    action,
    secretType: clean(alert.secret_type),
    validity,
    visibility,
    htmlUrl: clean(alert.html_url),
  };
  if (e.organization) labels.organization = clean(e.organization.login);

  return {
    title: `${typeName} leaked in ${repo}${action === 'created' ? '' : ` (${action})`}`,
    description: lines.filter((l) => l !== undefined).join('\n'),
    severity: severityOf(e, validity),
    severityOriginal: `action=${action} validity=${validity}`,
    category: 'secret-leak',
    entity: { kind: 'credential', key: `secret:${secret.fingerprint}`, display: `${typeName} …${secret.last4}` },
    observedAt,
    fingerprint: fingerprintOf('github', repository.full_name, alert.number),
    labels,
    secrets: [secret, ...found],
  };
}

export const githubSource: SourceAdapter = {
  name: 'github',
  auth: { kind: 'github-hmac' },
  setupHint:
    'Repository or organization webhook → payload URL https://<palisade>/webhooks/github, content type application/json, secret = PALISADE_WEBHOOK_SECRET_GITHUB, events: Secret scanning alerts.',

  /**
   * From the signed body, not the unsigned X-GitHub-Delivery header (which a replay could
   * change): one alert event is one delivery, and GitHub's own redeliveries match it.
   */
  deliveryId(body: unknown): string | undefined {
    const b = body as { action?: unknown; repository?: { full_name?: unknown }; alert?: { number?: unknown; updated_at?: unknown; created_at?: unknown } } | null;
    const parts = [b?.repository?.full_name, b?.alert?.number, b?.action, b?.alert?.updated_at ?? b?.alert?.created_at];
    return parts.every((p) => typeof p === 'string' || typeof p === 'number') ? `github:${parts.join(':')}` : undefined;
  },

  parse(body: unknown, req: WebhookRequest, ctx: ParseContext): ParseResult {
    const event = header(req, 'x-github-event');
    if (!event) {
      throw new PayloadError('github', ['X-GitHub-Event header: missing (GitHub sends it on every webhook delivery)']);
    }
    if (event === 'ping') {
      const ping = parseWith('github', pingSchema, body);
      return { kind: 'control', message: `GitHub ping received (hook ${ping.hook_id ?? 'unknown'})` };
    }
    if (event !== 'secret_scanning_alert') {
      throw new PayloadError('github', [
        `X-GitHub-Event header: "${event.slice(0, 100)}" is not accepted; only secret_scanning_alert and ping are — select just "Secret scanning alerts" in the webhook's events`,
      ]);
    }
    return { kind: 'alerts', alerts: [toAlert(parseWith('github', secretScanningSchema, body), ctx)] };
  },
};
