import type { ConfigSnapshot, ProviderCall } from '../../../lib/providers/capabilities';

/** A resource's approved configuration against what it is now (AWS Config, SSM inventory). */
export interface ConfigBaselineProvider {
  readBaseline(call: ProviderCall, resourceId: string): Promise<ConfigSnapshot>;
  readCurrent(call: ProviderCall, resourceId: string): Promise<ConfigSnapshot>;
  /** Put the baseline back; returns the configuration after the change. */
  revert(call: ProviderCall, resourceId: string): Promise<ConfigSnapshot>;
  /** Take the resource out of service without changing its configuration. */
  quarantine(call: ProviderCall, resourceId: string, reason: string): Promise<ConfigSnapshot>;
  release(call: ProviderCall, resourceId: string, reason: string): Promise<ConfigSnapshot>;
  /** Make the current configuration the new baseline. */
  acceptCurrent(call: ProviderCall, resourceId: string, approvedBy: string): Promise<ConfigSnapshot>;
}
