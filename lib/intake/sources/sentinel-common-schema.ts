import { z } from 'zod';
import { instant } from '../../instant';
import type { AlertCategory, AlertEntity, AlertSeverity, ParsedAlert } from '../alert';
import { fingerprintOf } from '../source';

/**
 * Azure Monitor's common alert schema, as an action group posts it
 * (https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema; samples per
 * monitoring service in alerts-payload-samples.md). `essentials` is the same for every alert;
 * `alertContext` depends on `monitoringService`. Budget alerts come with no rule, severity,
 * signal type or target, so only `alertId`, `monitorCondition` and `firedDateTime` are required.
 */
const isoTime = instant('2024-05-01T12:00:00Z');

export const commonSchema = z.object({
  schemaId: z.literal('azureMonitorCommonAlertSchema'),
  data: z.object({
    essentials: z.object({
      alertId: z.string().min(1),
      alertRule: z.string().nullish(),
      severity: z.enum(['Sev0', 'Sev1', 'Sev2', 'Sev3', 'Sev4']).nullish(),
      signalType: z.string().nullish(),
      monitorCondition: z.enum(['Fired', 'Resolved']),
      monitoringService: z.string().nullish(),
      firedDateTime: isoTime,
      resolvedDateTime: isoTime.nullish(),
      configurationItems: z.array(z.string()).nullish(),
      alertTargetIDs: z.array(z.string()).nullish(),
      description: z.string().nullish(),
    }),
    // Read leniently (its shape depends on the monitoring service): a field of another type is just absent.
    alertContext: z.record(z.string(), z.unknown()).nullish().catch(undefined),
  }),
});
export type CommonAlert = z.infer<typeof commonSchema>;
type Essentials = CommonAlert['data']['essentials'];

const SEV_LEVELS: Record<string, AlertSeverity> = { Sev0: 'critical', Sev1: 'high', Sev2: 'medium', Sev3: 'low', Sev4: 'info' };

/** Dimensions that name a computer: log search alerts on a workspace split by computer, Defender tables. */
const HOST_DIMENSIONS = new Set(['computer', 'host', 'hostname', 'devicename', 'computername']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(obj: unknown, key: string): string | undefined {
  const v = isRecord(obj) && Object.hasOwn(obj, key) ? obj[key] : undefined;
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** Dimensions of a metric or log search alert (`condition.allOf[].dimensions`), or of a log alert V1 (`Dimensions`). */
function dimensions(context: Record<string, unknown>): { name: string; value: string }[] {
  const condition = isRecord(context.condition) ? context.condition : {};
  const criteria = Array.isArray(condition.allOf) ? condition.allOf : [];
  const lists = [...criteria.map((c) => (isRecord(c) ? c.dimensions : undefined)), context.Dimensions];
  return lists.flatMap((list): unknown[] => (Array.isArray(list) ? list : [])).flatMap((d) => {
    const name = text(d, 'name');
    const value = text(d, 'value');
    return name && value ? [{ name, value }] : [];
  });
}

/** An activity-log security alert (Defender for Cloud) on a virtual machine: the VM it names as compromised. */
function compromisedVm(e: Essentials, context: Record<string, unknown>): string | undefined {
  if (e.monitoringService !== 'Activity Log - Security') return undefined;
  const p = context.properties;
  const vm = [text(p, 'resourceType'), text(p, 'attackedResourceType')].some((t) => t && /virtual machine/i.test(t));
  return vm ? text(p, 'compromisedEntity') : undefined;
}

/**
 * The computer a host dimension or Defender names; the budget of a cost alert; the subscription
 * of a service health alert; else the alert target (ARM ids are case-insensitive) or its
 * configuration item; else the alert rule, saying what was looked at.
 */
function entityOf(e: Essentials, context: Record<string, unknown>): AlertEntity {
  const vm = compromisedVm(e, context);
  if (vm) return { kind: 'host', key: vm.toLowerCase(), display: `${vm} (compromisedEntity, Virtual Machine)` };
  const dimension = dimensions(context).find((d) => HOST_DIMENSIONS.has(d.name.toLowerCase()));
  if (dimension) return { kind: 'host', key: dimension.value.toLowerCase(), display: `${dimension.value} (dimension ${dimension.name})` };
  const budget = isRecord(context.AlertData) ? context.AlertData : undefined;
  const budgetId = text(budget, 'BudgetId');
  if (budgetId) {
    const scope = text(budget, 'Scope');
    return { kind: 'resource', key: budgetId.toLowerCase(), display: `budget ${text(budget, 'BudgetName') ?? budgetId}${scope ? ` (${scope})` : ''}` };
  }
  // `||`, not `??`: empty strings must not become an empty entity key.
  const target = e.alertTargetIDs?.find((t) => t.trim() !== '');
  const item = e.configurationItems?.find((c) => c.trim() !== '');
  const subscription = target && /^\/subscriptions\/([^/]+)\/?$/i.exec(target)?.[1];
  if (subscription) return { kind: 'account', key: target.replace(/\/$/, '').toLowerCase(), display: `Azure subscription ${subscription}` };
  if (target || item) return { kind: 'resource', key: (target || item || '').toLowerCase(), display: item || target || '' };
  const rule = e.alertRule || e.monitoringService || 'Azure Monitor alert';
  return {
    kind: 'resource',
    key: `alert-rule:${rule.toLowerCase()}`,
    display: `alert rule "${rule}" (no alertTargetIDs, configurationItems or host dimension in the alert)`,
  };
}

function titleOf(e: Essentials, context: Record<string, unknown>, entity: AlertEntity): string {
  const budget = isRecord(context.AlertData) ? text(context.AlertData, 'BudgetName') : undefined;
  const name = e.alertRule || (budget ? `Budget ${budget}` : `${e.monitoringService || 'Azure Monitor'} alert`);
  const on = entity.kind === 'host' ? entity.display.replace(/ \(.*\)$/, '') : e.configurationItems?.find((c) => c.trim() !== '');
  return `${name}${on && !budget ? ` on ${on}` : ''}${e.monitorCondition === 'Resolved' ? ' (resolved)' : ''}`;
}

/** What happened, when the rule has no description: a Defender threat, a health event's title, a smart detector's summary. */
function contextSummary(context: Record<string, unknown>): string {
  const p = context.properties;
  const threat = text(p, 'category') && text(p, 'filePath') ? `${text(p, 'category')}: ${text(p, 'filePath')} (${text(p, 'actionTaken') ?? 'no action'})` : undefined;
  return threat ?? text(p, 'title') ?? text(context, 'DetectionSummary') ?? '';
}

export function fromCommon(body: CommonAlert, clean: (s: string) => string): ParsedAlert {
  const e = body.data.essentials;
  const context = body.data.alertContext ?? {};
  const entity = entityOf(e, context);
  const target = e.alertTargetIDs?.[0];
  const labels: Record<string, string> = { monitorCondition: e.monitorCondition };
  if (e.alertRule) labels.alertRule = clean(e.alertRule);
  if (e.signalType) labels.signalType = clean(e.signalType);
  if (e.monitoringService) labels.monitoringService = clean(e.monitoringService);
  if (target) labels.alertTargetId = clean(target);
  const category: AlertCategory = entity.kind === 'host' && compromisedVm(e, context) ? 'host-compromise' : 'other';
  return {
    title: clean(titleOf(e, context, entity)),
    description: clean(e.description || contextSummary(context)),
    severity: e.severity ? SEV_LEVELS[e.severity] : 'medium',
    severityOriginal: e.severity ?? 'unspecified',
    category,
    entity: { kind: entity.kind, key: clean(entity.key), display: clean(entity.display) },
    observedAt: e.monitorCondition === 'Resolved' ? (e.resolvedDateTime ?? e.firedDateTime) : e.firedDateTime,
    fingerprint: fingerprintOf('sentinel', e.alertId),
    labels,
  };
}
