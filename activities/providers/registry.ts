import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { ApplicationFailure } from '@temporalio/common';
import { describeError, PalisadeError } from '../../lib/errors';
import { Capability } from '../../lib/providers/capabilities';
import { vendorsInUse, type ProvidersConfig, type VendorChoice, type VendorOf } from '../../lib/providers/providers-file';
import { SimulatedConfigBaseline } from './config-baseline/simulated';
import { SimulatedCredentials } from './credentials/simulated';
import { VaultCredentials, vaultConfigSchema } from './credentials/vault';
import { SimulatedEvidence } from './evidence/simulated';
import { isCheckable } from './check';
import { ByHostTag, HostRoutedEvidence, HostRoutedIsolation } from './host-routing';
import { CrowdStrikeHostIsolation, crowdStrikeConfigSchema } from './host-isolation/crowdstrike';
import { DefenderHostIsolation, defenderConfigSchema } from './host-isolation/defender';
import { SimulatedHostIsolation } from './host-isolation/simulated';
import { NoIdentity } from './identity/none';
import { SimulatedIdentity } from './identity/simulated';
import { SimulatedInventory } from './inventory/simulated';
import { PrometheusMetrics, prometheusMetricsConfigSchema } from './metrics/prometheus';
import { SimulatedMetrics } from './metrics/simulated';
import { PagerDutyNotify } from './notify/pagerduty';
import { SimulatedNotify } from './notify/simulated';
import { NoPaging } from './paging/none';
import { OpsgeniePaging, opsgenieConfigSchema } from './paging/opsgenie';
import { PagerDutyPaging, pagerDutyConfigSchema } from './paging/pagerduty';
import { NoTicketing } from './ticketing/none';
import { GitHubIssuesTicketing, gitHubIssuesConfigSchema } from './ticketing/github-issues';
import { JiraTicketing, jiraConfigSchema } from './ticketing/jira';
import { SimulatedPatching } from './patching/simulated';
import { GitHubSecretScanning, gitHubSecretScanningConfigSchema } from './secret-scanning/github';
import { NoSecretScanning } from './secret-scanning/none';
import type { Providers } from './provider.activities';
import { SimulatedFleet } from './simulated/fleet';

export interface Deps {
  fleet: SimulatedFleet;
  /**
   * The vendor's settings from runbooks/providers.yaml (`<name>Env` secrets read from the
   * environment), the keys `schema` knows, validated by it.
   */
  parse: <S extends z.ZodObject>(vendor: string, schema: S) => z.output<S>;
  /** The door's keyed fingerprint of a secret value (lib/intake/redact.ts). */
  fingerprint: (value: string) => string;
}

/**
 * The AWS vendors, loaded on first use: the AWS SDK costs a worker about 60 MiB resident, which
 * an engine on the simulated fleet or other vendors should not pay.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aws = (): typeof import('./aws-vendors') => require('./aws-vendors') as typeof import('./aws-vendors');

/**
 * How to build each vendor of each capability. The type makes the table complete: a vendor
 * added to lib/providers/providers-file.ts's VENDORS does not compile until it is built here.
 * Each reads the settings its schema knows (aws-ec2 serves two capabilities from one block).
 */
const VENDORS: { [C in Capability]: Record<VendorOf<C>, (d: Deps) => Providers[C]> } = {
  inventory: {
    simulated: (d) => new SimulatedInventory(d.fleet),
    'aws-ec2': (d) => aws().inventory(d),
  },
  hostIsolation: {
    simulated: (d) => new SimulatedHostIsolation(d.fleet),
    'aws-ec2': (d) => aws().hostIsolation(d),
    crowdstrike: (d) => new CrowdStrikeHostIsolation(d.parse('crowdstrike', crowdStrikeConfigSchema)),
    defender: (d) => new DefenderHostIsolation(d.parse('defender', defenderConfigSchema)),
  },
  evidence: {
    simulated: (d) => new SimulatedEvidence(d.fleet),
    'aws-ec2-ssm': (d) => aws().evidence(d),
  },
  credentials: {
    simulated: (d) => new SimulatedCredentials(d.fleet),
    'aws-iam': (d) => aws().credentials(d),
    vault: (d) => new VaultCredentials(d.parse('vault', vaultConfigSchema), { fingerprint: d.fingerprint }),
  },
  identity: {
    none: () => new NoIdentity(),
    simulated: (d) => new SimulatedIdentity(d.fleet),
    'aws-iam': (d) => aws().identity(d),
  },
  configBaseline: {
    simulated: (d) => new SimulatedConfigBaseline(d.fleet),
    'aws-config': (d) => aws().configBaseline(d),
  },
  patching: {
    simulated: (d) => new SimulatedPatching(d.fleet),
    'aws-ssm': (d) => aws().patching(d),
  },
  metrics: {
    simulated: (d) => new SimulatedMetrics(d.fleet),
    prometheus: (d) => new PrometheusMetrics(d.parse('prometheus', prometheusMetricsConfigSchema)),
  },
  notify: {
    simulated: (d) => new SimulatedNotify(d.fleet),
    pagerduty: (d) => new PagerDutyNotify(new PagerDutyPaging(d.parse('pagerduty', pagerDutyConfigSchema))),
  },
  paging: {
    none: () => new NoPaging(),
    pagerduty: (d) => new PagerDutyPaging(d.parse('pagerduty', pagerDutyConfigSchema)),
    opsgenie: (d) => new OpsgeniePaging(d.parse('opsgenie', opsgenieConfigSchema)),
  },
  ticketing: {
    none: () => new NoTicketing(),
    jira: (d) => new JiraTicketing(d.parse('jira', jiraConfigSchema)),
    'github-issues': (d) => new GitHubIssuesTicketing(d.parse('github-issues', gitHubIssuesConfigSchema)),
  },
  secretScanning: {
    none: () => new NoSecretScanning(),
    github: (d) => new GitHubSecretScanning(d.parse('github', gitHubSecretScanningConfigSchema), { fingerprint: d.fingerprint }),
  },
};

export interface ProviderDeps {
  db: DataSource;
  /** Where `<name>Env` settings are looked up (the worker's environment). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The door's keyed fingerprint (Redactor.fingerprint); credential stores find leaked values by it. */
  fingerprint?: (value: string) => string;
}

/**
 * Builds the vendors `runbooks/providers.yaml` chose for each capability (hostIsolation and
 * evidence may use several, chosen per host by its inventory tags). The simulated ones share
 * one fleet, returned too so the worker can seed it and game days can inject faults. A
 * vendor's bad settings, or a secret variable that is not set, stop the worker at start.
 */
export function createProviders(config: ProvidersConfig, { db, env = {}, fingerprint }: ProviderDeps): { providers: Providers; fleet: SimulatedFleet } {
  const deps = vendorDeps(config, new SimulatedFleet(db), env, fingerprint);
  const build = <C extends Capability>(capability: C, vendor: VendorOf<C>): Providers[C] => buildVendor(deps, capability, vendor);
  const one = <C extends Capability>(capability: C): Providers[C] => build(capability, config.vendors[capability].default);
  const inventory = one(Capability.Inventory);
  const perHost = <C extends Capability.HostIsolation | Capability.Evidence>(capability: C): ByHostTag<Providers[C]> | Providers[C] => {
    const choice: VendorChoice<VendorOf<C>> = config.vendors[capability];
    if (choice.byTag.length === 0) return build(capability, choice.default);
    const names = [...new Set([choice.default, ...choice.byTag.map((r) => r.vendor)])];
    return new ByHostTag(inventory, choice, new Map(names.map((n) => [n, build(capability, n)])));
  };
  const isolation = perHost(Capability.HostIsolation);
  const evidence = perHost(Capability.Evidence);
  const providers: Providers = {
    inventory,
    hostIsolation: isolation instanceof ByHostTag ? new HostRoutedIsolation(isolation) : isolation,
    evidence: evidence instanceof ByHostTag ? new HostRoutedEvidence(evidence) : evidence,
    credentials: one(Capability.Credentials),
    identity: one(Capability.Identity),
    configBaseline: one(Capability.ConfigBaseline),
    patching: one(Capability.Patching),
    metrics: one(Capability.Metrics),
    notify: one(Capability.Notify),
    secretScanning: one(Capability.SecretScanning),
    paging: one(Capability.Paging),
    ticketing: one(Capability.Ticketing),
  };
  return { providers, fleet: deps.fleet };
}

/**
 * The secret-scanning vendor alone, as the worker builds it (for the API's door, which reads a
 * leaked secret at intake); undefined when the file names none.
 */
export function createSecretScanning(config: ProvidersConfig, { env = {}, fingerprint }: Omit<ProviderDeps, 'db'>): Providers['secretScanning'] | undefined {
  const vendor = config.vendors.secretScanning.default;
  if (vendor === 'none') return undefined;
  return buildVendor(vendorDeps(config, noFleet('the secret-scanning vendor'), env, fingerprint), Capability.SecretScanning, vendor);
}

/**
 * The page and ticket vendors alone, as the API's outbox sender uses them (no simulated
 * fleet); null where the file names none. `via` names the other paging vendors the paging
 * policy's channels use (built beside the default; none of them when the default is none).
 */
export function createPagingVendors(
  config: ProvidersConfig,
  { env = {} }: Omit<ProviderDeps, 'db' | 'fingerprint'>,
  via: readonly VendorOf<Capability.Paging>[] = [],
): { paging: Providers['paging'] | null; pagers: Map<string, Providers['paging']>; ticketing: Providers['ticketing'] | null } {
  const deps = vendorDeps(config, noFleet('the paging outbox'), env, (v) => v);
  const paging = config.vendors.paging.default;
  const ticketing = config.vendors.ticketing.default;
  const pagers = new Map<string, Providers['paging']>();
  if (paging !== 'none') for (const name of new Set([paging, ...via])) if (name !== 'none') pagers.set(name, buildVendor(deps, Capability.Paging, name));
  return {
    paging: paging === 'none' ? null : pagers.get(paging)!,
    pagers,
    ticketing: ticketing === 'none' ? null : buildVendor(deps, Capability.Ticketing, ticketing),
  };
}

export interface ProviderCheck {
  capability: Capability;
  vendor: string;
  /** skipped: the simulated vendor (its state is in Postgres; nothing outside to reach). */
  status: 'ok' | 'denied' | 'failed' | 'skipped';
  detail: string;
}

/**
 * `palisade providers check`: builds each vendor runbooks/providers.yaml uses and calls its
 * cheapest read-only endpoint, saying what works, what is denied (and the permission it
 * lacks) and what failed. Changes nothing.
 */
export async function checkProviders(config: ProvidersConfig, { env = {}, fingerprint }: Omit<ProviderDeps, 'db'>, timeoutMs = 15_000): Promise<ProviderCheck[]> {
  const deps = vendorDeps(config, noFleet('provider checks'), env, fingerprint ?? ((v) => v));
  return Promise.all(
    vendorsInUse(config).map(async ({ capability, vendor }): Promise<ProviderCheck> => {
      if (vendor === 'simulated') return { capability, vendor, status: 'skipped', detail: 'simulated: its state is in Postgres, nothing outside to reach' };
      try {
        const provider = buildVendor(deps, capability, vendor as VendorOf<typeof capability>);
        if (!isCheckable(provider)) return { capability, vendor, status: 'skipped', detail: 'this vendor has no read-only check' };
        const detail = await Promise.race([
          provider.check(),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs).unref()),
        ]);
        return { capability, vendor, status: 'ok', detail };
      } catch (err) {
        if (err instanceof ApplicationFailure && err.type === 'Denied') {
          const action = (err.details?.[0] as { action?: string } | undefined)?.action;
          return { capability, vendor, status: 'denied', detail: `${err.message}${action ? ` (missing permission: ${action})` : ''}` };
        }
        return { capability, vendor, status: 'failed', detail: err instanceof ApplicationFailure ? `${err.type ?? 'error'}: ${err.message}` : describeError(err) };
      }
    }),
  );
}

/** The fleet of a build outside the worker, where no simulated vendor is built. */
function noFleet(forWhom: string): SimulatedFleet {
  return new Proxy({} as SimulatedFleet, {
    get: () => {
      throw new Error(`the simulated fleet is not available to ${forWhom}`);
    },
  });
}

function buildVendor<C extends Capability>(deps: Deps, capability: C, vendor: VendorOf<C>): Providers[C] {
  try {
    return VENDORS[capability][vendor](deps);
  } catch (err) {
    if (err instanceof PalisadeError) throw err;
    throw new PalisadeError('providers_invalid', `Vendor ${vendor} (${capability}) cannot be built: ${(err as Error).message}.`, `Check settings.${vendor} in runbooks/providers.yaml (README "Real providers").`);
  }
}

function vendorDeps(config: ProvidersConfig, fleet: SimulatedFleet, env: Readonly<Record<string, string | undefined>>, fingerprint: ((value: string) => string) | undefined): Deps {
  return {
    fleet,
    parse: (vendor, schema) => {
      const all = withSecrets(vendor, config.settings[vendor] ?? {}, env);
      const known = Object.fromEntries(Object.entries(all).filter(([key]) => key in schema.shape));
      const parsed = schema.safeParse(known);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `settings.${vendor}.${i.path.join('.') || '(all)'}: ${i.message}`).join('; ');
        throw new PalisadeError('providers_invalid', `Vendor ${vendor} cannot use its settings: ${problems}.`, 'Fix runbooks/providers.yaml (README "Real providers" lists each vendor\'s settings).');
      }
      return parsed.data;
    },
    fingerprint:
      fingerprint ??
      (() => {
        throw new Error('no fingerprint function: pass the Redactor to createProviders');
      }),
  };
}

/**
 * A vendor's settings with each `<name>Env: VARIABLE` replaced by `<name>: <its value>`, at any
 * depth: secrets live in the environment, runbooks/providers.yaml only names them.
 */
export function withSecrets(vendor: string, settings: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>, where = `settings.${vendor}`): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (key.endsWith('Env') && key.length > 3 && typeof value === 'string') {
      const secret = env[value];
      if (!secret) {
        throw new PalisadeError(
          'provider_secret_missing',
          `${where}.${key} names the environment variable ${value}, which is not set.`,
          `Set ${value} in the worker's environment (never in runbooks/providers.yaml), or choose another vendor.`,
        );
      }
      out[key.slice(0, -3)] = secret;
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = withSecrets(vendor, value as Record<string, unknown>, env, `${where}.${key}`);
    } else {
      out[key] = value;
    }
  }
  return out;
}
