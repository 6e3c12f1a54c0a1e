import { Capability, type PatchResult, type ProviderCall } from '../../../lib/providers/capabilities';
import type { SimulatedFleet } from '../simulated/fleet';
import { enrollHost, type Sql } from '../simulated/rows';
import type { PatchingProvider } from './patching.provider';

/** Patches recorded on each simulated host; a host whose agent is offline fails and the rest carry on. */
export class SimulatedPatching implements PatchingProvider {
  constructor(private readonly fleet: SimulatedFleet) {}

  apply(call: ProviderCall, patchId: string, hostIds: string[]): Promise<PatchResult> {
    return this.run(call, 'apply', patchId, hostIds, `CASE WHEN patches ? $2 THEN patches ELSE patches || to_jsonb($2::text) END`);
  }

  rollback(call: ProviderCall, patchId: string, hostIds: string[]): Promise<PatchResult> {
    return this.run(call, 'rollback', patchId, hostIds, `patches - $2::text`);
  }

  /** `patches` is one of the fixed SQL expressions above; $2 is the patch id. */
  private run(call: ProviderCall, action: string, patchId: string, hostIds: string[], patches: string): Promise<PatchResult> {
    const target = `${patchId} on ${hostIds.join(',')}`;
    return this.fleet.perform(call, Capability.Patching, action, target, async (m: Sql) => {
      const result: PatchResult = { patchId, patched: [], failed: [], at: new Date().toISOString() };
      for (const hostId of hostIds) {
        const host = await enrollHost(m, hostId);
        if (!host.online) {
          result.failed.push({ hostId: host.id, error: 'agent offline' });
          continue;
        }
        await m.query(`UPDATE sim_hosts SET patches = ${patches}, updated_at = now() WHERE id = $1`, [host.id, patchId]);
        result.patched.push(host.id);
      }
      return result;
    });
  }
}
