import { z } from 'zod';
import type { AlertCategory, AlertEntity, AlertSeverity, ParsedAlert } from '../alert';
import { fingerprintOf, parseWith, severityFromScale, type ParseContext, type SourceAdapter } from '../source';
import { TextCleaner, awsDeliveryId, ec2InstanceId, isRecord, isoTimestamp, parseEventBridge, unwrapAws, within } from './aws-envelope';
import { insightAlerts, insightDetail } from './securityhub-insights';

/**
 * AWS Security Hub (CSPM) EventBridge events, from
 * https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-cwe-event-formats.html:
 *  - "Security Hub Findings - Imported": `detail.findings[]` in ASFF, one alert per finding;
 *  - "Security Hub Findings - Custom Action": the findings an analyst selected and sent with a
 *    custom action (`detail.actionName`, `detail.actionDescription`, `detail.findings[]`);
 *  - "Security Hub Insight Results": an insight's grouped counts, sent with a custom action
 *    (see securityhub-insights.ts).
 * https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-findings-format.html
 */

const IMPORTED = 'Security Hub Findings - Imported';
const CUSTOM_ACTION = 'Security Hub Findings - Custom Action';
const INSIGHT_RESULTS = 'Security Hub Insight Results';

const LABELS = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
const SEVERITIES = {
  INFORMATIONAL: 'info',
  LOW: 'low',
  MEDIUM: 'medium',
  HIGH: 'high',
  CRITICAL: 'critical',
} as const satisfies Record<(typeof LABELS)[number], AlertSeverity>;

const resource = z.object({
  Type: z.string().min(1),
  Id: z.string().min(1),
  Region: z.string().optional(),
  Details: z.record(z.string(), z.unknown()).optional(),
});

/** ASFF: `Label` is what Security Hub fills in; `Normalized` (0–100) is the older, deprecated form. */
const severity = z
  .object({ Label: z.enum(LABELS).optional(), Normalized: z.number().min(0).max(100).optional(), Original: z.string().optional() })
  .refine((s) => s.Label !== undefined || s.Normalized !== undefined, 'expected Severity.Label or Severity.Normalized');

const finding = z.object({
  Id: z.string().min(1),
  ProductArn: z.string().min(1),
  ProductName: z.string().optional(),
  GeneratorId: z.string().optional(),
  AwsAccountId: z.string().min(1),
  Region: z.string().optional(),
  Types: z.array(z.string()).default([]),
  Title: z.string(),
  Description: z.string().default(''),
  Severity: severity,
  Resources: z.array(resource).min(1),
  UpdatedAt: isoTimestamp,
  LastObservedAt: isoTimestamp.optional(),
  Compliance: z.object({ Status: z.string().optional() }).optional(),
  Workflow: z.object({ Status: z.string().optional() }).optional(),
  RecordState: z.string().optional(),
  ProductFields: z.record(z.string(), z.unknown()).optional(),
});

type Finding = z.infer<typeof finding>;
type Resource = z.infer<typeof resource>;

const findingsDetail = z.object({
  actionName: z.string().optional(),
  actionDescription: z.string().optional(),
  findings: z.array(finding).min(1),
});

/** ASFF type namespaces that describe an attack rather than a weakness. */
const THREAT = /^(TTPs|Effects|Unusual Behaviors)(\/|$)/;

/**
 * From the ASFF `Types` (namespace/category/classifier) and the first resource, first match wins:
 * vulnerabilities (which sit under "Software and Configuration Checks") before config checks,
 * leaked data and credential threats before host threats.
 */
export function securityhubCategory(f: { Types: string[]; Compliance?: Finding['Compliance'] }, firstResourceType: string): AlertCategory {
  const types = f.Types;
  const threat = types.some((t) => THREAT.test(t));
  if (types.some((t) => t.includes('Vulnerabilities'))) return 'vulnerability';
  if (types.some((t) => t.startsWith('Sensitive Data Identifications'))) return 'secret-leak';
  if (types.some((t) => THREAT.test(t) && /credential/i.test(t))) return 'secret-leak';
  if (threat && firstResourceType === 'AwsIamAccessKey') return 'secret-leak';
  if (threat && firstResourceType === 'AwsEc2Instance') return 'host-compromise';
  if (types.some((t) => t.startsWith('Software and Configuration Checks')) || f.Compliance !== undefined) return 'config-drift';
  return 'other';
}

function entityOf(r: Resource, account: string, clean: (text: string) => string): AlertEntity {
  if (r.Type === 'AwsEc2Instance') {
    const id = ec2InstanceId(r.Id) ?? r.Id;
    return { kind: 'host', key: id, display: id };
  }
  if (r.Type === 'AwsIamAccessKey') {
    // "AWS::IAM::AccessKey:ASIA..." from GuardDuty; the key id names the credential, it is not the secret.
    const keyId = /(?:AKIA|ASIA)[A-Z0-9]{16}/.exec(r.Id)?.[0] ?? r.Id;
    const details = isRecord(r.Details?.AwsIamAccessKey) ? r.Details.AwsIamAccessKey : {};
    const principal = [details.PrincipalName, details.UserName].find((v): v is string => typeof v === 'string');
    return { kind: 'credential', key: keyId, display: `${clean(principal ?? 'IAM')} (access key …${keyId.slice(-4)})` };
  }
  if (r.Type === 'AwsAccount') return { kind: 'account', key: account, display: `AWS account ${account}` };
  return { kind: 'resource', key: r.Id, display: clean(`${r.Type} ${r.Id}`) };
}

function productName(f: Finding): string {
  const fromFields = f.ProductFields?.['aws/securityhub/ProductName'];
  return f.ProductName ?? (typeof fromFields === 'string' ? fromFields : undefined) ?? f.ProductArn.split('/').slice(-1)[0];
}

/** ASFF's bands for Normalized: 0 informational, 1–39 low, 40–69 medium, 70–89 high, 90–100 critical. */
function severityOf(s: Finding['Severity']): { severity: AlertSeverity; original: string } {
  if (s.Label) return { severity: SEVERITIES[s.Label], original: s.Original ?? s.Label };
  const n = s.Normalized ?? 0;
  return { severity: severityFromScale(n, { low: 1, medium: 40, high: 70, critical: 90 }), original: s.Original ?? `Normalized ${n}` };
}

interface EventContext {
  region: string;
  detailType: string;
  actionName?: string;
}

function toAlert(f: Finding, event: EventContext, ctx: ParseContext): ParsedAlert {
  const first = f.Resources[0];
  const text = new TextCleaner(ctx.redactor);
  const { severity: level, original } = severityOf(f.Severity);
  return text.finish({
    title: text.clean(f.Title),
    description: text.clean(f.Description),
    severity: level,
    severityOriginal: original,
    category: securityhubCategory(f, first.Type),
    entity: entityOf(first, f.AwsAccountId, text.clean),
    observedAt: f.LastObservedAt ?? f.UpdatedAt,
    // ASFF identifies a finding by ProductArn + Id, however it reached Palisade.
    fingerprint: fingerprintOf('securityhub', f.ProductArn, f.Id),
    labels: text.labels({
      product: productName(f),
      findingTypes: f.Types.join('; '),
      generatorId: f.GeneratorId,
      accountId: f.AwsAccountId,
      region: f.Region ?? first.Region ?? event.region,
      resourceType: first.Type,
      severityLabel: f.Severity.Label,
      complianceStatus: f.Compliance?.Status,
      workflowStatus: f.Workflow?.Status,
      recordState: f.RecordState,
      detailType: event.detailType === IMPORTED ? undefined : event.detailType,
      customAction: event.actionName,
    }),
  });
}

export const securityhubSource: SourceAdapter = {
  name: 'securityhub',
  auth: { kind: 'aws' },
  setupHint:
    'Create an EventBridge rule for source "aws.securityhub" and detail-type "Security Hub Findings - Imported" (every finding), ' +
    'or "Security Hub Findings - Custom Action" / "Security Hub Insight Results" with your custom action ARN as resources (findings an analyst sends), ' +
    'targeting an SNS topic with an HTTPS subscription to /webhooks/securityhub (or an API destination sending the Palisade token). ' +
    'See https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-cwe-integration-types.html',

  // One delivery carries a batch; the caller dedupes per delivery, the findings by fingerprint.
  deliveryId: (body) => awsDeliveryId(body),

  parse(body, _req, ctx) {
    const unwrapped = unwrapAws('securityhub', body);
    if (unwrapped.kind === 'control') return unwrapped.result;
    const event = parseEventBridge(
      'securityhub',
      unwrapped,
      { detailType: [IMPORTED, CUSTOM_ACTION, INSIGHT_RESULTS], eventSource: 'aws.securityhub' },
      z.unknown(),
    );
    const at = unwrapped.at ? `${unwrapped.at}.detail` : 'detail';
    if (event.detailType === INSIGHT_RESULTS) {
      const detail = within('securityhub', at, () => parseWith('securityhub', insightDetail, event.detail));
      return { kind: 'alerts', alerts: insightAlerts(detail, event, ctx) };
    }
    const detail = within('securityhub', at, () => parseWith('securityhub', findingsDetail, event.detail));
    const context: EventContext = { region: event.region, detailType: event.detailType, actionName: detail.actionName };
    return { kind: 'alerts', alerts: detail.findings.map((f) => toAlert(f, context, ctx)) };
  },
};
