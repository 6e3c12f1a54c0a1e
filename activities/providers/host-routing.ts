import type { EvidenceResult, IsolationResult, ProviderCall, ReplaceResult } from '../../lib/providers/capabilities';
import type { VendorChoice } from '../../lib/providers/providers-file';
import type { EvidenceProvider } from './evidence/evidence.provider';
import type { HostIsolationProvider } from './host-isolation/host-isolation.provider';
import type { InventoryProvider } from './inventory/inventory.provider';

/**
 * Chooses the vendor for one host from its inventory tags (runbooks/providers.yaml `byTag`):
 * e.g. CrowdStrike for laptops, the EC2 quarantine group for instances. A host the inventory
 * does not know, or whose tags no rule names, gets the default.
 */
export class ByHostTag<P> {
  constructor(
    private readonly inventory: InventoryProvider,
    private readonly choice: VendorChoice<string>,
    private readonly vendors: ReadonlyMap<string, P>,
  ) {}

  async for(call: ProviderCall, hostId: string): Promise<P> {
    if (this.choice.byTag.length === 0) return this.vendor(this.choice.default);
    const host = await this.inventory.lookupHost(call, hostId);
    const rule = this.choice.byTag.find((r) => host.tags[r.tag] === r.value);
    return this.vendor(rule?.vendor ?? this.choice.default);
  }

  private vendor(name: string): P {
    const provider = this.vendors.get(name);
    if (!provider) throw new Error(`vendor ${name} was not built`); // loadProvidersConfig and createProviders agree on the list
    return provider;
  }
}

export class HostRoutedIsolation implements HostIsolationProvider {
  constructor(private readonly route: ByHostTag<HostIsolationProvider>) {}
  async isolate(call: ProviderCall, hostId: string, reason: string): Promise<IsolationResult> {
    return (await this.route.for(call, hostId)).isolate(call, hostId, reason);
  }
  async verify(call: ProviderCall, hostId: string): Promise<IsolationResult> {
    return (await this.route.for(call, hostId)).verify(call, hostId);
  }
  async release(call: ProviderCall, hostId: string, reason: string): Promise<IsolationResult> {
    return (await this.route.for(call, hostId)).release(call, hostId, reason);
  }
  async replace(call: ProviderCall, hostId: string, image: string): Promise<ReplaceResult> {
    return (await this.route.for(call, hostId)).replace(call, hostId, image);
  }
}

export class HostRoutedEvidence implements EvidenceProvider {
  constructor(private readonly route: ByHostTag<EvidenceProvider>) {}
  async snapshotDisks(call: ProviderCall, hostId: string): Promise<EvidenceResult> {
    return (await this.route.for(call, hostId)).snapshotDisks(call, hostId);
  }
  async collectVolatile(call: ProviderCall, hostId: string): Promise<EvidenceResult> {
    return (await this.route.for(call, hostId)).collectVolatile(call, hostId);
  }
}
