import { z } from 'zod';
import { PalisadeError } from '../errors';
import { Capability, CAPABILITIES } from './capabilities';
import { readRunbookFile } from '../runbook-file';

/** The vendors each capability can be given today. Real ones join these lists as they land. */
export const VENDORS = {
  [Capability.Inventory]: ['simulated'],
  [Capability.HostIsolation]: ['simulated'],
  [Capability.Evidence]: ['simulated'],
  [Capability.Credentials]: ['simulated'],
  [Capability.ConfigBaseline]: ['simulated'],
  [Capability.Patching]: ['simulated'],
  [Capability.Metrics]: ['simulated'],
  [Capability.Notify]: ['simulated'],
} as const satisfies Record<Capability, readonly string[]>;

export type VendorOf<C extends Capability> = (typeof VENDORS)[C][number];

export interface ProvidersConfig {
  vendors: { [C in Capability]: VendorOf<C> };
}

// A record keyed by an enum is exhaustive in zod 4: a missing or unknown capability fails here.
const fileSchema = z
  .object({ vendors: z.record(z.enum(Capability), z.string({ error: 'every capability needs a vendor' }).min(1)) })
  .strict();

/** Reads and validates `runbooks/providers.yaml`: which vendor serves each capability. */
export function loadProvidersConfig(file: string): ProvidersConfig {
  const config = readRunbookFile(file, fileSchema, (reason) => invalid(file, reason));
  for (const capability of CAPABILITIES) {
    const vendor = config.vendors[capability];
    const available: readonly string[] = VENDORS[capability];
    if (!available.includes(vendor)) {
      throw invalid(file, `vendors.${capability}: there is no '${vendor}' vendor for ${capability} (available: ${available.join(', ')})`);
    }
  }
  return config as ProvidersConfig;
}

function invalid(file: string, reason: string): PalisadeError {
  return new PalisadeError(
    'providers_invalid',
    `Providers file ${file}: ${reason}.`,
    `Name one vendor for each capability (${CAPABILITIES.join(', ')}); the comment at the top of runbooks/providers.yaml lists them.`,
  );
}
