import { z } from 'zod';
import { PalisadeError } from '../errors';
import { Capability, CAPABILITIES } from './capabilities';
import { readRunbookFile } from '../runbook-file';

/** The vendors each capability can be given. */
export const VENDORS = {
  [Capability.Inventory]: ['simulated', 'aws-ec2'],
  [Capability.HostIsolation]: ['simulated', 'aws-ec2', 'crowdstrike', 'defender'],
  [Capability.Evidence]: ['simulated', 'aws-ec2-ssm'],
  [Capability.Credentials]: ['simulated', 'aws-iam', 'vault'],
  [Capability.Identity]: ['none', 'simulated', 'aws-iam'],
  [Capability.ConfigBaseline]: ['simulated', 'aws-config'],
  [Capability.Patching]: ['simulated', 'aws-ssm'],
  [Capability.Metrics]: ['simulated', 'prometheus'],
  [Capability.Notify]: ['simulated', 'pagerduty'],
  [Capability.SecretScanning]: ['none', 'github'],
  [Capability.Paging]: ['none', 'pagerduty', 'opsgenie'],
  [Capability.Ticketing]: ['none', 'jira', 'github-issues'],
} as const satisfies Record<Capability, readonly string[]>;

/** Capabilities a file may leave out, and the vendor they then get (`none`: nothing to call). */
const OPTIONAL: Partial<Record<Capability, string>> = {
  [Capability.SecretScanning]: 'none',
  [Capability.Identity]: 'none',
  [Capability.Paging]: 'none',
  [Capability.Ticketing]: 'none',
};

export type VendorOf<C extends Capability> = (typeof VENDORS)[C][number];
export type Vendor = VendorOf<Capability>;

/** Capabilities that act on one host, so a host's inventory tags can choose the vendor. */
export const PER_HOST = [Capability.HostIsolation, Capability.Evidence] as const;
export type PerHostCapability = (typeof PER_HOST)[number];

/** A vendor for every host, or a default and the vendors some hosts' inventory tags choose. */
export interface VendorChoice<V extends string> {
  default: V;
  /** Tried in order: the first rule whose tag has this value on the host decides. */
  byTag: { tag: string; value: string; vendor: V }[];
}

export interface ProvidersConfig {
  vendors: { [C in Capability]: VendorChoice<VendorOf<C>> };
  /** Each vendor's own settings (validated by the vendor when it is built); secrets by variable name. */
  settings: Record<string, Record<string, unknown>>;
}

const choice = z.union(
  [
    z.string().min(1),
    z
      .object({
        default: z.string().min(1),
        byTag: z.array(z.object({ tag: z.string().min(1), value: z.string().min(1), vendor: z.string().min(1) }).strict()).default([]),
      })
      .strict(),
  ],
  { error: (issue) => (issue.input === undefined ? 'every capability needs a vendor' : 'expected a vendor name, or { default, byTag: [{ tag, value, vendor }] }') },
);

// A record keyed by an enum is exhaustive in zod 4: a missing or unknown capability fails here.
const fileSchema = z
  .object({
    vendors: z.preprocess((v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? { ...OPTIONAL, ...v } : v), z.record(z.enum(Capability), choice)),
    settings: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  })
  .strict();

/** Reads and validates `runbooks/providers.yaml`: which vendor serves each capability, and their settings. */
export function loadProvidersConfig(file: string): ProvidersConfig {
  const parsed = readRunbookFile(file, fileSchema, (reason) => invalid(file, reason));
  const vendors = {} as Record<Capability, VendorChoice<string>>;
  for (const capability of CAPABILITIES) {
    const raw = parsed.vendors[capability];
    const picked: VendorChoice<string> = typeof raw === 'string' ? { default: raw, byTag: [] } : raw;
    const available: readonly string[] = VENDORS[capability];
    for (const vendor of [picked.default, ...picked.byTag.map((r) => r.vendor)]) {
      if (!available.includes(vendor)) {
        throw invalid(file, `vendors.${capability}: there is no '${vendor}' vendor for ${capability} (available: ${available.join(', ')})`);
      }
    }
    if (picked.byTag.length > 0 && !(PER_HOST as readonly Capability[]).includes(capability)) {
      throw invalid(file, `vendors.${capability}: byTag chooses a vendor per host, which only ${PER_HOST.join(' and ')} do`);
    }
    vendors[capability] = picked;
  }
  return { vendors, settings: parsed.settings } as ProvidersConfig;
}

/** Every vendor the file uses, once (`none` is no vendor). */
export function vendorsInUse(config: ProvidersConfig): { capability: Capability; vendor: string }[] {
  return CAPABILITIES.flatMap((capability) => {
    const c: VendorChoice<string> = config.vendors[capability];
    return [...new Set([c.default, ...c.byTag.map((r) => r.vendor)])].filter((vendor) => vendor !== 'none').map((vendor) => ({ capability, vendor }));
  });
}

function invalid(file: string, reason: string): PalisadeError {
  return new PalisadeError(
    'providers_invalid',
    `Providers file ${file}: ${reason}.`,
    `Name a vendor for each capability (${CAPABILITIES.filter((c) => !(c in OPTIONAL)).join(', ')}; optionally ${Object.keys(OPTIONAL).join(', ')}); the comment at the top of runbooks/providers.yaml lists them.`,
  );
}
