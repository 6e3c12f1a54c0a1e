import type { CloudTrailClient, Event as TrailEvent } from '@aws-sdk/client-cloudtrail';
import { LookupAttributeKey, paginateLookupEvents } from '@aws-sdk/client-cloudtrail';
import { BlockList, isIP } from 'node:net';
import type { CredentialUsage } from '../../../lib/providers/capabilities';
import { aws } from '../aws-sdk';

/**
 * The networks a credential's owners work from, as CIDRs. A use from an IP address outside
 * them is `unusual`; with none configured every use from an IP address is (after a leak,
 * any use deserves a look). Calls AWS made on the owner's behalf (a service name or
 * "AWS Internal" instead of an address) never are.
 */
export class KnownNetworks {
  private readonly list = new BlockList();

  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const [address, bits] = cidr.split('/') as [string, string | undefined];
      const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      this.list.addSubnet(address, bits === undefined ? (type === 'ipv6' ? 128 : 32) : Number(bits), type);
    }
  }

  unusual(sourceIp: string): boolean {
    const version = isIP(sourceIp);
    if (version === 0) return false;
    return !this.list.check(sourceIp, version === 6 ? 'ipv6' : 'ipv4');
  }
}

/** One CloudTrail event as a credential use: `iam:ListUsers` from 203.0.113.9. */
export function usageFromEvent(event: TrailEvent, known: KnownNetworks): CredentialUsage {
  let record: { sourceIPAddress?: unknown; eventSource?: unknown; eventName?: unknown; eventTime?: unknown } = {};
  try {
    record = JSON.parse(event.CloudTrailEvent ?? '{}') as typeof record;
  } catch {
    // A record CloudTrail could not serialise: the event's own fields still say what and when.
  }
  const source = (event.EventSource ?? (typeof record.eventSource === 'string' ? record.eventSource : 'unknown')).replace(/\.amazonaws\.com$/, '');
  const sourceIp = typeof record.sourceIPAddress === 'string' ? record.sourceIPAddress : 'unknown';
  const at = event.EventTime ? event.EventTime.toISOString() : new Date(typeof record.eventTime === 'string' ? record.eventTime : 0).toISOString();
  return { at, action: `${source}:${event.EventName ?? (typeof record.eventName === 'string' ? record.eventName : 'unknown')}`, sourceIp, unusual: known.unusual(sourceIp) };
}

/**
 * Management events CloudTrail recorded for one lookup attribute (an access key id, or a
 * resource name such as a secret's ARN) between `from` and `to`, oldest first, at most
 * `limit`. LookupEvents covers the last 90 days of the client's region only.
 */
export async function lookupUsage(
  cloudtrail: CloudTrailClient,
  attribute: { key: LookupAttributeKey; value: string },
  window: { from: string; to: string },
  known: KnownNetworks,
  limit: number,
): Promise<CredentialUsage[]> {
  const usage: CredentialUsage[] = [];
  await aws('cloudtrail:LookupEvents', async () => {
    const pages = paginateLookupEvents(
      { client: cloudtrail, pageSize: 50 },
      { LookupAttributes: [{ AttributeKey: attribute.key, AttributeValue: attribute.value }], StartTime: new Date(window.from), EndTime: new Date(window.to) },
    );
    for await (const page of pages) {
      for (const event of page.Events ?? []) if (usage.length < limit) usage.push(usageFromEvent(event, known));
      if (usage.length >= limit) break;
    }
  });
  return usage.sort((a, b) => a.at.localeCompare(b.at));
}

export { LookupAttributeKey };
