import { CreateSnapshotCommand, DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { z } from 'zod';
import { ProviderErrorType, type EvidenceResult, type ProviderCall } from '../../../lib/providers/capabilities';
import { requireInstance, TAG } from '../aws-ec2-instances';
import { aws, keyToken, tagRecord } from '../aws-sdk';
import { findCommand, sendCommand, waitForInvocations } from '../aws-ssm-commands';
import { providerError } from '../errors';
import type { EvidenceProvider } from './evidence.provider';

export const awsEc2SsmEvidenceConfig = z
  .object({
    region: z.string().optional(),
    /** Where Run Command writes the full volatile output (the API itself keeps only the first 24,000 characters). */
    outputS3Bucket: z.string().optional(),
    outputS3KeyPrefix: z.string().default('palisade/volatile'),
    pollIntervalMs: z.number().int().positive().default(2000),
    /** How long one attempt waits for the script; past it the activity fails Unavailable and its retry waits again. */
    pollTimeoutMs: z.number().int().positive().default(300_000),
  })
  .strict();
export type AwsEc2SsmEvidenceConfig = z.infer<typeof awsEc2SsmEvidenceConfig>;

/** Read-only collection for Linux instances; memory needs an acquisition tool (e.g. AVML) the script does not assume. */
const VOLATILE_SCRIPT = [
  'set +e',
  'echo "== collected $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"',
  'echo "== uptime"; uptime',
  'echo "== users"; who -a; last -n 50 2>/dev/null',
  'echo "== processes"; ps auxwwf',
  'echo "== connections"; ss -tunap 2>/dev/null || netstat -tunap 2>/dev/null',
  'echo "== interfaces"; ip addr 2>/dev/null; ip route 2>/dev/null; ip neigh 2>/dev/null',
  'echo "== kernel modules"; lsmod 2>/dev/null',
  'echo "== deleted but open files"; lsof +L1 2>/dev/null | head -n 500',
  'echo "== scheduled jobs"; ls -la /etc/cron* /var/spool/cron 2>/dev/null; systemctl list-timers --all 2>/dev/null',
];

/**
 * Evidence from an EC2 instance: an EBS snapshot of every attached volume, and volatile state
 * through SSM Run Command (`AWS-RunShellScript`). Both are found again by the step's
 * idempotency key (snapshot tag, command comment), so a retry never collects twice.
 *
 * Tested against moto, whose SSM records the command and reports every invocation `Success`
 * at once with empty output: it never runs the script. Sending, finding the command again and
 * polling are exercised; the script's output is not.
 */
export class AwsEc2SsmEvidence implements EvidenceProvider {
  private readonly config: AwsEc2SsmEvidenceConfig;
  private readonly ec2: EC2Client;
  private readonly ssm: SSMClient;

  constructor(config: z.input<typeof awsEc2SsmEvidenceConfig>, clients?: { ec2?: EC2Client; ssm?: SSMClient }) {
    this.config = awsEc2SsmEvidenceConfig.parse(config);
    this.ec2 = clients?.ec2 ?? new EC2Client({ region: this.config.region });
    this.ssm = clients?.ssm ?? new SSMClient({ region: this.config.region });
  }

  /** ssm:DescribeInstanceInformation: which instances' agents Run Command can reach. */
  async check(): Promise<string> {
    const res = await aws('ssm:DescribeInstanceInformation', () => this.ssm.send(new DescribeInstanceInformationCommand({ MaxResults: 5 })));
    return `ssm:DescribeInstanceInformation answered (${(res.InstanceInformationList ?? []).length} managed instance(s) on the first page)`;
  }

  /** Snapshots start at once and finish in the background; the point in time is when each was created. */
  async snapshotDisks(call: ProviderCall, hostId: string): Promise<EvidenceResult> {
    const instance = await requireInstance(this.ec2, hostId);
    const volumes = (instance.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.VolumeId ? [{ volumeId: m.Ebs.VolumeId, device: m.DeviceName ?? '' }] : []));
    const token = keyToken(call.idempotencyKey);
    const taken = await aws('ec2:DescribeSnapshots', () =>
      this.ec2.send(
        new DescribeSnapshotsCommand({
          OwnerIds: ['self'],
          Filters: [
            { Name: `tag:${TAG.key}`, Values: [token] },
            { Name: `tag:${TAG.host}`, Values: [hostId] },
          ],
        }),
      ),
    );
    const byVolume = new Map((taken.Snapshots ?? []).filter((s) => s.State !== 'error').map((s) => [tagRecord(s.Tags)[TAG.volume] ?? s.VolumeId, s.SnapshotId!]));
    const artifacts: string[] = [];
    for (const { volumeId, device } of volumes) {
      const existing = byVolume.get(volumeId);
      if (existing) {
        artifacts.push(existing);
        continue;
      }
      const tags = { Name: `palisade ${call.incidentId} ${hostId} ${device}`, [TAG.incident]: call.incidentId, [TAG.host]: hostId, [TAG.volume]: volumeId, [TAG.key]: token };
      const snap = await aws('ec2:CreateSnapshot', () =>
        this.ec2.send(
          new CreateSnapshotCommand({
            VolumeId: volumeId,
            Description: `Palisade evidence for incident ${call.incidentId}: ${hostId} ${device}`.slice(0, 255),
            TagSpecifications: [{ ResourceType: 'snapshot', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
          }),
        ),
      );
      if (!snap.SnapshotId) throw providerError(ProviderErrorType.Unavailable, `ec2:CreateSnapshot for ${volumeId} answered without a snapshot id.`);
      artifacts.push(snap.SnapshotId);
    }
    return { hostId, artifacts, at: new Date().toISOString() };
  }

  async collectVolatile(call: ProviderCall, hostId: string): Promise<EvidenceResult> {
    await requireInstance(this.ec2, hostId); // an unknown instance is NotFound, not "agent offline"
    const comment = `palisade volatile ${keyToken(call.idempotencyKey)}`;
    const prefix = `${this.config.outputS3KeyPrefix}/${call.incidentId}`;
    const commandId =
      (await findCommand(this.ssm, hostId, comment)) ??
      (await sendCommand(this.ssm, {
        document: 'AWS-RunShellScript',
        instanceIds: [hostId],
        parameters: { commands: VOLATILE_SCRIPT, executionTimeout: ['600'] },
        comment,
        outputS3Bucket: this.config.outputS3Bucket,
        outputS3KeyPrefix: this.config.outputS3Bucket ? prefix : undefined,
      }));
    const [invocation] = await waitForInvocations(this.ssm, commandId, [hostId], { intervalMs: this.config.pollIntervalMs, timeoutMs: this.config.pollTimeoutMs });
    if (invocation && invocation.status !== 'Success') {
      const offline = ['Undeliverable', 'DeliveryTimedOut', 'Terminated'].includes(invocation.details);
      throw providerError(
        offline ? ProviderErrorType.AgentOffline : ProviderErrorType.Unavailable,
        `The volatile-evidence script (SSM command ${commandId}) ended ${invocation.status} (${invocation.details}) on ${hostId}.`,
        [{ commandId, status: invocation.status, details: invocation.details }],
      );
    }
    const artifacts = [`ssm-command:${commandId}:${hostId}`];
    if (this.config.outputS3Bucket) artifacts.push(`s3://${this.config.outputS3Bucket}/${prefix}/${commandId}/${hostId}/awsrunShellScript/0.awsrunShellScript/stdout`);
    return { hostId, artifacts, at: new Date().toISOString() };
  }
}
