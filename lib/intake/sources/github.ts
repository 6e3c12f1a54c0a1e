import { createHash } from 'node:crypto';
import { z } from 'zod';
import { instant } from '../../instant';
import type { AlertSeverity, ParsedAlert, SecretDescriptor } from '../alert';
import type { CompleteContext, LeakedSecretAnswer, ParseContext, ParseResult, SourceAdapter, WebhookRequest } from '../source';
import { PayloadError, fingerprintOf, header, parseWith } from '../source';
import { describeLocation, locationSchema, type SecretLocation } from './github-location';

/**
 * GitHub secret scanning: `secret_scanning_alert` (every action) and
 * `secret_scanning_alert_location` deliveries, and `ping`. GitHub's webhook alert
 * (`secret-scanning-alert-webhook` in github/rest-api-description) does not carry the leaked
 * secret, and makes every field optional: only the alert number and the repository are required
 * here. The secret comes from an older shape's `alert.secret` when a delivery has it, else
 * `complete` asks the door's LeakedSecretLookup (an earlier delivery of the alert, or GitHub's
 * REST API); when neither knows it the incident is keyed by repository and alert number.
 * Sources: test/fixtures/webhooks/github/SOURCES.md.
 */

const isoTime = instant('2024-05-01T12:00:00Z');
const login = z.object({ login: z.string() }).nullish();

const pingSchema = z.object({ hook_id: z.union([z.number(), z.string()]).optional() });

const alertSchema = z.object({
  number: z.number().int().positive(),
  secret_type: z.string().min(1).nullish(),
  secret_type_display_name: z.string().nullish(),
  /** Not in GitHub's current webhook schema; older payloads (octokit/webhooks' schema) may carry it. */
  secret: z.string().min(1).nullish(),
  html_url: z.string().nullish(),
  created_at: isoTime.nullish(),
  updated_at: isoTime.nullish(),
  resolved_at: isoTime.nullish(),
  resolution: z.string().nullish(),
  validity: z.string().nullish(),
  publicly_leaked: z.boolean().nullish(),
  push_protection_bypassed: z.boolean().nullish(),
});

const eventSchema = z.object({
  action: z.string().min(1),
  alert: alertSchema,
  repository: z.object({ full_name: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'expected owner/name'), private: z.boolean() }),
  organization: login,
  sender: login,
  /** Only on `secret_scanning_alert_location`. */
  location: locationSchema.optional(),
});
type SecretScanningEvent = z.infer<typeof eventSchema>;

const ALERT_EVENT = 'secret_scanning_alert';
const LOCATION_EVENT = 'secret_scanning_alert_location';
/** Actions that change who works on an alert or close it: they say nothing new about the exposure. */
const BOOKKEEPING = ['resolved', 'revoked', 'assigned', 'unassigned'];

function severityOf(e: SecretScanningEvent, validity: string): AlertSeverity {
  if (!e.location && BOOKKEEPING.includes(e.action)) return 'info';
  const leakedPublicly = e.action === 'publicly_leaked' || e.alert.publicly_leaked === true;
  return leakedPublicly || !e.repository.private || validity === 'active' ? 'critical' : 'high';
}

/** The alert's own secret, when the delivery carries it (an older payload shape). */
function carried(e: SecretScanningEvent, ctx: ParseContext): SecretDescriptor | undefined {
  return e.alert.secret ? ctx.redactor.describe(e.alert.secret_type ?? 'unknown', e.alert.secret) : undefined;
}

function toAlert(e: SecretScanningEvent, ctx: ParseContext, known: LeakedSecretAnswer): ParsedAlert {
  const { alert, repository } = e;
  const found: SecretDescriptor[] = [];
  const raw = alert.secret;
  const secret = 'secret' in known ? known.secret : undefined;
  // The secret itself is removed from any text it turns up in, besides the usual patterns.
  const scrub = (text: string) => (raw && secret && raw.length >= 8 ? text.split(raw).join(ctx.redactor.placeholder(secret)) : text);
  const clean = (text: string) => ctx.redactor.redactText(scrub(text), found);
  const type = secret?.type && secret.type !== 'unknown' ? secret.type : (alert.secret_type ?? 'unknown');
  const typeName = clean(alert.secret_type_display_name ?? type);
  const repo = clean(repository.full_name);
  const validity = clean(alert.validity ?? 'unknown');
  const action = clean(e.action);
  const visibility = repository.private ? 'private' : 'public';
  const location = e.location ? describeLocation(e.location, clean) : undefined;
  const observedAt = location
    ? ctx.receivedAt
    : ((action === 'created' ? alert.created_at : (alert.resolved_at ?? alert.updated_at ?? alert.created_at)) ?? ctx.receivedAt);
  const what = `GitHub secret scanning alert #${alert.number} (${location ? 'new location' : action}) in ${visibility} repository ${repo}.`;
  const lines = [
    location ? `${what} Found again: ${location.text}.` : what,
    secret
      ? `Secret: ${typeName} ending …${secret.last4} (fingerprint ${secret.fingerprint.slice(0, 12)}), validity ${validity}.`
      : `Secret: ${typeName}, validity ${validity}; not read from GitHub (${clean((known as { missing: string }).missing)}): the secret-leak playbook reads it from GitHub's REST API.`,
    alert.push_protection_bypassed ? 'Push protection was bypassed for this secret.' : undefined,
    alert.resolution ? `Resolution: ${clean(alert.resolution)}.` : undefined,
    e.sender ? `Sender: ${clean(e.sender.login)}.` : undefined,
    alert.html_url ? `Alert: ${clean(alert.html_url)}` : undefined,
  ];
  const labels: Record<string, string> = { repository: repo, alertNumber: String(alert.number), action, secretType: clean(type), validity, visibility };
  if (alert.html_url) labels.htmlUrl = clean(alert.html_url);
  if (e.organization) labels.organization = clean(e.organization.login);
  if (!secret) labels.secretMissing = clean((known as { missing: string }).missing);
  if (location) Object.assign(labels, location.labels);

  return {
    title: location ? `${typeName} found again in ${repo}: ${location.text}` : `${typeName} leaked in ${repo}${action === 'created' ? '' : ` (${action})`}`,
    description: lines.filter((l) => l !== undefined).join('\n'),
    severity: severityOf(e, validity),
    severityOriginal: `action=${action} validity=${validity}`,
    category: 'secret-leak',
    entity: secret
      ? { kind: 'credential', key: `secret:${secret.fingerprint}`, display: `${typeName} …${secret.last4}` }
      : { kind: 'credential', key: `github-alert:${repo}#${alert.number}`, display: `${typeName} in ${repo} (alert #${alert.number})` },
    observedAt,
    // Each location is a finding of its own; every delivery about the alert itself is the same one.
    fingerprint: e.location ? fingerprintOf('github', repository.full_name, alert.number, 'location', locationDigest(e.location)) : alertKey(e),
    labels,
    secrets: secret ? [secret, ...found] : found,
  };
}

const alertKey = (e: SecretScanningEvent) => fingerprintOf('github', e.repository.full_name, e.alert.number);
const locationDigest = (l: SecretLocation) => createHash('sha256').update(JSON.stringify(l)).digest('hex').slice(0, 16);

/** The delivery's event, from the header GitHub sends with every delivery; `undefined` for a ping. */
function eventOf(body: unknown, req: WebhookRequest): SecretScanningEvent | undefined {
  const event = header(req, 'x-github-event');
  if (!event) throw new PayloadError('github', ['X-GitHub-Event header: missing (GitHub sends it on every webhook delivery)']);
  if (event === 'ping') return undefined;
  if (event !== ALERT_EVENT && event !== LOCATION_EVENT) {
    throw new PayloadError('github', [
      `X-GitHub-Event header: "${event.slice(0, 100)}" is not accepted; only ${ALERT_EVENT}, ${LOCATION_EVENT} and ping are — select "Secret scanning alerts" and "Secret scanning alert locations" in the webhook's events`,
    ]);
  }
  const parsed = parseWith('github', eventSchema, body);
  if (event === LOCATION_EVENT && !parsed.location) throw new PayloadError('github', ['location: expected the location a secret_scanning_alert_location delivery names']);
  return event === ALERT_EVENT ? { ...parsed, location: undefined } : parsed;
}

export const githubSource: SourceAdapter = {
  name: 'github',
  auth: { kind: 'github-hmac' },
  setupHint:
    'Repository or organization webhook (or a GitHub App) → payload URL https://<palisade>/webhooks/github, content type application/json, secret = PALISADE_WEBHOOK_SECRET_GITHUB, events: Secret scanning alerts and Secret scanning alert locations.',

  /**
   * From the signed body, not the unsigned X-GitHub-Delivery header (which a replay could
   * change): one alert event is one delivery, and GitHub's own redeliveries match it. A location
   * delivery is told apart from its alert's by the location.
   */
  deliveryId(body: unknown): string | undefined {
    const b = body as { action?: unknown; repository?: { full_name?: unknown }; alert?: { number?: unknown; updated_at?: unknown; created_at?: unknown }; location?: unknown } | null;
    const change = b?.location !== undefined ? `location:${createHash('sha256').update(JSON.stringify(b.location)).digest('hex')}` : b?.alert?.updated_at ?? b?.alert?.created_at;
    const parts = [b?.repository?.full_name, b?.alert?.number, b?.action, change];
    return parts.every((p) => typeof p === 'string' || typeof p === 'number') ? `github:${parts.join(':')}` : undefined;
  },

  /** Without the door's lookup: the delivery's own secret, or keyed by repository and alert number. */
  parse(body: unknown, req: WebhookRequest, ctx: ParseContext): ParseResult {
    const e = eventOf(body, req);
    if (!e) return { kind: 'control', message: `GitHub ping received (hook ${parseWith('github', pingSchema, body).hook_id ?? 'unknown'})` };
    const secret = carried(e, ctx);
    return { kind: 'alerts', alerts: [toAlert(e, ctx, secret ? { secret } : { missing: 'not looked up yet' })] };
  },

  async complete(parsed: ParseResult, body: unknown, req: WebhookRequest, ctx: CompleteContext): Promise<ParseResult> {
    const e = parsed.kind === 'alerts' ? eventOf(body, req) : undefined;
    if (!e || e.alert.secret) return parsed;
    const known = await ctx.secrets.find({ source: 'github', repository: e.repository.full_name, alertNumber: e.alert.number, alertKey: alertKey(e) });
    return { kind: 'alerts', alerts: [toAlert(e, ctx, known)] };
  },
};
