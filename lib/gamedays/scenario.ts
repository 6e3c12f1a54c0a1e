import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { DURATION_PATTERN } from '../duration';
import { INFRA_FAULTS, VENDOR_FAULTS } from './faults';
import { PalisadeError } from '../errors';
import { SOURCES } from '../intake/alert';
import { CAPABILITIES, CRITICALITIES, ENVIRONMENTS } from '../providers/capabilities';
import { fleetAccountSchema } from '../providers/fleet-file';
import { readRunbookFile } from '../runbook-file';

/** Where `palisade gameday run <name>` and `POST /gamedays {scenario}` look for `<name>.yaml`. */
export const GAMEDAYS_DIR = 'runbooks/gamedays';

const id = z.string().min(1).max(200);
const duration = z.string().regex(DURATION_PATTERN, 'expected a duration such as 500ms, 10s or 5m');
const tags = z.record(z.string(), z.string()).default({});

const hostFields = {
  environment: z.enum(ENVIRONMENTS),
  criticality: z.enum(CRITICALITIES),
  owner: id.default('team-gameday'),
  tags,
  image: id.optional(),
  online: z.boolean().optional(),
};

/** One host, or `count` hosts named `<prefix>1` … `<prefix>N`. */
export const gamedayHostSchema = z.object({ id, ...hostFields }).strict();
const hostSchema = z.union([
  gamedayHostSchema,
  z.object({ prefix: id, count: z.number().int().min(1).max(500), ...hostFields }).strict(),
]);

/** The secret value is fingerprinted by the engine (its PALISADE_REDACTION_KEY), never stored. */
export const gamedayCredentialSchema = z
  .object({
    id,
    type: id,
    secret: z.string().min(8),
    owner: id.default('team-gameday'),
    shared: z.boolean().default(false),
    scope: z.array(id).default([]),
    dependents: z.array(id).default([]),
  })
  .strict();

/** An account of the simulated directory (fields as in runbooks/fleet.yaml); a re-run starts it over: enabled, its sessions and keys as given. */
export const gamedayAccountSchema = fleetAccountSchema.extend({ owner: id.default('team-gameday') }).strict();

export const gamedayResourceSchema = z
  .object({ id, kind: id, baseline: z.record(z.string(), z.unknown()), current: z.record(z.string(), z.unknown()).optional() })
  .strict();

/**
 * Alerts sent through POST /webhooks/<source>, signed as that source is verified. Strings in
 * `payload` may say `{{host}}` (the hosts of `hosts`, in turn) and `{{i}}` (1…count).
 */
const alertSchema = z
  .object({
    at: duration,
    source: z.enum(SOURCES).default('generic'),
    /** The body; for other sources a saved vendor payload can be given as `fixture` instead. */
    payload: z.record(z.string(), z.unknown()).optional(),
    fixture: z.string().optional(),
    /** github: X-GitHub-Event. */
    event: z.string().default('secret_scanning_alert'),
    /** Host ids, or a prefix of the fleet's generated hosts ("storm-"): cycled through for `{{host}}`. */
    hosts: z.union([z.array(id), id]).optional(),
    count: z.number().int().min(1).max(20_000).default(1),
    /** Spreads `count` alerts evenly over this long (default: all at once). */
    over: duration.optional(),
    /** Each alert is delivered this many extra times with the same delivery id (a SIEM retrying). */
    duplicates: z.number().int().min(0).max(10).default(0),
  })
  .strict()
  .refine((a) => (a.payload === undefined) !== (a.fixture === undefined), { message: 'give either payload or fixture', path: ['payload'] });

/** A playbook started by hand (POST /playbooks/<name>/runs), as a responder would. */
const runSchema = z
  .object({
    at: duration,
    playbook: id,
    params: z.record(z.string(), z.unknown()).default({}),
    severity: z.enum(['low', 'medium', 'high', 'critical']).default('high'),
    title: z.string().optional(),
    /** Who starts it: a person in runbooks/people.yaml (not one of its approvers: four eyes). */
    as: id.default('carol'),
  })
  .strict();

/** A fault of the simulated fleet (FaultSpec in activities/providers/simulated/faults.ts) for one capability. */
export const faultSpecSchema = z
  .object({
    capability: z.enum(CAPABILITIES),
    action: id.optional(),
    target: id.optional(),
    errorRate: z.number().min(0).max(1).optional(),
    latencyMs: z.number().int().min(0).max(60_000).optional(),
    timeout: z.boolean().optional(),
    offline: z.boolean().optional(),
    throttle: z.boolean().optional(),
    failNext: z.number().int().min(1).max(2_147_483_647).optional(),
  })
  .strict();

/** A fault set at `at` and cleared after `for` (default: when the game day ends). */
const faultSchema = faultSpecSchema.extend({ kind: z.literal('fleet'), at: duration, for: duration.optional() }).strict();

/**
 * A fault of the engine's own infrastructure (lib/gamedays/faults.ts): a process killed at `at`
 * and started again after `for` (default 0s: at once), or a vendor down from `at` for `for`.
 */
const infraFaultSchema = z
  .object({ kind: z.literal('infrastructure'), at: duration, fault: z.enum(INFRA_FAULTS), for: duration.optional() })
  .strict()
  .refine((f) => !VENDOR_FAULTS.has(f.fault) || f.for !== undefined, {
    message: 'a vendor outage needs `for` (how long it lasts): the scorecard judges what was delivered once it came back',
    path: ['for'],
  });

/** `faults:` mixes both: an entry naming `fault` is the engine's infrastructure, one naming `capability` the simulated fleet's. */
const anyFaultSchema = z.preprocess(
  (v) => (v && typeof v === 'object' && !Array.isArray(v) ? { kind: 'fault' in v ? 'infrastructure' : 'fleet', ...v } : v),
  z.discriminatedUnion('kind', [faultSchema, infraFaultSchema]),
);

/**
 * Who answers which gate: `gate` is a gate id, or a prefix ending in `*` ("widen-wave-*").
 * `by: nobody` leaves it to the policy's timeout and fallback (runbooks/approvals.yaml).
 */
const approvalSchema = z
  .object({
    gate: id,
    by: z.union([z.literal('nobody'), z.array(id).min(1)]),
    after: duration.default('0s'),
    decision: z.enum(['approve', 'deny']).default('approve'),
    reason: z.string().min(3).default('game day'),
  })
  .strict();

/** Which incidents an SLO judges: by playbook, and by the environment of the host it is about. */
const sloFilter = z.object({ playbook: id.optional(), environment: z.enum(ENVIRONMENTS).optional() }).strict();
const timeSlo = z.object({ max: duration, for: sloFilter.default({}) }).strict();

export const sloSchema = z
  .object({
    /** Every matching incident contained within `max` of its first alert. */
    timeToContain: timeSlo.optional(),
    /** Every matching incident resolved within `max` of its first alert. */
    timeToResolve: timeSlo.optional(),
    /** At most this many failed steps per matching incident (retries that succeeded do not count). */
    maxFailedSteps: z.union([z.number().int().min(0), z.object({ max: z.number().int().min(0), for: sloFilter.default({}) }).strict()]).optional(),
    /** Every leaked credential revoked within this long of detection (secret-leak incidents). */
    credentialRevokedWithin: duration.optional(),
    /** patch-canary: once a wave breaches its SLO, no further wave is patched. */
    noWaveWidenedPastBreach: z.literal(true).optional(),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: id,
    description: z.string().default(''),
    /** How long to wait for the incidents to close before scoring what there is. */
    deadline: duration.default('4m'),
    fleet: z
      .object({
        hosts: z.array(hostSchema).default([]),
        credentials: z.array(gamedayCredentialSchema).default([]),
        accounts: z.array(gamedayAccountSchema).default([]),
        resources: z.array(gamedayResourceSchema).default([]),
      })
      .strict()
      .default({ hosts: [], credentials: [], accounts: [], resources: [] }),
    alerts: z.array(alertSchema).default([]),
    runs: z.array(runSchema).default([]),
    faults: z.array(anyFaultSchema).default([]),
    approvals: z.array(approvalSchema).default([]),
    slos: sloSchema.default({}),
  })
  .strict()
  .refine((s) => s.alerts.length + s.runs.length > 0, { message: 'a game day needs at least one alert or run', path: ['alerts'] });

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioAlert = Scenario['alerts'][number];
export type AnyScenarioFault = Scenario['faults'][number];
/** A fault of the simulated fleet (POST /fleet/faults). */
export type ScenarioFault = Extract<AnyScenarioFault, { kind: 'fleet' }>;
/** A fault of the engine's infrastructure (a FaultInjector carries it out). */
export type ScenarioInfraFault = Extract<AnyScenarioFault, { kind: 'infrastructure' }>;
export type ScenarioApproval = Scenario['approvals'][number];
export type ScenarioSlos = z.infer<typeof sloSchema>;
export type SloFilter = z.infer<typeof sloFilter>;
export interface ScenarioHost {
  id: string;
  environment: (typeof ENVIRONMENTS)[number];
  criticality: (typeof CRITICALITIES)[number];
  owner: string;
  tags: Record<string, string>;
  image?: string;
  online?: boolean;
}

/** Reads and validates a scenario file; errors name the file, the field and what is wrong. */
export function loadScenario(file: string): Scenario {
  const scenario = readRunbookFile(file, scenarioSchema, (reason) => invalid(file, reason));
  const fixtures = scenario.alerts.map((a, i) => ({ a, i })).filter(({ a }) => a.fixture !== undefined);
  for (const { a, i } of fixtures) {
    if (!existsSync(path.resolve(a.fixture!))) throw invalid(file, `alerts.${i}.fixture: ${a.fixture} does not exist`);
  }
  const hostIds = new Set(scenarioHosts(scenario).map((h) => h.id));
  for (const [i, a] of scenario.alerts.entries()) {
    if (typeof a.hosts === 'string' && ![...hostIds].some((h) => h.startsWith(a.hosts as string))) {
      throw invalid(file, `alerts.${i}.hosts: no host of the scenario's fleet starts with '${a.hosts}'`);
    }
  }
  return scenario;
}

/** The fleet's hosts, generated ones spelled out. */
export function scenarioHosts(scenario: Scenario): ScenarioHost[] {
  return scenario.fleet.hosts.flatMap((h) => {
    const { environment, criticality, owner, tags: t, image, online } = h;
    const fields = { environment, criticality, owner, tags: t, ...(image ? { image } : {}), ...(online !== undefined ? { online } : {}) };
    return 'prefix' in h ? Array.from({ length: h.count }, (_, i) => ({ id: `${h.prefix}${i + 1}`, ...fields })) : [{ id: h.id, ...fields }];
  });
}

/** A scenario file by path, or by name under runbooks/gamedays/. */
export function resolveScenario(nameOrFile: string, dir: string = GAMEDAYS_DIR): string {
  if (existsSync(nameOrFile)) return nameOrFile;
  const named = path.join(dir, `${nameOrFile}.yaml`);
  if (/^[a-z0-9-]+$/i.test(nameOrFile) && existsSync(named)) return named;
  throw new PalisadeError('gameday_not_found', `There is no scenario '${nameOrFile}'.`, `Give a file, or one of: ${listScenarios(dir).join(', ') || '(none)'} (${dir}).`);
}

export function listScenarios(dir: string = GAMEDAYS_DIR): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort() : [];
}

function invalid(file: string, reason: string): PalisadeError {
  return new PalisadeError('gameday_invalid', `Game day ${file}: ${reason}.`, 'Fix the file (README "Game days" and lib/gamedays/scenario.ts describe each field).');
}
