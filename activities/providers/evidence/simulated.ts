import { Capability, type EvidenceResult, type ProviderCall } from '../../../lib/providers/capabilities';
import type { SimulatedFleet } from '../simulated/fleet';
import { enrollHost, requireOnline, shortHash } from '../simulated/rows';
import type { EvidenceProvider } from './evidence.provider';

/** Evidence from the simulated agent; artifact ids derive from the idempotency key, so a replay names the same ones. */
export class SimulatedEvidence implements EvidenceProvider {
  constructor(private readonly fleet: SimulatedFleet) {}

  snapshotDisks(call: ProviderCall, hostId: string): Promise<EvidenceResult> {
    return this.collect(call, 'snapshotDisks', hostId, (hash) => `snap-${hash}`);
  }

  collectVolatile(call: ProviderCall, hostId: string): Promise<EvidenceResult> {
    return this.collect(call, 'collectVolatile', hostId, (hash) => `volatile-${hash}.tar.gz`);
  }

  private collect(call: ProviderCall, action: string, hostId: string, artifact: (hash: string) => string): Promise<EvidenceResult> {
    return this.fleet.perform(call, Capability.Evidence, action, hostId, async (m) => {
      const host = await enrollHost(m, hostId);
      requireOnline(host);
      return { hostId: host.id, artifacts: [artifact(shortHash(call.idempotencyKey, host.id))], at: new Date().toISOString() };
    });
  }
}
