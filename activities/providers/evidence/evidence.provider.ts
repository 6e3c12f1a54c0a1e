import type { EvidenceResult, ProviderCall } from '../../../lib/providers/capabilities';

/** Preserve what a host looked like before anyone touches it (EBS snapshots, EDR RTR, SSM scripts). */
export interface EvidenceProvider {
  snapshotDisks(call: ProviderCall, hostId: string): Promise<EvidenceResult>;
  /** Processes, connections, logged-in users, memory where the agent can: gone after a reboot. */
  collectVolatile(call: ProviderCall, hostId: string): Promise<EvidenceResult>;
}
