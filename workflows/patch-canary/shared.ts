// What callers of the patch-canary playbook need: its name, version, input and defaults.
export const PATCH_CANARY = { name: 'patch-canary', version: '1.0.0', workflowType: 'patchCanary' } as const;

export interface PatchCanaryParams {
  patchId: string;
  /** Which hosts to patch (inventory selector). */
  hosts: { hostIds?: string[]; environment?: 'production' | 'staging' | 'development' | 'unknown'; tags?: Record<string, string> };
  /** Cumulative share of the hosts patched by the end of each wave, in percent (default 5, 25, 100). */
  waves?: number[];
  /** How long each wave bakes before its metrics are read (default 10m). */
  bake?: string;
  /** The SLO a wave must keep: the SLI read from the metrics provider stays at or under `max`. */
  slo?: { sli: string; max: number };
}

/** The same defaults as the API's params schema (lib/playbooks.ts), applied again by the workflow. */
export const PATCH_CANARY_DEFAULTS = { waves: [5, 25, 100], bake: '10m', slo: { sli: 'error_rate', max: 0.05 } } as const;

export type CanaryPlanParams = Required<PatchCanaryParams>;

/** The run's params with defaults filled in. */
export function canaryParams(params: Record<string, unknown> = {}): CanaryPlanParams {
  const p = params as Partial<PatchCanaryParams>;
  return {
    patchId: p.patchId ?? '',
    hosts: p.hosts ?? {},
    waves: p.waves?.length ? p.waves : [...PATCH_CANARY_DEFAULTS.waves],
    bake: p.bake ?? PATCH_CANARY_DEFAULTS.bake,
    slo: p.slo ?? { ...PATCH_CANARY_DEFAULTS.slo },
  };
}

/** Why the params cannot be run, or undefined. An empty selector would match the whole fleet: never patch that by accident. */
export function paramsProblem(p: CanaryPlanParams): string | undefined {
  if (!p.patchId) return 'params.patchId is missing: name the patch to roll out';
  if (!(p.hosts.hostIds ?? p.hosts.environment ?? p.hosts.tags)) return 'params.hosts names no hosts: give hostIds, an environment or tags';
  return undefined;
}
