import { DescribeInstancesCommand, EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { aws } from '../aws-sdk';
import { z } from 'zod';
import {
  CRITICALITIES,
  type Criticality,
  type Environment,
  type HostInfo,
  type HostSelector,
  type ProviderCall,
} from '../../../lib/providers/capabilities';
import { findInstance, INSTANCE_ID, listInstances, TAG } from '../aws-ec2-instances';
import { tagRecord } from '../aws-sdk';
import type { InventoryProvider } from './inventory.provider';

export const awsEc2InventoryConfig = z.object({ region: z.string().optional() }).strict();
export type AwsEc2InventoryConfig = z.infer<typeof awsEc2InventoryConfig>;

/** The instance tags Palisade reads. */
export const INVENTORY_TAGS = { owner: 'Owner', environment: 'Environment', criticality: 'Criticality', name: 'Name' } as const;

const ENVIRONMENT_NAMES: Record<string, Environment> = {
  production: 'production',
  prod: 'production',
  prd: 'production',
  staging: 'staging',
  stage: 'staging',
  stg: 'staging',
  development: 'development',
  dev: 'development',
};
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

/**
 * EC2 instances as Palisade's inventory: owner, environment, criticality and name from their
 * tags. A host is an instance id or a Name tag (or private DNS name).
 */
export class AwsEc2Inventory implements InventoryProvider {
  private readonly ec2: EC2Client;

  constructor(config: z.input<typeof awsEc2InventoryConfig>, clients?: { ec2?: EC2Client }) {
    const parsed = awsEc2InventoryConfig.parse(config);
    this.ec2 = clients?.ec2 ?? new EC2Client({ region: parsed.region });
  }

  /** ec2:DescribeInstances, one page of five. */
  async check(): Promise<string> {
    const res = await aws('ec2:DescribeInstances', () => this.ec2.send(new DescribeInstancesCommand({ MaxResults: 5 })));
    return `ec2:DescribeInstances answered (${(res.Reservations ?? []).length} reservation(s) on the first page)`;
  }

  async lookupHost(_call: ProviderCall, host: string): Promise<HostInfo> {
    const instance = INSTANCE_ID.test(host) ? await findInstance(this.ec2, host) : await this.byName(host);
    if (instance) return hostInfo(instance);
    // Unknown means nobody can vouch for it: playbooks treat it like production.
    return { hostId: host, hostname: host, owner: 'unknown', environment: 'unknown', criticality: 'high', known: false, tags: {} };
  }

  /** Replaced instances (tagged `palisade:replaced-by`) are left out unless named in `hostIds`. */
  async listHosts(_call: ProviderCall, selector: HostSelector): Promise<HostInfo[]> {
    const filters = [{ Name: 'instance-state-name', Values: LIVE_STATES }];
    for (const [key, value] of Object.entries(selector.tags ?? {})) filters.push({ Name: `tag:${key}`, Values: [value] });
    let instances: Instance[];
    if (selector.hostIds) {
      // Filters, not InstanceIds: an unknown id would fail the whole call.
      const ids = selector.hostIds.filter((h) => INSTANCE_ID.test(h));
      const names = selector.hostIds.filter((h) => !INSTANCE_ID.test(h));
      instances = [
        ...(ids.length > 0 ? await listInstances(this.ec2, [...filters, { Name: 'instance-id', Values: ids }]) : []),
        ...(names.length > 0 ? await listInstances(this.ec2, [...filters, { Name: `tag:${INVENTORY_TAGS.name}`, Values: names }]) : []),
      ];
    } else {
      instances = (await listInstances(this.ec2, filters)).filter((i) => tagRecord(i.Tags)[TAG.replacedBy] === undefined);
    }
    const hosts = new Map(instances.map((i) => [i.InstanceId!, hostInfo(i)]));
    return [...hosts.values()].filter((h) => !selector.environment || h.environment === selector.environment).sort((a, b) => a.hostId.localeCompare(b.hostId));
  }

  private async byName(host: string): Promise<Instance | undefined> {
    for (const name of [`tag:${INVENTORY_TAGS.name}`, 'private-dns-name']) {
      const found = await listInstances(this.ec2, [
        { Name: name, Values: [host] },
        { Name: 'instance-state-name', Values: LIVE_STATES },
      ]);
      // Several instances may share a Name: prefer one that is not replaced, then the newest.
      const best = found
        .filter((i) => tagRecord(i.Tags)[TAG.replacedBy] === undefined)
        .sort((a, b) => (b.LaunchTime?.getTime() ?? 0) - (a.LaunchTime?.getTime() ?? 0))[0];
      if (best ?? found[0]) return best ?? found[0];
    }
    return undefined;
  }
}

function hostInfo(instance: Instance): HostInfo {
  const tags = tagRecord(instance.Tags);
  const criticality = (tags[INVENTORY_TAGS.criticality] ?? '').toLowerCase();
  return {
    hostId: instance.InstanceId!,
    hostname: tags[INVENTORY_TAGS.name] || instance.PrivateDnsName || instance.InstanceId!,
    owner: tags[INVENTORY_TAGS.owner] || 'unknown',
    environment: ENVIRONMENT_NAMES[(tags[INVENTORY_TAGS.environment] ?? '').toLowerCase()] ?? 'unknown',
    // Untagged or misspelt: assume it matters, as for an unknown host.
    criticality: (CRITICALITIES as readonly string[]).includes(criticality) ? (criticality as Criticality) : 'high',
    known: true,
    tags,
  };
}
