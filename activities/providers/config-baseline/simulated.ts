import { Capability, type ConfigSnapshot, type ProviderCall } from '../../../lib/providers/capabilities';
import type { SimulatedFleet } from '../simulated/fleet';
import { requireResource, snapshot, type Sql } from '../simulated/rows';
import type { ConfigBaselineProvider } from './config-baseline.provider';

/** Simulated resources with an approved baseline and a live configuration that may drift from it. */
export class SimulatedConfigBaseline implements ConfigBaselineProvider {
  constructor(private readonly fleet: SimulatedFleet) {}

  readBaseline(call: ProviderCall, resourceId: string): Promise<ConfigSnapshot> {
    return this.fleet.read(call, Capability.ConfigBaseline, 'readBaseline', resourceId, async () => snapshot(await requireResource(this.fleet.db, resourceId), 'baseline'));
  }

  readCurrent(call: ProviderCall, resourceId: string): Promise<ConfigSnapshot> {
    return this.fleet.read(call, Capability.ConfigBaseline, 'readCurrent', resourceId, async () => snapshot(await requireResource(this.fleet.db, resourceId), 'current'));
  }

  revert(call: ProviderCall, resourceId: string): Promise<ConfigSnapshot> {
    return this.change(call, 'revert', resourceId, 'current = baseline');
  }

  quarantine(call: ProviderCall, resourceId: string, _reason: string): Promise<ConfigSnapshot> {
    return this.change(call, 'quarantine', resourceId, 'quarantined = true');
  }

  release(call: ProviderCall, resourceId: string, _reason: string): Promise<ConfigSnapshot> {
    return this.change(call, 'release', resourceId, 'quarantined = false');
  }

  acceptCurrent(call: ProviderCall, resourceId: string, _approvedBy: string): Promise<ConfigSnapshot> {
    return this.change(call, 'acceptCurrent', resourceId, 'baseline = current');
  }

  /** `assignment` is one of the fixed SQL fragments above, never input. Returns the live configuration after it. */
  private change(call: ProviderCall, action: string, resourceId: string, assignment: string): Promise<ConfigSnapshot> {
    return this.fleet.perform(call, Capability.ConfigBaseline, action, resourceId, async (m: Sql) => {
      await requireResource(m, resourceId);
      await m.query(`UPDATE sim_resources SET ${assignment}, updated_at = now() WHERE id = $1`, [resourceId]);
      return snapshot(await requireResource(m, resourceId), 'current');
    });
  }
}
