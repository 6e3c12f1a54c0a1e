import type { DataSource } from 'typeorm';
import { OPSGENIE_USER } from '../../../activities/providers/paging/opsgenie';
import { matchesAny } from '../webhooks/auth/secrets';
import { recordPageEvent, type WebhookOutcome } from './page-acknowledgement';

/**
 * Opsgenie's outgoing webhook integration signs nothing: it sends the custom headers it is
 * given. Palisade requires one (settings.opsgenie.webhookHeader) carrying a shared secret,
 * compared in constant time with each configured value (two during a rotation).
 */
export function opsgenieSecretValid(presented: string | undefined, secrets: string[]): boolean {
  return presented !== undefined && presented.length > 0 && secrets.length > 0 && matchesAny(presented, secrets);
}

/** Opsgenie's `updatedAt` is in nanoseconds (`createdAt` in milliseconds): either as an ISO time. */
function isoTime(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return undefined;
  const ms = value > 1e14 ? value / 1e6 : value;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/**
 * An alert action an outgoing webhook reports (Atlassian's "Alert action data": `action`,
 * `alert` {alertId, alias, username, updatedAt, …}, `source`, `integrationName`). The alias is
 * the incident id Palisade sent. `Acknowledge` marks the incident acknowledged by
 * `alert.username`; `Close` is recorded (it does not resolve the security incident); other
 * actions, and the ones Palisade took itself, are not acted on.
 */
export async function recordOpsgenieAction(db: DataSource, body: unknown): Promise<WebhookOutcome> {
  const b = (body ?? {}) as Record<string, unknown>;
  const action = typeof b.action === 'string' ? b.action : '';
  const alert = (b.alert && typeof b.alert === 'object' ? b.alert : {}) as Record<string, unknown>;
  if (action !== 'Acknowledge' && action !== 'Close') return { recorded: false, reason: `${action || 'an action'} is not acted on` };
  const who = typeof alert.username === 'string' && alert.username ? alert.username : 'Opsgenie';
  if (who === OPSGENIE_USER) return { recorded: false, reason: `${action} was Palisade's own` };
  const at = isoTime(alert.updatedAt) ?? new Date().toISOString();
  const alertId = typeof alert.alertId === 'string' ? alert.alertId : '';
  return recordPageEvent(db, {
    vendor: 'opsgenie',
    vendorName: 'Opsgenie',
    kind: action === 'Acknowledge' ? 'acknowledged' : 'resolved',
    incidentKey: typeof alert.alias === 'string' ? alert.alias : undefined,
    eventType: action,
    // Opsgenie gives an action no id: the alert, the action and the alert's update time name it.
    eventId: `${alertId}:${action}:${typeof alert.updatedAt === 'number' ? alert.updatedAt : at}`,
    who,
    at,
    url: null,
    data: { opsgenieAlert: alertId || null, tinyId: alert.tinyId ?? null, integration: b.integrationName ?? null },
  });
}
