import { z } from 'zod';
import type { AlertCategory, AlertEntity } from '../alert';
import { fingerprintOf, severityFromScale, type SourceAdapter } from '../source';
import { TextCleaner, awsDeliveryId, isRecord, isoTimestamp, parseEventBridge, unwrapAws } from './aws-envelope';

/**
 * Amazon GuardDuty findings, as the EventBridge event "GuardDuty Finding" (bare from an API
 * destination, or inside an SNS notification).
 * https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings_eventbridge.html
 */

/** Text at `obj[key]` when it is a non-empty string. */
function str(obj: unknown, key: string): string | undefined {
  const v = isRecord(obj) && Object.hasOwn(obj, key) ? obj[key] : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Only what Palisade reads is required. `resource` is GuardDuty's Resource: `resourceType`
 * (Instance, AccessKey, S3Bucket, S3Object, EKSCluster, ECSCluster, Container, RDSDBInstance,
 * RDSLimitlessDB, Lambda) with one or more `*Details` objects, read leniently by entityOf.
 * https://docs.aws.amazon.com/guardduty/latest/APIReference/API_Finding.html
 */
const finding = z.object({
  id: z.string().min(1),
  accountId: z.string().min(1).optional(),
  region: z.string().min(1).optional(),
  type: z.string().min(1),
  severity: z.number().min(0).max(10),
  title: z.string().optional(),
  description: z.string().optional(),
  updatedAt: isoTimestamp,
  resource: z.record(z.string(), z.unknown()),
  service: z.looseObject({ count: z.number().int().nonnegative().optional() }).optional(),
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

/**
 * Threat purposes that, against an IAM user, mean someone else may be acting as that user
 * (IAM finding types: https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html).
 * Recon and Discovery only look around; Stealth and Policy are configuration changes.
 */
const IDENTITY_THREATS = new Set([
  'UnauthorizedAccess', 'CredentialAccess', 'InitialAccess', 'Persistence', 'PrivilegeEscalation',
  'DefenseEvasion', 'Impact', 'Exfiltration', 'PenTest',
]);

/**
 * From the finding type, `ThreatPurpose:ResourceTypeAffected/ThreatFamilyName.DetectionMechanism!Artifact`.
 * `iamUser`: the finding's principal is an IAM user with a name (accessKeyDetails.userType
 * IAMUser), the account the identity playbook can act on; a role session or the root user is not.
 */
export function guarddutyCategory(type: string, iamUser = false): AlertCategory {
  if (type.includes('CredentialExfiltration')) return 'secret-leak';
  const m = /^([^:/]+):([^/]+)\//.exec(type);
  if (!m) return 'other';
  const [, purpose, target] = m;
  if (target === 'IAMUser' && iamUser && IDENTITY_THREATS.has(purpose)) return 'identity';
  // Attack sequences (Extended Threat Detection): compromised credentials or a group of instances.
  if (purpose === 'AttackSequence') return target === 'IAM' ? 'secret-leak' : target === 'EC2' ? 'host-compromise' : 'other';
  if ((target === 'EC2' || target === 'Runtime') && HOST_THREATS.has(purpose)) return 'host-compromise';
  if (purpose === 'Policy' || purpose === 'Stealth') return 'config-drift';
  return 'other';
}

/** "pods shop/checkout-…" from kubernetesDetails.kubernetesWorkloadDetails. */
function workloadOf(r: Record<string, unknown>): string | undefined {
  const w = isRecord(r.kubernetesDetails) ? r.kubernetesDetails.kubernetesWorkloadDetails : undefined;
  const name = str(w, 'name');
  if (!name) return undefined;
  const ns = str(w, 'namespace');
  return `${str(w, 'type') ?? 'workload'} ${ns ? `${ns}/` : ''}${name}`;
}

/** The first resource an attack sequence lists (`service.detection.sequence.resources[].uid`). */
function sequenceResource(f: Finding): { uid: string; type?: string; name?: string } | undefined {
  const detection = isRecord(f.service) ? f.service.detection : undefined;
  const sequence = isRecord(detection) ? detection.sequence : undefined;
  const resources = isRecord(sequence) && Array.isArray(sequence.resources) ? sequence.resources : [];
  const uid = str(resources[0], 'uid');
  return uid ? { uid, type: str(resources[0], 'resourceType'), name: str(resources[0], 'name') } : undefined;
}

/**
 * The thing a responder acts on: the instance (also the node of a runtime finding on EKS or ECS
 * on EC2), the access key, the S3 object or bucket, the ECS task, the Lambda function, the RDS
 * instance, the EKS cluster; else a resource an attack sequence names; else the account,
 * saying what was looked at.
 */
function entityOf(f: Finding, account: string, clean: (value: string) => string): AlertEntity {
  const r = f.resource;
  const type = str(r, 'resourceType') ?? 'unknown resource type';
  const cluster = str(r.eksClusterDetails, 'name');
  const workload = workloadOf(r);
  const instanceId = str(r.instanceDetails, 'instanceId');
  if (instanceId && type !== 'AccessKey' && !type.startsWith('S3')) {
    const where = [cluster && `EKS cluster ${cluster}`, workload].filter(Boolean).join(', ');
    return { kind: 'host', key: instanceId, display: where ? `${instanceId} (${clean(where)})` : instanceId };
  }
  const key = r.accessKeyDetails;
  const keyId = str(key, 'accessKeyId');
  const principal = str(key, 'userName') ?? str(key, 'principalId');
  if (type === 'AccessKey' && keyId) {
    // The key id names the credential (it is not the secret); only the entity key keeps it whole.
    return { kind: 'credential', key: keyId, display: `${clean(principal ?? 'unknown principal')} (access key …${keyId.slice(-4)})` };
  }
  const bucket = Array.isArray(r.s3BucketDetails) ? (r.s3BucketDetails[0] as unknown) : undefined;
  const object = isRecord(bucket) && Array.isArray(bucket.s3ObjectDetails) ? (bucket.s3ObjectDetails[0] as unknown) : undefined;
  const bucketName = str(bucket, 'name');
  const objectKey = str(object, 'key');
  if (type === 'S3Object' && objectKey) {
    const arn = str(object, 'objectArn') ?? `${str(bucket, 'arn') ?? `arn:aws:s3:::${bucketName ?? 'unknown-bucket'}`}/${objectKey}`;
    return { kind: 'resource', key: arn, display: clean(`S3 object ${bucketName ? `${bucketName}/` : ''}${objectKey}`) };
  }
  const bucketKey = str(bucket, 'arn') ?? bucketName;
  if (type.startsWith('S3') && bucketKey) return { kind: 'resource', key: bucketKey, display: clean(`S3 bucket ${bucketName ?? bucketKey}`) };
  const task = isRecord(r.ecsClusterDetails) ? r.ecsClusterDetails.taskDetails : undefined;
  const taskArn = str(task, 'arn');
  const ecsCluster = str(r.ecsClusterDetails, 'name');
  if (taskArn) return { kind: 'resource', key: taskArn, display: clean(`ECS task ${taskArn.split('/').pop()}${ecsCluster ? ` (cluster ${ecsCluster})` : ''}`) };
  const fn = str(r.lambdaDetails, 'functionArn');
  if (fn) return { kind: 'resource', key: fn, display: clean(`Lambda function ${str(r.lambdaDetails, 'functionName') ?? fn}`) };
  const db = str(r.rdsDbInstanceDetails, 'dbInstanceArn') ?? str(r.rdsLimitlessDbDetails, 'dbShardGroupArn');
  if (db) {
    const name = str(r.rdsDbInstanceDetails, 'dbInstanceIdentifier') ?? str(r.rdsLimitlessDbDetails, 'dbShardGroupIdentifier') ?? db;
    const user = str(r.rdsDbUserDetails, 'user');
    return { kind: 'resource', key: db, display: clean(`RDS DB ${type === 'RDSLimitlessDB' ? 'shard group' : 'instance'} ${name}${user ? ` (user ${user})` : ''}`) };
  }
  const clusterArn = str(r.eksClusterDetails, 'arn') ?? str(r.ecsClusterDetails, 'arn');
  if (clusterArn) {
    const name = cluster ? `EKS cluster ${cluster}` : `ECS cluster ${ecsCluster ?? clusterArn}`;
    return { kind: 'resource', key: clusterArn, display: clean(workload ? `${name} (${workload})` : name) };
  }
  const seq = sequenceResource(f);
  if (seq?.type === 'ACCESS_KEY') return { kind: 'credential', key: seq.uid, display: `${clean(principal ?? 'unknown principal')} (access key …${seq.uid.slice(-4)})` };
  if (seq) return { kind: seq.type === 'EC2_INSTANCE' ? 'host' : 'resource', key: seq.uid, display: clean(`${seq.type ?? 'resource'} ${seq.name ?? seq.uid}`) };
  if (principal) {
    const userType = str(key, 'userType');
    return { kind: 'account', key: principal, display: clean(`${principal} (${userType ? `${userType}; ` : ''}no access key id in the finding)`) };
  }
  return {
    kind: 'account',
    key: account,
    display: `AWS account ${account} (the ${clean(type)} finding names no resource: looked at resource.*Details and service.detection.sequence.resources)`,
  };
}

/**
 * The IAM user an IAM finding names (`resource.accessKeyDetails` with userType IAMUser and a
 * userName): the account a takeover response acts on, the access key only in its display.
 */
function iamUserOf(f: Finding, clean: (value: string) => string): AlertEntity | undefined {
  const key = f.resource.accessKeyDetails;
  const name = str(key, 'userName');
  if (!name || str(key, 'userType') !== 'IAMUser') return undefined;
  const keyId = str(key, 'accessKeyId');
  return { kind: 'account', key: clean(name), display: clean(`IAM user ${name}${keyId ? ` (access key …${keyId.slice(-4)})` : ''}`) };
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
    const cleaner = new TextCleaner(ctx.redactor);
    const user = iamUserOf(f, cleaner.clean);
    const category = guarddutyCategory(f.type, user !== undefined);
    const alert = cleaner.finish({
      title: cleaner.clean(f.title || f.type),
      description: cleaner.clean(f.description ?? ''),
      severity: severityFromScale(f.severity, BANDS),
      severityOriginal: Number.isInteger(f.severity) ? f.severity.toFixed(1) : String(f.severity),
      category,
      entity: category === 'identity' && user ? user : entityOf(f, account, cleaner.clean),
      observedAt: f.updatedAt,
      fingerprint: fingerprintOf('guardduty', account, f.id),
      labels: cleaner.labels({
        findingType: f.type,
        accountId: account,
        region: f.region ?? event.region,
        resourceType: str(f.resource, 'resourceType'),
        count: f.service?.count,
        cluster: str(f.resource.eksClusterDetails, 'name') ?? str(f.resource.ecsClusterDetails, 'name'),
        workload: workloadOf(f.resource),
        kubernetesUser: str(isRecord(f.resource.kubernetesDetails) ? f.resource.kubernetesDetails.kubernetesUserDetails : undefined, 'username'),
      }),
    });
    return { kind: 'alerts', alerts: [alert] };
  },
};
