import { Capability, type IsolationResult, type ProviderCall, type ReplaceResult } from '../../../lib/providers/capabilities';
import type { SimulatedFleet } from '../simulated/fleet';
import { enrollHost, requireHost, requireOnline, type Sql } from '../simulated/rows';
import type { HostIsolationProvider } from './host-isolation.provider';

const METHOD = 'simulated EDR network containment';

/** Network containment through the simulated EDR: the host's agent must answer. */
export class SimulatedHostIsolation implements HostIsolationProvider {
  constructor(private readonly fleet: SimulatedFleet) {}

  isolate(call: ProviderCall, hostId: string, _reason: string): Promise<IsolationResult> {
    return this.fleet.perform(call, Capability.HostIsolation, 'isolate', hostId, (m) => setIsolated(m, hostId, true));
  }

  verify(call: ProviderCall, hostId: string): Promise<IsolationResult> {
    return this.fleet.read(call, Capability.HostIsolation, 'verify', hostId, async () => {
      const host = await requireHost(this.fleet.db, hostId);
      requireOnline(host);
      return { hostId: host.id, isolated: host.isolated, method: METHOD, at: new Date().toISOString() };
    });
  }

  release(call: ProviderCall, hostId: string, _reason: string): Promise<IsolationResult> {
    return this.fleet.perform(call, Capability.HostIsolation, 'release', hostId, (m) => setIsolated(m, hostId, false));
  }

  /** Rebuilds from `image` as a new host `<id>-r<n>`; the old one is marked replaced. No agent needed. */
  replace(call: ProviderCall, hostId: string, image: string): Promise<ReplaceResult> {
    return this.fleet.perform(call, Capability.HostIsolation, 'replace', hostId, async (m) => {
      const host = await enrollHost(m, hostId);
      const taken = await m.query<{ id: string }[]>(`SELECT id FROM sim_hosts WHERE id LIKE $1`, [`${host.id}-r%`]);
      let n = 1;
      while (taken.some((t) => t.id === `${host.id}-r${n}`)) n++;
      const replacementId = `${host.id}-r${n}`;
      await m.query(
        `INSERT INTO sim_hosts (id, hostname, owner, environment, criticality, tags, image)
         SELECT $2, $2, owner, environment, criticality, tags, $3 FROM sim_hosts WHERE id = $1`,
        [host.id, replacementId, image],
      );
      await m.query(`UPDATE sim_hosts SET replaced_by = $2, updated_at = now() WHERE id = $1`, [host.id, replacementId]);
      return { hostId: host.id, replacementId, image, at: new Date().toISOString() };
    });
  }
}

async function setIsolated(m: Sql, hostId: string, isolated: boolean): Promise<IsolationResult> {
  const host = await enrollHost(m, hostId);
  requireOnline(host);
  await m.query(`UPDATE sim_hosts SET isolated = $2, updated_at = now() WHERE id = $1`, [host.id, isolated]);
  return { hostId: host.id, isolated, method: METHOD, at: new Date().toISOString() };
}
