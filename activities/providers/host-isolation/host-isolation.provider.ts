import type { IsolationResult, ProviderCall, ReplaceResult } from '../../../lib/providers/capabilities';

/** Cut a host off the network and let it back (CrowdStrike, Defender, an SSM quarantine group). */
export interface HostIsolationProvider {
  isolate(call: ProviderCall, hostId: string, reason: string): Promise<IsolationResult>;
  /** Reads the host's current state from the vendor; never changes it. */
  verify(call: ProviderCall, hostId: string): Promise<IsolationResult>;
  release(call: ProviderCall, hostId: string, reason: string): Promise<IsolationResult>;
  /** Rebuild or replace the host from a known-good image. */
  replace(call: ProviderCall, hostId: string, image: string): Promise<ReplaceResult>;
}
