import type { DataSource } from 'typeorm';
import type { Capability } from '../../lib/providers/capabilities';
import type { ProvidersConfig, VendorOf } from '../../lib/providers/providers-file';
import { SimulatedConfigBaseline } from './config-baseline/simulated';
import { SimulatedCredentials } from './credentials/simulated';
import { SimulatedEvidence } from './evidence/simulated';
import { SimulatedHostIsolation } from './host-isolation/simulated';
import { SimulatedInventory } from './inventory/simulated';
import { SimulatedMetrics } from './metrics/simulated';
import { SimulatedNotify } from './notify/simulated';
import { SimulatedPatching } from './patching/simulated';
import type { Providers } from './provider.activities';
import { SimulatedFleet } from './simulated/fleet';

interface Deps {
  fleet: SimulatedFleet;
}

/**
 * How to build each vendor of each capability. The type makes the table complete: a vendor
 * added to lib/providers/providers-file.ts's VENDORS does not compile until it is built here.
 */
const VENDORS: { [C in Capability]: Record<VendorOf<C>, (d: Deps) => Providers[C]> } = {
  inventory: { simulated: (d) => new SimulatedInventory(d.fleet) },
  hostIsolation: { simulated: (d) => new SimulatedHostIsolation(d.fleet) },
  evidence: { simulated: (d) => new SimulatedEvidence(d.fleet) },
  credentials: { simulated: (d) => new SimulatedCredentials(d.fleet) },
  configBaseline: { simulated: (d) => new SimulatedConfigBaseline(d.fleet) },
  patching: { simulated: (d) => new SimulatedPatching(d.fleet) },
  metrics: { simulated: (d) => new SimulatedMetrics(d.fleet) },
  notify: { simulated: (d) => new SimulatedNotify(d.fleet) },
};

/**
 * Builds the vendor `runbooks/providers.yaml` chose for each capability. The simulated ones
 * share one fleet, returned too so the worker can seed it and game days can inject faults.
 */
export function createProviders(config: ProvidersConfig, { db }: { db: DataSource }): { providers: Providers; fleet: SimulatedFleet } {
  const deps: Deps = { fleet: new SimulatedFleet(db) };
  const v = config.vendors;
  const providers: Providers = {
    inventory: VENDORS.inventory[v.inventory](deps),
    hostIsolation: VENDORS.hostIsolation[v.hostIsolation](deps),
    evidence: VENDORS.evidence[v.evidence](deps),
    credentials: VENDORS.credentials[v.credentials](deps),
    configBaseline: VENDORS.configBaseline[v.configBaseline](deps),
    patching: VENDORS.patching[v.patching](deps),
    metrics: VENDORS.metrics[v.metrics](deps),
    notify: VENDORS.notify[v.notify](deps),
  };
  return { providers, fleet: deps.fleet };
}
