import type { DataSource } from 'typeorm';
import { Capability } from '../../lib/providers/capabilities';
import type { ProvidersConfig, VendorOf } from '../../lib/providers/providers-file';
import { SimulatedConfigBaseline } from './config-baseline/simulated';
import type { ConfigBaselineProvider } from './config-baseline/config-baseline.provider';
import { SimulatedCredentials } from './credentials/simulated';
import type { CredentialsProvider } from './credentials/credentials.provider';
import { SimulatedEvidence } from './evidence/simulated';
import type { EvidenceProvider } from './evidence/evidence.provider';
import { SimulatedHostIsolation } from './host-isolation/simulated';
import type { HostIsolationProvider } from './host-isolation/host-isolation.provider';
import { SimulatedInventory } from './inventory/simulated';
import type { InventoryProvider } from './inventory/inventory.provider';
import { SimulatedMetrics } from './metrics/simulated';
import type { MetricsProvider } from './metrics/metrics.provider';
import { SimulatedNotify } from './notify/simulated';
import type { NotifyProvider } from './notify/notify.provider';
import { SimulatedPatching } from './patching/simulated';
import type { PatchingProvider } from './patching/patching.provider';
import type { Providers } from './provider.activities';
import { SimulatedFleet } from './simulated/fleet';

interface Deps {
  fleet: SimulatedFleet;
}

/**
 * Builds the vendor `runbooks/providers.yaml` chose for each capability. The simulated ones
 * share one fleet, returned too so the worker can seed it and game days can inject faults.
 */
export function createProviders(config: ProvidersConfig, { db }: { db: DataSource }): { providers: Providers; fleet: SimulatedFleet } {
  const deps: Deps = { fleet: new SimulatedFleet(db) };
  const v = config.vendors;
  const providers: Providers = {
    inventory: inventory(v.inventory, deps),
    hostIsolation: hostIsolation(v.hostIsolation, deps),
    evidence: evidence(v.evidence, deps),
    credentials: credentials(v.credentials, deps),
    configBaseline: configBaseline(v.configBaseline, deps),
    patching: patching(v.patching, deps),
    metrics: metrics(v.metrics, deps),
    notify: notify(v.notify, deps),
  };
  return { providers, fleet: deps.fleet };
}

// One switch per capability: a new vendor is a new case, and the compiler lists the places to add it.
function inventory(vendor: VendorOf<Capability.Inventory>, d: Deps): InventoryProvider {
  switch (vendor) {
    case 'simulated':
      return new SimulatedInventory(d.fleet);
  }
}

function hostIsolation(vendor: VendorOf<Capability.HostIsolation>, d: Deps): HostIsolationProvider {
  switch (vendor) {
    case 'simulated':
      return new SimulatedHostIsolation(d.fleet);
  }
}

function evidence(vendor: VendorOf<Capability.Evidence>, d: Deps): EvidenceProvider {
  switch (vendor) {
    case 'simulated':
      return new SimulatedEvidence(d.fleet);
  }
}

function credentials(vendor: VendorOf<Capability.Credentials>, d: Deps): CredentialsProvider {
  switch (vendor) {
    case 'simulated':
      return new SimulatedCredentials(d.fleet);
  }
}

function configBaseline(vendor: VendorOf<Capability.ConfigBaseline>, d: Deps): ConfigBaselineProvider {
  switch (vendor) {
    case 'simulated':
      return new SimulatedConfigBaseline(d.fleet);
  }
}

function patching(vendor: VendorOf<Capability.Patching>, d: Deps): PatchingProvider {
  switch (vendor) {
    case 'simulated':
      return new SimulatedPatching(d.fleet);
  }
}

function metrics(vendor: VendorOf<Capability.Metrics>, d: Deps): MetricsProvider {
  switch (vendor) {
    case 'simulated':
      return new SimulatedMetrics(d.fleet);
  }
}

function notify(vendor: VendorOf<Capability.Notify>, d: Deps): NotifyProvider {
  switch (vendor) {
    case 'simulated':
      return new SimulatedNotify(d.fleet);
  }
}
