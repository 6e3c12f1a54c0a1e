import { z } from 'zod';
import type { AlertCategory, AlertEntity } from '../alert';
import { fingerprintOf, severityFromScale, type SourceAdapter } from '../source';
import { TextCleaner, awsDeliveryId, isRecord, isoTimestamp, parseEventBridge, unwrapAws } from './aws-envelope';

/**
 * Amazon GuardDuty findings, as the EventBridge event "GuardDuty Finding" (bare from an API
 * destination, or inside an SNS notification).
 * https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings_eventbridge.html
 */

const finding = z
  .object({
    id: z.string().min(1),
    accountId: z.string().min(1).optional(),
    region: z.string().min(1).optional(),
    type: z.string().min(1),
    severity: z.number().min(0).max(10),
    title: z.string(),
    description: z.string().optional(),
    createdAt: isoTimestamp.optional(),
    updatedAt: isoTimestamp,
    resource: z.looseObject({
      resourceType: z.string().min(1),
      instanceDetails: z.object({ instanceId: z.string().min(1) }).optional(),
      accessKeyDetails: z.object({ accessKeyId: z.string().min(1).optional(), userName: z.string().optional() }).optional(),
      s3BucketDetails: z.array(z.object({ arn: z.string().optional(), name: z.string().optional() })).optional(),
    }),
    service: z.object({ count: z.number().int().nonnegative().optional() }).optional(),
  })
  .superRefine((f, ctx) => {
    const r = f.resource;
    const need = (ok: boolean, path: (string | number)[], what: string) => {
      if (!ok) ctx.addIssue({ code: 'custom', path: ['resource', ...path], message: `${what} is required when resourceType is ${r.resourceType}` });
    };
    if (r.resourceType === 'Instance') need(r.instanceDetails !== undefined, ['instanceDetails', 'instanceId'], 'an instance id');
    if (r.resourceType === 'AccessKey') need(r.accessKeyDetails?.accessKeyId !== undefined, ['accessKeyDetails', 'accessKeyId'], 'an access key id');
    if (r.resourceType === 'S3Bucket') {
      const bucket = r.s3BucketDetails?.[0];
      need(Boolean(bucket?.arn || bucket?.name), ['s3BucketDetails', 0, 'arn'], 'a bucket arn or name');
    }
  });

type Finding = z.infer<typeof finding>;

/**
 * GuardDuty's documented bands are low 1.0–3.9, medium 4.0–6.9, high 7.0–8.9 and critical
 * 9.0–10.0 (attack sequences), so a finding only becomes critical at 9 or above; below 1 is info.
 */
const BANDS = { low: 1, medium: 4, high: 7, critical: 9 };

/** Threat purposes that, against an instance (EC2 or runtime monitoring), mean the host is in trouble. */
const HOST_THREATS = new Set([
  'Backdoor', 'Trojan', 'CryptoCurrency', 'UnauthorizedAccess', 'Execution',
  'PrivilegeEscalation', 'DefenseEvasion', 'Persistence', 'Impact',
]);

/** From the finding type, `ThreatPurpose:ResourceTypeAffected/ThreatFamilyName.DetectionMechanism!Artifact`. */
export function guarddutyCategory(type: string): AlertCategory {
  if (type.includes('CredentialExfiltration')) return 'secret-leak';
  const m = /^([^:/]+):([^/]+)\//.exec(type);
  if (!m) return 'other';
  const [, purpose, target] = m;
  if ((target === 'EC2' || target === 'Runtime') && HOST_THREATS.has(purpose)) return 'host-compromise';
  if (purpose === 'Policy' || purpose === 'Stealth') return 'config-drift';
  return 'other';
}

/** The first `...Arn`/`arn` field in the resource's detail objects (EKS, Lambda, RDS, ECS...). */
function someResourceArn(resource: Record<string, unknown>): string | undefined {
  for (const details of Object.values(resource)) {
    if (!isRecord(details)) continue;
    for (const [key, value] of Object.entries(details)) {
      if (/arn$/i.test(key) && typeof value === 'string' && value.startsWith('arn:')) return value;
    }
  }
  return undefined;
}

function entityOf(f: Finding, account: string, clean: (text: string) => string): AlertEntity {
  const r = f.resource;
  if (r.resourceType === 'Instance' && r.instanceDetails) {
    return { kind: 'host', key: r.instanceDetails.instanceId, display: r.instanceDetails.instanceId };
  }
  const keyId = r.accessKeyDetails?.accessKeyId;
  if (r.resourceType === 'AccessKey' && keyId) {
    // The key id names the credential (it is not the secret); only the entity key keeps it whole.
    const user = clean(r.accessKeyDetails?.userName ?? 'unknown principal');
    return { kind: 'credential', key: keyId, display: `${user} (access key …${keyId.slice(-4)})` };
  }
  const bucket = r.s3BucketDetails?.[0];
  const bucketKey = bucket?.arn || bucket?.name;
  if (r.resourceType === 'S3Bucket' && bucketKey) {
    return { kind: 'resource', key: bucketKey, display: `S3 bucket ${bucket?.name || bucketKey}` };
  }
  const arn = someResourceArn(r);
  if (arn) return { kind: 'resource', key: arn, display: `${r.resourceType} ${arn}` };
  return { kind: 'account', key: account, display: `AWS account ${account} (${r.resourceType})` };
}

export const guarddutySource: SourceAdapter = {
  name: 'guardduty',
  auth: { kind: 'aws' },
  setupHint:
    'Create an EventBridge rule for source "aws.guardduty", detail-type "GuardDuty Finding", targeting an SNS topic ' +
    'with an HTTPS subscription to /webhooks/guardduty (or an API destination sending the Palisade token). ' +
    'See https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings_eventbridge.html',

  deliveryId: (body) => awsDeliveryId(body),

  parse(body, _req, ctx) {
    const unwrapped = unwrapAws('guardduty', body);
    if (unwrapped.kind === 'control') return unwrapped.result;
    const event = parseEventBridge('guardduty', unwrapped, { detailType: 'GuardDuty Finding', eventSource: 'aws.guardduty' }, finding);
    const f = event.detail;
    const account = f.accountId ?? event.account;
    const text = new TextCleaner(ctx.redactor);
    const alert = text.finish({
      title: text.clean(f.title || f.type),
      description: text.clean(f.description ?? ''),
      severity: severityFromScale(f.severity, BANDS),
      severityOriginal: Number.isInteger(f.severity) ? f.severity.toFixed(1) : String(f.severity),
      category: guarddutyCategory(f.type),
      entity: entityOf(f, account, text.clean),
      observedAt: f.updatedAt,
      fingerprint: fingerprintOf('guardduty', account, f.id),
      labels: text.labels({
        findingType: f.type,
        accountId: account,
        region: f.region ?? event.region,
        resourceType: f.resource.resourceType,
        count: f.service?.count,
      }),
    });
    return { kind: 'alerts', alerts: [alert] };
  },
};
