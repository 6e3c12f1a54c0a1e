import { DescribeInstancesCommand, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { ProviderErrorType } from '../../lib/providers/capabilities';
import { aws, awsErrorCode, awsFailure } from './aws-sdk';
import { providerError } from './errors';

/** An EC2 instance id (the hostId the AWS providers take); anything else is looked up as a Name tag. */
export const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

/** Tags Palisade writes on instances and snapshots. */
export const TAG = {
  isolated: 'palisade:isolated',
  previousGroups: 'palisade:previous-groups',
  incident: 'palisade:incident',
  replaces: 'palisade:replaces',
  replacedBy: 'palisade:replaced-by',
  key: 'palisade:idempotency-key',
  host: 'palisade:host',
  volume: 'palisade:volume',
} as const;

/** The instance, or undefined when EC2 has no such instance (or it is terminated). */
export async function findInstance(ec2: EC2Client, instanceId: string): Promise<Instance | undefined> {
  if (!INSTANCE_ID.test(instanceId)) return undefined;
  try {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
    return instance?.State?.Name === 'terminated' ? undefined : instance;
  } catch (err) {
    const code = awsErrorCode(err);
    if (code === 'InvalidInstanceID.NotFound' || code === 'InvalidInstanceID.Malformed') return undefined;
    throw awsFailure(err, 'ec2:DescribeInstances');
  }
}

/** The instance, or a NotFound failure naming it. */
export async function requireInstance(ec2: EC2Client, instanceId: string): Promise<Instance> {
  const instance = await findInstance(ec2, instanceId);
  if (!instance) throw providerError(ProviderErrorType.NotFound, `EC2 has no instance ${instanceId} (or it is terminated).`);
  return instance;
}

/** Instances matching EC2 filters, terminated ones left out, following pagination. */
export async function listInstances(ec2: EC2Client, filters: { Name: string; Values: string[] }[], instanceIds?: string[]): Promise<Instance[]> {
  const found: Instance[] = [];
  let token: string | undefined;
  do {
    const out = await aws('ec2:DescribeInstances', () =>
      ec2.send(new DescribeInstancesCommand({ Filters: filters, InstanceIds: instanceIds, NextToken: token, MaxResults: instanceIds ? undefined : 1000 })),
    );
    for (const r of out.Reservations ?? []) for (const i of r.Instances ?? []) if (i.State?.Name !== 'terminated') found.push(i);
    token = out.NextToken;
  } while (token);
  return found;
}
