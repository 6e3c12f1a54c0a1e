import { CreateTagsCommand, DeleteTagsCommand, DescribeImagesCommand, DescribeSecurityGroupsCommand, EC2Client, type Instance, ModifyInstanceAttributeCommand, ModifyNetworkInterfaceAttributeCommand, RunInstancesCommand, StopInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { ProviderErrorType, type IsolationResult, type ProviderCall, type ReplaceResult } from '../../../lib/providers/capabilities';
import { listInstances, requireInstance, TAG } from '../aws-ec2-instances';
import { aws, keyToken, tagRecord } from '../aws-sdk';
import { providerError } from '../errors';
import type { HostIsolationProvider } from './host-isolation.provider';

export const awsEc2IsolationConfig = z
  .object({
    region: z.string().optional(),
    /** The security group that allows nothing in or out except what responders need (e.g. SSM endpoints). */
    quarantineGroupId: z.string().regex(/^sg-[0-9a-f]+$/, 'a security group id such as sg-0123456789abcdef0'),
    /** What becomes of a replaced instance: stopped (its disks stay as evidence, the default) or terminated. */
    replacedInstance: z.enum(['stop', 'terminate']).default('stop'),
  })
  .strict();
export type AwsEc2IsolationConfig = z.infer<typeof awsEc2IsolationConfig>;

const METHOD = 'EC2 quarantine security group';
/** Where a single-interface instance's groups are kept (the instance attribute, not one interface). */
const INSTANCE = '';
type Groups = Map<string, string[]>;

/**
 * Isolates an EC2 instance by replacing its security groups with a quarantine group. The groups
 * it had are kept on the instance itself (tag `palisade:previous-groups`), so a retried or
 * repeated isolate never forgets them and release needs nothing but the instance.
 */
export class AwsEc2HostIsolation implements HostIsolationProvider {
  private readonly config: AwsEc2IsolationConfig;
  private readonly ec2: EC2Client;

  constructor(config: z.input<typeof awsEc2IsolationConfig>, clients?: { ec2?: EC2Client }) {
    this.config = awsEc2IsolationConfig.parse(config);
    this.ec2 = clients?.ec2 ?? new EC2Client({ region: this.config.region });
  }

  /** ec2:DescribeSecurityGroups on the quarantine group: it must exist before a host is isolated into it. */
  async check(): Promise<string> {
    const id = this.config.quarantineGroupId;
    const res = await aws('ec2:DescribeSecurityGroups', () => this.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] })));
    return `quarantine group ${id} (${res.SecurityGroups?.[0]?.GroupName ?? 'unnamed'}) exists`;
  }

  async isolate(call: ProviderCall, hostId: string, reason: string): Promise<IsolationResult> {
    const instance = await requireInstance(this.ec2, hostId);
    const tags = tagRecord(instance.Tags);
    const current = currentGroups(instance);
    const quarantined = this.isQuarantined(current);
    // The tag is trusted once the swap happened (or after a crash between swapping and marking
    // isolated); otherwise the groups the instance has now are the ones to remember. A host
    // quarantined by someone else with no tag has nothing to remember.
    const remembered = tags[TAG.previousGroups] !== undefined && (quarantined || tags[TAG.isolated] === 'true');
    if (!quarantined && !remembered) await this.tag(hostId, { [TAG.previousGroups]: encodeGroups(current), [TAG.incident]: call.incidentId });
    if (!quarantined) await this.setGroups(hostId, new Map([...current.keys()].map((eni) => [eni, [this.config.quarantineGroupId]])));
    await this.tag(hostId, { [TAG.isolated]: 'true', [TAG.incident]: call.incidentId, 'palisade:isolation-reason': reason.slice(0, 256) });
    return { hostId, isolated: true, method: METHOD, at: new Date().toISOString() };
  }

  async verify(_call: ProviderCall, hostId: string): Promise<IsolationResult> {
    const instance = await requireInstance(this.ec2, hostId);
    return { hostId, isolated: this.isQuarantined(currentGroups(instance)), method: METHOD, at: new Date().toISOString() };
  }

  async release(_call: ProviderCall, hostId: string, _reason: string): Promise<IsolationResult> {
    const instance = await requireInstance(this.ec2, hostId);
    const previous = tagRecord(instance.Tags)[TAG.previousGroups];
    if (previous === undefined) {
      if (this.isQuarantined(currentGroups(instance))) {
        throw providerError(
          ProviderErrorType.Invalid,
          `${hostId} has only the quarantine group and no ${TAG.previousGroups} tag, so Palisade does not know which groups to give back; restore them by hand.`,
        );
      }
      return { hostId, isolated: false, method: METHOD, at: new Date().toISOString() }; // already released
    }
    await this.setGroups(hostId, decodeGroups(previous));
    await aws('ec2:DeleteTags', () =>
      this.ec2.send(new DeleteTagsCommand({ Resources: [hostId], Tags: [TAG.isolated, TAG.previousGroups, 'palisade:isolation-reason'].map((Key) => ({ Key })) })),
    );
    return { hostId, isolated: false, method: METHOD, at: new Date().toISOString() };
  }

  /**
   * Launches `image` (an AMI id) in the old instance's subnet with its type, key, profile, tags and
   * pre-isolation groups, then stops (or terminates) the old one. A retry finds the replacement
   * by its `palisade:replaces` tag (and EC2's client token) instead of launching another.
   */
  async replace(call: ProviderCall, hostId: string, image: string): Promise<ReplaceResult> {
    const token = keyToken(call.idempotencyKey);
    const launched = await listInstances(this.ec2, [
      { Name: `tag:${TAG.replaces}`, Values: [hostId] },
      { Name: `tag:${TAG.key}`, Values: [token] },
    ]);
    let replacementId = launched[0]?.InstanceId;
    if (!replacementId) {
      const old = await requireInstance(this.ec2, hostId);
      replacementId = await this.launch(call, old, image, token);
    }
    await this.tag(hostId, { [TAG.replacedBy]: replacementId });
    if (this.config.replacedInstance === 'terminate') {
      await aws('ec2:TerminateInstances', () => this.ec2.send(new TerminateInstancesCommand({ InstanceIds: [hostId] })));
    } else {
      await aws('ec2:StopInstances', () => this.ec2.send(new StopInstancesCommand({ InstanceIds: [hostId] })));
    }
    return { hostId, replacementId, image, at: new Date().toISOString() };
  }

  private async launch(call: ProviderCall, old: Instance, image: string, token: string): Promise<string> {
    // Checked first so a wrong image fails NotFound before anything changes.
    const images = await aws('ec2:DescribeImages', () => this.ec2.send(new DescribeImagesCommand({ ImageIds: [image] })));
    if (!images.Images?.some((i) => i.ImageId === image)) throw providerError(ProviderErrorType.NotFound, `EC2 has no image ${image} to replace ${old.InstanceId} from.`);
    const oldTags = tagRecord(old.Tags);
    const previous = oldTags[TAG.previousGroups];
    const groups = previous !== undefined ? decodeGroups(previous) : currentGroups(old);
    const primary = groups.get(INSTANCE) ?? groups.get(old.NetworkInterfaces?.find((n) => n.Attachment?.DeviceIndex === 0)?.NetworkInterfaceId ?? '') ?? [];
    const copied = Object.entries(oldTags).filter(([k]) => !k.startsWith('aws:') && !k.startsWith('palisade:'));
    const tags = [...copied, [TAG.replaces, old.InstanceId!], [TAG.incident, call.incidentId], [TAG.key, token]].map(([Key, Value]) => ({ Key, Value }));
    const out = await aws('ec2:RunInstances', () =>
      this.ec2.send(
        new RunInstancesCommand({
          ImageId: image,
          InstanceType: old.InstanceType,
          SubnetId: old.SubnetId,
          SecurityGroupIds: primary.length > 0 ? primary : undefined,
          KeyName: old.KeyName,
          IamInstanceProfile: old.IamInstanceProfile?.Arn ? { Arn: old.IamInstanceProfile.Arn } : undefined,
          MinCount: 1,
          MaxCount: 1,
          ClientToken: token,
          TagSpecifications: [{ ResourceType: 'instance', Tags: tags }],
        }),
      ),
    );
    const id = out.Instances?.[0]?.InstanceId;
    if (!id) throw providerError(ProviderErrorType.Unavailable, `ec2:RunInstances for ${image} answered without an instance id.`);
    return id;
  }

  private isQuarantined(groups: Groups): boolean {
    return groups.size > 0 && [...groups.values()].every((g) => g.length === 1 && g[0] === this.config.quarantineGroupId);
  }

  private async setGroups(instanceId: string, groups: Groups): Promise<void> {
    for (const [eni, ids] of groups) {
      if (eni === INSTANCE) {
        await aws('ec2:ModifyInstanceAttribute', () => this.ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, Groups: ids })));
      } else {
        await aws('ec2:ModifyNetworkInterfaceAttribute', () => this.ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Groups: ids })));
      }
    }
  }

  private async tag(resource: string, tags: Record<string, string>): Promise<void> {
    await aws('ec2:CreateTags', () => this.ec2.send(new CreateTagsCommand({ Resources: [resource], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) })));
  }
}

/**
 * The instance's groups: one list for a single-interface instance (changed through the instance
 * attribute), one per interface otherwise (EC2 refuses the instance attribute when there are several).
 */
function currentGroups(instance: Instance): Groups {
  const enis = instance.NetworkInterfaces ?? [];
  if (enis.length <= 1) return new Map([[INSTANCE, (instance.SecurityGroups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : []))]]);
  return new Map(enis.map((n) => [n.NetworkInterfaceId ?? '', (n.Groups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : []))]));
}

/** `sg-a+sg-b` for one interface, `eni-1=sg-a+sg-b eni-2=sg-c` for several: only characters every AWS tag allows. */
function encodeGroups(groups: Groups): string {
  const value = [...groups].map(([eni, ids]) => (eni === INSTANCE ? ids.join('+') : `${eni}=${ids.join('+')}`)).join(' ');
  if (value.length > 256) {
    throw providerError(ProviderErrorType.Invalid, `The instance's security groups (${value}) do not fit in one tag value (256 characters); isolate it by hand.`);
  }
  return value;
}

function decodeGroups(value: string): Groups {
  if (!value.includes('=')) return new Map([[INSTANCE, value.split('+').filter(Boolean)]]);
  return new Map(
    value
      .split(' ')
      .filter(Boolean)
      .map((part) => {
        const [eni = '', ids = ''] = part.split('=');
        return [eni, ids.split('+').filter(Boolean)];
      }),
  );
}
