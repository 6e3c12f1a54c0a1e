import { z } from 'zod';
import type { AlertCategory, AlertEntity, AlertSeverity, ParsedAlert } from '../alert';
import { fingerprintOf, type ParseContext, type SourceAdapter } from '../source';
import { TextCleaner, awsDeliveryId, isRecord, isoTimestamp, parseEventBridge, unwrapAws } from './aws-envelope';

/**
 * AWS Security Hub findings in ASFF, as the EventBridge event "Security Hub Findings - Imported".
 * One event carries a batch (`detail.findings[]`): each finding becomes one alert.
 * https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-findings-format.html
 */

const SEVERITIES = {
  INFORMATIONAL: 'info',
  LOW: 'low',
  MEDIUM: 'medium',
  HIGH: 'high',
  CRITICAL: 'critical',
} as const satisfies Record<string, AlertSeverity>;

const resource = z.object({
  Type: z.string().min(1),
  Id: z.string().min(1),
  Region: z.string().optional(),
  Details: z.record(z.string(), z.unknown()).optional(),
});

const finding = z.object({
  Id: z.string().min(1),
  ProductArn: z.string().min(1),
  ProductName: z.string().optional(),
  GeneratorId: z.string().optional(),
  AwsAccountId: z.string().min(1),
  Region: z.string().optional(),
  Types: z.array(z.string()),
  Title: z.string(),
  Description: z.string(),
  Severity: z.object({ Label: z.enum(['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']), Original: z.string().optional() }),
  Resources: z.array(resource).min(1),
  CreatedAt: isoTimestamp,
  UpdatedAt: isoTimestamp,
  LastObservedAt: isoTimestamp.optional(),
  Compliance: z.object({ Status: z.string().optional() }).optional(),
  Workflow: z.object({ Status: z.string().optional() }).optional(),
  RecordState: z.string().optional(),
  ProductFields: z.record(z.string(), z.unknown()).optional(),
});

type Finding = z.infer<typeof finding>;
type Resource = z.infer<typeof resource>;

const detail = z.object({ findings: z.array(finding).min(1) });

/** ASFF type namespaces that describe an attack rather than a weakness. */
const THREAT = /^(TTPs|Effects|Unusual Behaviors)(\/|$)/;

/**
 * From the ASFF `Types` (namespace/category/classifier) and the first resource, first match wins:
 * vulnerabilities (which sit under "Software and Configuration Checks") before config checks,
 * leaked data and credential threats before host threats.
 */
export function securityhubCategory(f: Pick<Finding, 'Types' | 'Compliance'>, firstResourceType: string): AlertCategory {
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
    const id = /(?:^|instance\/)(i-[0-9a-f]+)$/.exec(r.Id)?.[1] ?? r.Id;
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

function toAlert(f: Finding, eventRegion: string, ctx: ParseContext): ParsedAlert {
  const first = f.Resources[0];
  const text = new TextCleaner(ctx.redactor);
  return text.finish({
    title: text.clean(f.Title),
    description: text.clean(f.Description),
    severity: SEVERITIES[f.Severity.Label],
    severityOriginal: f.Severity.Original ?? f.Severity.Label,
    category: securityhubCategory(f, first.Type),
    entity: entityOf(first, f.AwsAccountId, text.clean),
    observedAt: f.LastObservedAt ?? f.UpdatedAt,
    // ASFF identifies a finding by ProductArn + Id.
    fingerprint: fingerprintOf('securityhub', f.ProductArn, f.Id),
    labels: text.labels({
      product: productName(f),
      findingTypes: f.Types.join('; '),
      generatorId: f.GeneratorId,
      accountId: f.AwsAccountId,
      region: f.Region ?? first.Region ?? eventRegion,
      resourceType: first.Type,
      severityLabel: f.Severity.Label,
      complianceStatus: f.Compliance?.Status,
      workflowStatus: f.Workflow?.Status,
      recordState: f.RecordState,
    }),
  });
}

export const securityhubSource: SourceAdapter = {
  name: 'securityhub',
  auth: { kind: 'aws' },
  setupHint:
    'Create an EventBridge rule for source "aws.securityhub", detail-type "Security Hub Findings - Imported", ' +
    'targeting an SNS topic with an HTTPS subscription to /webhooks/securityhub (or an API destination sending the ' +
    'Palisade token). See https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-cwe-integration-types.html',

  // One delivery carries a batch; the caller dedupes per delivery, the findings by fingerprint.
  deliveryId: (body) => awsDeliveryId(body),

  parse(body, _req, ctx) {
    const unwrapped = unwrapAws('securityhub', body);
    if (unwrapped.kind === 'control') return unwrapped.result;
    const event = parseEventBridge(
      'securityhub',
      unwrapped,
      { detailType: 'Security Hub Findings - Imported', eventSource: 'aws.securityhub' },
      detail,
    );
    return { kind: 'alerts', alerts: event.detail.findings.map((f) => toAlert(f, event.region, ctx)) };
  },
};
