import type { HostInfo, HostSelector, ProviderCall } from '../../../lib/providers/capabilities';

/** Who owns a host, how critical it is, where it runs (SSM inventory, a CMDB, the simulated fleet). */
export interface InventoryProvider {
  /** A host by id or hostname; an unknown host comes back with `known: false`, never an error. */
  lookupHost(call: ProviderCall, host: string): Promise<HostInfo>;
  listHosts(call: ProviderCall, selector: HostSelector): Promise<HostInfo[]>;
}
