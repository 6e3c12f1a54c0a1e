import { z } from 'zod';
import { instant } from '../../instant';
import type { AlertCategory, AlertEntity, AlertSeverity, ParsedAlert, SecretDescriptor } from '../alert';
import type { ParseContext, ParseResult, SourceAdapter, WebhookRequest } from '../source';
import { fingerprintOf, parseWith } from '../source';
import { commonSchema, fromCommon } from './sentinel-common-schema';

/**
 * Microsoft Sentinel, two shapes: an Azure Monitor action group's common alert schema
 * (https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema), and a
 * Sentinel incident posted by a Logic App (the incident trigger's `object`, or just its
 * `{ id, name, properties }`).
 */

const isoTime = instant('2024-05-01T12:00:00Z');

/** Entity properties are read leniently: a field of an unexpected type is just absent. */
const optText = z.string().min(1).optional().catch(undefined);
const entityProps = z.object({
  hostName: optText, netBiosName: optText, dnsDomain: optText, azureID: optText,
  accountName: optText, upnSuffix: optText, friendlyName: optText, displayName: optText,
  mailboxPrimaryAddress: optText, resourceId: optText,
});
const entitySchema = z.object({ kind: z.string(), properties: entityProps.catch({}) });
const incidentSchema = z.object({
  id: z.string().nullish(),
  name: z.string().nullish(),
  properties: z.object({
    title: z.string().min(1),
    description: z.string().nullish(),
    severity: z.enum(['High', 'Medium', 'Low', 'Informational']),
    status: z.string().nullish(),
    incidentNumber: z.number().int(),
    incidentUrl: z.string().nullish(),
    createdTimeUtc: isoTime,
    lastModifiedTimeUtc: isoTime.nullish(),
    labels: z.array(z.object({ labelName: z.string() })).nullish(),
    additionalData: z
      .object({ alertsCount: z.number().nullish(), tactics: z.array(z.string()).nullish(), alertProductNames: z.array(z.string()).nullish() })
      .nullish(),
    relatedEntities: z.array(entitySchema).nullish(),
  }),
});
type Incident = z.infer<typeof incidentSchema>;

const INCIDENT_LEVELS: Record<string, AlertSeverity> = { High: 'high', Medium: 'medium', Low: 'low', Informational: 'info' };
const HOST_TACTICS = new Set(['InitialAccess', 'Execution', 'Persistence', 'PrivilegeEscalation', 'DefenseEvasion', 'LateralMovement', 'CommandAndControl', 'Exfiltration', 'Impact']);

/** Tactics that, on an account, mean someone else may be signing in as it. */
const IDENTITY_TACTICS = new Set(['InitialAccess', 'CredentialAccess', 'Persistence', 'PrivilegeEscalation', 'DefenseEvasion']);
/** Sign-in risk detections (alertProductNames; the older and the current name of the product). */
const IDENTITY_PRODUCTS = new Set(['Azure Active Directory Identity Protection', 'Microsoft Entra ID Protection']);

/**
 * An incident about an account (no host) raised by sign-in risk, or with a takeover tactic, is
 * an identity compromise. Otherwise host-compromise tactics win over CredentialAccess: a stolen
 * credential on a compromised host is a host problem first.
 */
function categoryOf(tactics: string[], products: string[], entity: AlertEntity): AlertCategory {
  if (entity.kind === 'account' && (products.some((p) => IDENTITY_PRODUCTS.has(p)) || tactics.some((t) => IDENTITY_TACTICS.has(t)))) return 'identity';
  if (tactics.some((t) => HOST_TACTICS.has(t))) return 'host-compromise';
  return tactics.includes('CredentialAccess') ? 'secret-leak' : 'other';
}

/**
 * The entity a responder acts on, from the incident's related entities (kinds and properties:
 * https://learn.microsoft.com/azure/sentinel/entities-reference): a Host (hostName, netBiosName,
 * else its azureID), an Account, a Mailbox, an AzureResource; else the incident itself.
 */
function incidentEntity(incident: Incident): AlertEntity {
  const entities = incident.properties.relatedEntities ?? [];
  const of = (kind: string, has: (p: z.infer<typeof entityProps>) => string | undefined) => entities.find((e) => e.kind === kind && has(e.properties))?.properties;
  const host = of('Host', (p) => p.hostName ?? p.netBiosName ?? p.azureID);
  const hostName = host?.hostName ?? host?.netBiosName;
  if (host && hostName) return { kind: 'host', key: hostName.toLowerCase(), display: host.dnsDomain ? `${hostName}.${host.dnsDomain}` : hostName };
  if (host?.azureID) return { kind: 'host', key: host.azureID.toLowerCase(), display: host.friendlyName ?? host.azureID };
  const account = of('Account', (p) => p.accountName);
  if (account?.accountName) {
    const key = account.upnSuffix ? `${account.accountName}@${account.upnSuffix}` : account.accountName;
    return { kind: 'account', key: key.toLowerCase(), display: account.friendlyName ?? key };
  }
  const mailbox = of('Mailbox', (p) => p.mailboxPrimaryAddress);
  if (mailbox?.mailboxPrimaryAddress) {
    const address = mailbox.mailboxPrimaryAddress;
    return { kind: 'account', key: address.toLowerCase(), display: mailbox.displayName ?? mailbox.friendlyName ?? address };
  }
  const resource = of('AzureResource', (p) => p.resourceId);
  if (resource?.resourceId) return { kind: 'resource', key: resource.resourceId.toLowerCase(), display: resource.friendlyName ?? resource.resourceId };
  const number = incident.properties.incidentNumber;
  // `||`, not `??`: an empty id must not become an empty entity key.
  return {
    kind: 'resource',
    key: (incident.id || `sentinel-incident:${number}`).toLowerCase(),
    display: `Sentinel incident #${number} (no Host, Account, Mailbox or AzureResource entity in relatedEntities)`,
  };
}

function fromIncident(incident: Incident, clean: (s: string) => string): ParsedAlert {
  const p = incident.properties;
  const tactics = p.additionalData?.tactics ?? [];
  const entity = incidentEntity(incident);
  const labels: Record<string, string> = { incidentNumber: String(p.incidentNumber), tactics: clean(tactics.join(',')) };
  if (p.status) labels.status = clean(p.status);
  if (p.incidentUrl) labels.incidentUrl = clean(p.incidentUrl);
  if (p.additionalData?.alertsCount != null) labels.alertsCount = String(p.additionalData.alertsCount);
  if (p.additionalData?.alertProductNames?.length) labels.products = clean(p.additionalData.alertProductNames.join(','));
  if (p.labels?.length) labels.sentinelLabels = clean(p.labels.map((l) => l.labelName).join(','));
  return {
    title: clean(p.title),
    description: clean(p.description ?? ''),
    severity: INCIDENT_LEVELS[p.severity],
    severityOriginal: p.severity,
    category: categoryOf(tactics, p.additionalData?.alertProductNames ?? [], entity),
    entity: { ...entity, key: clean(entity.key), display: clean(entity.display) },
    observedAt: p.createdTimeUtc,
    fingerprint: fingerprintOf('sentinel', incident.id ?? incident.name ?? `incident:${p.incidentNumber}`),
    labels,
  };
}

function isCommonSchema(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'schemaId' in body;
}

function incidentOf(body: unknown): unknown {
  return typeof body === 'object' && body !== null && 'object' in body ? body.object : body;
}

export const sentinelSource: SourceAdapter = {
  name: 'sentinel',
  auth: { kind: 'token', allowQueryToken: true },
  setupHint:
    'A Logic App on the Microsoft Sentinel incident trigger POSTs the incident object to https://<palisade>/webhooks/sentinel with header Authorization: Bearer <PALISADE_WEBHOOK_SECRET_SENTINEL>, or an Azure Monitor action group webhook (common alert schema on) posts to https://<palisade>/webhooks/sentinel?token=<PALISADE_WEBHOOK_SECRET_SENTINEL>.',

  deliveryId(body: unknown): string | undefined {
    if (isCommonSchema(body)) {
      const parsed = commonSchema.safeParse(body);
      // Fired and Resolved share the alertId: the condition keeps them distinct deliveries.
      return parsed.success ? `${parsed.data.data.essentials.alertId}:${parsed.data.data.essentials.monitorCondition}` : undefined;
    }
    const parsed = incidentSchema.safeParse(incidentOf(body));
    if (!parsed.success) return undefined;
    const { name, id, properties } = parsed.data;
    const who = name ?? id;
    return who ? `${who}:${properties.lastModifiedTimeUtc ?? properties.createdTimeUtc}` : undefined;
  },

  parse(body: unknown, _req: WebhookRequest, ctx: ParseContext): ParseResult {
    const found: SecretDescriptor[] = [];
    const clean = (s: string) => ctx.redactor.redactText(s, found);
    const alert = isCommonSchema(body)
      ? fromCommon(parseWith('sentinel', commonSchema, body), clean)
      : fromIncident(parseWith('sentinel', incidentSchema, incidentOf(body)), clean);
    return { kind: 'alerts', alerts: [found.length ? { ...alert, secrets: found } : alert] };
  },
};
