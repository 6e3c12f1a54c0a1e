import type { PatchResult, ProviderCall } from '../../../lib/providers/capabilities';

/** Apply and roll back a patch on a set of hosts (SSM Patch Manager, a config-management run). */
export interface PatchingProvider {
  apply(call: ProviderCall, patchId: string, hostIds: string[]): Promise<PatchResult>;
  rollback(call: ProviderCall, patchId: string, hostIds: string[]): Promise<PatchResult>;
}
