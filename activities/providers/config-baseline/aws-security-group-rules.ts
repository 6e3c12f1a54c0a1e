import type { IpPermission } from '@aws-sdk/client-ec2';

/**
 * A security group's rules, one per source, in one shape whether they came from EC2
 * (DescribeSecurityGroups: `IpPermissions[].IpRanges[].CidrIp`) or from an AWS Config
 * configuration item (`ipPermissions[].ipv4Ranges[].cidrIp`, or the older `ipRanges: [cidr]`).
 * Descriptions are left out: they do not change what a rule lets through.
 */
export interface SgRule {
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidr?: string;
  ipv6Cidr?: string;
  group?: string;
  prefixList?: string;
}

export interface SgSettings {
  groupName: string;
  vpcId: string;
  ingress: SgRule[];
  egress: SgRule[];
  [key: string]: unknown;
}

type Loose = Record<string, unknown>;

/** A field by name whatever its first letter's case (EC2 says `IpProtocol`, Config says `ipProtocol`). */
function field(o: Loose, name: string): unknown {
  return o[name] ?? o[name.charAt(0).toUpperCase() + name.slice(1)];
}

function list(o: Loose, name: string): Loose[] {
  const v = field(o, name);
  return Array.isArray(v) ? (v as unknown[]).map((x) => (typeof x === 'string' ? { cidrIp: x } : (x as Loose))) : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** One EC2 or Config permission as rules, one per source. */
export function rulesOf(permissions: unknown): SgRule[] {
  if (!Array.isArray(permissions)) return [];
  const rules: SgRule[] = [];
  for (const p of permissions as Loose[]) {
    const protocol = str(field(p, 'ipProtocol')) ?? '-1';
    const ports: Pick<SgRule, 'fromPort' | 'toPort'> = {};
    const from = field(p, 'fromPort');
    const to = field(p, 'toPort');
    if (protocol !== '-1' && typeof from === 'number') ports.fromPort = from;
    if (protocol !== '-1' && typeof to === 'number') ports.toPort = to;
    const base = { protocol, ...ports };
    const v4 = field(p, 'ipv4Ranges') !== undefined ? list(p, 'ipv4Ranges') : list(p, 'ipRanges');
    for (const r of v4) if (str(field(r, 'cidrIp'))) rules.push({ ...base, cidr: str(field(r, 'cidrIp')) });
    for (const r of list(p, 'ipv6Ranges')) if (str(field(r, 'cidrIpv6'))) rules.push({ ...base, ipv6Cidr: str(field(r, 'cidrIpv6')) });
    for (const r of list(p, 'userIdGroupPairs')) if (str(field(r, 'groupId'))) rules.push({ ...base, group: str(field(r, 'groupId')) });
    for (const r of list(p, 'prefixListIds')) if (str(field(r, 'prefixListId'))) rules.push({ ...base, prefixList: str(field(r, 'prefixListId')) });
  }
  return sortRules(rules);
}

export function ruleKey(r: SgRule): string {
  return JSON.stringify([r.protocol, r.fromPort ?? null, r.toPort ?? null, r.cidr ?? null, r.ipv6Cidr ?? null, r.group ?? null, r.prefixList ?? null]);
}

/** Sorted and without duplicates, so two reads of the same group compare equal position by position. */
export function sortRules(rules: SgRule[]): SgRule[] {
  const byKey = new Map(rules.map((r) => [ruleKey(r), r]));
  return [...byKey.keys()].sort().map((k) => byKey.get(k)!);
}

/** The settings Palisade compares, from EC2's or Config's description of the group (tags left out). */
export function settingsOf(group: unknown): SgSettings {
  const g = (group ?? {}) as Loose;
  return {
    groupName: str(field(g, 'groupName')) ?? '',
    vpcId: str(field(g, 'vpcId')) ?? '',
    ingress: rulesOf(field(g, 'ipPermissions')),
    egress: rulesOf(field(g, 'ipPermissionsEgress')),
  };
}

/** Rules in `a` that are not in `b`. */
export function minus(a: SgRule[], b: SgRule[]): SgRule[] {
  const keys = new Set(b.map(ruleKey));
  return a.filter((r) => !keys.has(ruleKey(r)));
}

export function sameRules(a: SgSettings, b: SgSettings): boolean {
  const key = (s: SgSettings) => JSON.stringify([s.ingress.map(ruleKey), s.egress.map(ruleKey)]);
  return key(a) === key(b);
}

/** One rule as the IpPermission EC2's Authorize/Revoke calls take. */
export function permissionOf(r: SgRule): IpPermission {
  return {
    IpProtocol: r.protocol,
    ...(r.fromPort !== undefined ? { FromPort: r.fromPort } : {}),
    ...(r.toPort !== undefined ? { ToPort: r.toPort } : {}),
    ...(r.cidr ? { IpRanges: [{ CidrIp: r.cidr }] } : {}),
    ...(r.ipv6Cidr ? { Ipv6Ranges: [{ CidrIpv6: r.ipv6Cidr }] } : {}),
    ...(r.group ? { UserIdGroupPairs: [{ GroupId: r.group }] } : {}),
    ...(r.prefixList ? { PrefixListIds: [{ PrefixListId: r.prefixList }] } : {}),
  };
}
