import { type ConfigServiceClient, type ConfigurationItem, DescribeConfigurationRecordersCommand, GetResourceConfigHistoryCommand } from '@aws-sdk/client-config-service';
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type EC2Client,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { ProviderErrorType, type ConfigSnapshot, type ProviderCall } from '../../../lib/providers/capabilities';
import { aws, awsFailure, isAwsError } from '../aws-sdk';
import { providerError } from '../errors';
import type { ConfigBaselineProvider } from './config-baseline.provider';
import { minus, permissionOf, sameRules, settingsOf, type SgRule, type SgSettings } from './aws-security-group-rules';

/** `settings.aws-config` in runbooks/providers.yaml. */
export const awsConfigSettingsSchema = z
  .object({
    /** How many configuration items to read back when looking for the one before the last change. */
    historyDepth: z.number().int().min(2).max(100).default(20),
  })
  .strict();
export type AwsConfigSettings = z.input<typeof awsConfigSettingsSchema>;

export interface AwsConfigClients {
  config: ConfigServiceClient;
  ec2: EC2Client;
}

export const SECURITY_GROUP = 'AWS::EC2::SecurityGroup';

/** Security group tags Palisade writes. */
export const SG_TAGS = {
  /** The capture time of the configuration item that is the approved baseline. */
  baselineAt: 'palisade:baseline-at',
  baselineBy: 'palisade:baseline-accepted-by',
  quarantined: 'palisade:quarantined',
  quarantinedAt: 'palisade:quarantined-at',
} as const;

/**
 * Security groups against the configuration AWS Config recorded for them. The baseline is
 * the configuration item in effect at the group's `palisade:baseline-at` tag (set by
 * acceptCurrent, or pinned by the first revert); without the tag, the one before the last
 * change to its rules. The live configuration is EC2's (Config records minutes late).
 * Revert revokes rules the baseline lacks and re-adds those it has. A group cannot leave
 * service unchanged: quarantine closes its ingress (egress and the instances using it stay),
 * and release re-opens the ingress Config recorded just before the quarantine.
 */
export class AwsConfigBaseline implements ConfigBaselineProvider {
  private readonly settings: z.output<typeof awsConfigSettingsSchema>;

  constructor(
    private readonly clients: AwsConfigClients,
    settings: AwsConfigSettings = {},
  ) {
    this.settings = awsConfigSettingsSchema.parse(settings);
  }

  /** config:DescribeConfigurationRecorders: baselines come from what the recorder saw. */
  async check(): Promise<string> {
    const res = await aws('config:DescribeConfigurationRecorders', () => this.clients.config.send(new DescribeConfigurationRecordersCommand({})));
    const n = (res.ConfigurationRecorders ?? []).length;
    return n > 0 ? `AWS Config has ${n} configuration recorder(s)` : 'AWS Config answered, but no configuration recorder is set up: baselines cannot be read';
  }

  async readBaseline(_call: ProviderCall, resourceId: string): Promise<ConfigSnapshot> {
    const group = await this.group(resourceId);
    const item = await this.baselineItem(resourceId, tagsOf(group));
    return { resourceId, kind: SECURITY_GROUP, settings: itemSettings(item), at: item.configurationItemCaptureTime!.toISOString() };
  }

  async readCurrent(_call: ProviderCall, resourceId: string): Promise<ConfigSnapshot> {
    return live(resourceId, await this.group(resourceId));
  }

  async revert(_call: ProviderCall, resourceId: string): Promise<ConfigSnapshot> {
    const group = await this.group(resourceId);
    const tags = tagsOf(group);
    const item = await this.baselineItem(resourceId, tags);
    // Pinned first: once rules change, "the configuration before the last change" would be the drift itself.
    if (!tags[SG_TAGS.baselineAt]) await this.tag(resourceId, { [SG_TAGS.baselineAt]: item.configurationItemCaptureTime!.toISOString() });
    await this.apply(resourceId, settingsOf(group), itemSettings(item), { ingress: true, egress: true });
    return this.readCurrent(_call, resourceId);
  }

  async quarantine(_call: ProviderCall, resourceId: string, reason: string): Promise<ConfigSnapshot> {
    const group = await this.group(resourceId);
    const tags = tagsOf(group);
    // The first quarantine's time is kept: release restores what was there before it.
    if (!tags[SG_TAGS.quarantinedAt]) await this.tag(resourceId, { [SG_TAGS.quarantinedAt]: new Date().toISOString(), [SG_TAGS.quarantined]: tagValue(reason) });
    const current = settingsOf(group);
    await this.apply(resourceId, current, { ...current, ingress: [] }, { ingress: true, egress: false });
    return this.readCurrent(_call, resourceId);
  }

  async release(_call: ProviderCall, resourceId: string, _reason: string): Promise<ConfigSnapshot> {
    const group = await this.group(resourceId);
    const at = tagsOf(group)[SG_TAGS.quarantinedAt];
    if (!at) return live(resourceId, group);
    const before = await this.itemAt(resourceId, new Date(at));
    const current = settingsOf(group);
    await this.apply(resourceId, current, { ...current, ingress: itemSettings(before).ingress }, { ingress: true, egress: false });
    await aws('ec2:DeleteTags', () =>
      this.clients.ec2.send(new DeleteTagsCommand({ Resources: [resourceId], Tags: [{ Key: SG_TAGS.quarantined }, { Key: SG_TAGS.quarantinedAt }] })),
    );
    return this.readCurrent(_call, resourceId);
  }

  /** Only once AWS Config has recorded the live rules: the baseline must be a configuration item. */
  async acceptCurrent(_call: ProviderCall, resourceId: string, approvedBy: string): Promise<ConfigSnapshot> {
    const group = await this.group(resourceId);
    const [latest] = await this.history(resourceId, { limit: 1 });
    if (!latest || !sameRules(itemSettings(latest), settingsOf(group))) {
      throw providerError(ProviderErrorType.Unavailable, `AWS Config has not yet recorded ${resourceId}'s current rules; it usually does within minutes (retry).`);
    }
    await this.tag(resourceId, { [SG_TAGS.baselineAt]: latest.configurationItemCaptureTime!.toISOString(), [SG_TAGS.baselineBy]: tagValue(approvedBy) });
    return this.readCurrent(_call, resourceId);
  }

  // ── helpers ───────────────────────────────────────────────────────────────────────────

  private async group(resourceId: string): Promise<SecurityGroup> {
    if (!/^sg-[0-9a-f]+$/.test(resourceId)) {
      throw providerError(ProviderErrorType.Invalid, `aws-config handles security groups (sg-…) only; ${resourceId} is not one.`);
    }
    const out = await aws('ec2:DescribeSecurityGroups', () => this.clients.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [resourceId] })));
    const group = out.SecurityGroups?.[0];
    if (!group) throw providerError(ProviderErrorType.NotFound, `ec2:DescribeSecurityGroups: there is no security group ${resourceId}.`);
    return group;
  }

  private async tag(resourceId: string, tags: Record<string, string>): Promise<void> {
    await aws('ec2:CreateTags', () =>
      this.clients.ec2.send(new CreateTagsCommand({ Resources: [resourceId], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) })),
    );
  }

  /** Configuration items, newest first, that describe the group (not its deletion). */
  private async history(resourceId: string, range: { limit: number; laterTime?: Date }): Promise<ConfigurationItem[]> {
    const out = await aws('config:GetResourceConfigHistory', async () => {
      try {
        return await this.clients.config.send(
          new GetResourceConfigHistoryCommand({ resourceType: SECURITY_GROUP, resourceId, limit: range.limit, laterTime: range.laterTime, chronologicalOrder: 'Reverse' }),
        );
      } catch (err) {
        if (isAwsError(err, 'ResourceNotDiscoveredException')) throw notRecorded(resourceId, 'at all');
        throw err;
      }
    });
    return (out.configurationItems ?? []).filter((i) => i.configuration && i.configurationItemCaptureTime && ['OK', 'ResourceDiscovered'].includes(i.configurationItemStatus ?? 'OK'));
  }

  private async itemAt(resourceId: string, at: Date): Promise<ConfigurationItem> {
    const [item] = await this.history(resourceId, { limit: 1, laterTime: at });
    if (!item) throw notRecorded(resourceId, `at ${at.toISOString()}`);
    return item;
  }

  private async baselineItem(resourceId: string, tags: Record<string, string>): Promise<ConfigurationItem> {
    const at = tags[SG_TAGS.baselineAt];
    if (at) return this.itemAt(resourceId, new Date(at));
    const items = await this.history(resourceId, { limit: this.settings.historyDepth });
    if (items.length === 0) throw notRecorded(resourceId, 'at all');
    const newest = itemSettings(items[0]);
    return items.find((i) => !sameRules(itemSettings(i), newest)) ?? items[0];
  }

  /** Revokes what `to` lacks, then authorizes what `current` lacks; "already so" answers are success. */
  private async apply(resourceId: string, current: SgSettings, to: SgSettings, which: { ingress: boolean; egress: boolean }): Promise<void> {
    const ec2 = this.clients.ec2;
    const steps: { what: string; rules: SgRule[]; send: (r: SgRule) => Promise<unknown>; done: string }[] = [];
    if (which.ingress) {
      steps.push({ what: 'ec2:RevokeSecurityGroupIngress', rules: minus(current.ingress, to.ingress), done: 'InvalidPermission.NotFound', send: (r) => ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: resourceId, IpPermissions: [permissionOf(r)] })) });
    }
    if (which.egress) {
      steps.push({ what: 'ec2:RevokeSecurityGroupEgress', rules: minus(current.egress, to.egress), done: 'InvalidPermission.NotFound', send: (r) => ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: resourceId, IpPermissions: [permissionOf(r)] })) });
    }
    if (which.ingress) {
      steps.push({ what: 'ec2:AuthorizeSecurityGroupIngress', rules: minus(to.ingress, current.ingress), done: 'InvalidPermission.Duplicate', send: (r) => ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: resourceId, IpPermissions: [permissionOf(r)] })) });
    }
    if (which.egress) {
      steps.push({ what: 'ec2:AuthorizeSecurityGroupEgress', rules: minus(to.egress, current.egress), done: 'InvalidPermission.Duplicate', send: (r) => ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: resourceId, IpPermissions: [permissionOf(r)] })) });
    }
    for (const step of steps) {
      for (const rule of step.rules) {
        try {
          await step.send(rule);
        } catch (err) {
          if (!isAwsError(err, step.done)) throw awsFailure(err, step.what);
        }
      }
    }
  }
}

function live(resourceId: string, group: SecurityGroup): ConfigSnapshot {
  return { resourceId, kind: SECURITY_GROUP, settings: settingsOf(group), at: new Date().toISOString() };
}

function itemSettings(item: ConfigurationItem): SgSettings {
  return settingsOf(JSON.parse(item.configuration ?? '{}'));
}

function tagsOf(group: SecurityGroup): Record<string, string> {
  return Object.fromEntries((group.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

/** EC2 tag values: up to 256 characters of letters, digits, spaces and `_.:/=+-@`. */
function tagValue(text: string): string {
  return text.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, ' ').slice(0, 256);
}

function notRecorded(resourceId: string, when: string): Error {
  return providerError(
    ProviderErrorType.NotFound,
    `AWS Config has no configuration recorded for ${resourceId} ${when}: check that the configuration recorder records ${SECURITY_GROUP} in this region.`,
  );
}
