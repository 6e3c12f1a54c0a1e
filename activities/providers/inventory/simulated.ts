import { Capability, type HostInfo, type HostSelector, type ProviderCall } from '../../../lib/providers/capabilities';
import type { SimulatedFleet } from '../simulated/fleet';
import { findHost, HOST_COLUMNS, hostInfo, type SimHost } from '../simulated/rows';
import type { InventoryProvider } from './inventory.provider';

/** The simulated fleet's hosts. Looking up a host never enrolls it. */
export class SimulatedInventory implements InventoryProvider {
  constructor(private readonly fleet: SimulatedFleet) {}

  lookupHost(call: ProviderCall, host: string): Promise<HostInfo> {
    return this.fleet.read(call, Capability.Inventory, 'lookupHost', host, async () => {
      const found = await findHost(this.fleet.db, host);
      if (found) return hostInfo(found);
      // Unknown means nobody can vouch for it: playbooks treat it like production.
      return { hostId: host, hostname: host, owner: 'unknown', environment: 'unknown', criticality: 'high', known: false, tags: {} };
    });
  }

  /** Hosts that were replaced are left out unless named in `hostIds`. */
  listHosts(call: ProviderCall, selector: HostSelector): Promise<HostInfo[]> {
    return this.fleet.read(call, Capability.Inventory, 'listHosts', JSON.stringify(selector), async () => {
      const hosts = await this.fleet.db.query<SimHost[]>(
        `SELECT ${HOST_COLUMNS} FROM sim_hosts
         WHERE (CASE WHEN $1::text[] IS NULL THEN replaced_by IS NULL ELSE id = ANY($1) OR hostname = ANY($1) END)
           AND ($2::text IS NULL OR environment = $2)
           AND tags @> $3::jsonb
         ORDER BY id`,
        [selector.hostIds ?? null, selector.environment ?? null, JSON.stringify(selector.tags ?? {})],
      );
      return hosts.map(hostInfo);
    });
  }
}
