import { PalisadeError } from '../errors';
import type { Scenario, ScenarioInfraFault } from './scenario';

/** Faults of the engine's own infrastructure a scenario may ask for (`faults: [{ at, fault, for }]`). */
export const INFRA_FAULTS = ['worker-killed', 'api-killed', 'temporal-history-down', 'slack-down', 'paging-down'] as const;
export type InfraFault = (typeof INFRA_FAULTS)[number];

/** Faults of a vendor the engine talks to: down for a while, then back (the others are processes, SIGKILLed and started again). */
export const VENDOR_FAULTS: ReadonlySet<InfraFault> = new Set(['slack-down', 'paging-down']);

/** Where each fault can be produced, for the refusal of an environment that cannot. */
export const WHERE_FAULTS_RUN: Record<InfraFault, string> = {
  'worker-killed': '`npm run gameday -- <scenario>` (the drill harness: worker, API, Temporal and Postgres as processes of their own) or `npm run gameday -- --cluster <scenario>`',
  'api-killed': '`npm run gameday -- <scenario>` or `npm run gameday -- --cluster <scenario>` (the harness owns the API processes; an API cannot kill and restart itself)',
  'temporal-history-down': 'only on the real Temporal cluster, where history is a process of its own: `npm run gameday -- --cluster <scenario>`',
  'slack-down': '`npm run gameday -- <scenario>` or `-- --cluster` (the harness connects the engine to a fake Slack it can take down)',
  'paging-down':
    'no environment yet: game days run only on simulated vendors (fleet_not_simulated), and paging has no simulated vendor to take down; a paging vendor outage is drilled by test/integration/paging*.test.ts',
};

/**
 * Breaks and mends the engine's infrastructure for a game day: one per environment (the drill
 * harness's process control and vendor fakes in bench/support/gameday-faults.ts; none in the API,
 * which cannot kill itself and come back).
 */
export interface FaultInjector {
  /** The environment, as refusals and the scorecard name it. */
  readonly where: string;
  /** The faults this environment can produce. */
  readonly supports: ReadonlySet<InfraFault>;
  /** Puts the fault in place: resolves once the process is gone or the vendor fails every call. */
  begin(fault: InfraFault): Promise<void>;
  /** Ends it: resolves once the process is started again and ready, or the vendor answers again. */
  end(fault: InfraFault): Promise<void>;
}

/** One message a vendor accepted, as the vendor saw it (the fakes record every call). */
export interface VendorDelivery {
  incidentId: string;
  /** What the message is for, e.g. `approval:isolate-host`. */
  key: string;
  /** When the vendor accepted it (ms since the epoch). */
  at: number;
}

/** What vendors received, for the scorecard's "delivered once" lines: the harness reads its fakes. */
export interface VendorLedger {
  /** Approval requests and other messages Slack accepted. */
  slackDeliveries(): Promise<VendorDelivery[]>;
}

/** The scenario's infrastructure faults, in order. */
export function infraFaults(scenario: Scenario): ScenarioInfraFault[] {
  return scenario.faults.filter((f): f is ScenarioInfraFault => f.kind === 'infrastructure');
}

/**
 * Refuses, before anything is sent, a scenario with a fault this environment cannot produce:
 * the message names the fault and where it can run.
 */
export function assertFaultsSupported(scenario: Scenario, injector: FaultInjector | undefined, where = 'a running engine (POST /gamedays, palisade gameday run)'): void {
  const missing = [...new Set(infraFaults(scenario).map((f) => f.fault))].filter((f) => !injector?.supports.has(f));
  if (missing.length === 0) return;
  throw new PalisadeError(
    'gameday_fault_unsupported',
    `Game day ${scenario.name} asks for ${missing.join(', ')}, which ${injector?.where ?? where} cannot produce.`,
    missing.map((f) => `${f}: ${WHERE_FAULTS_RUN[f]}`).join('; '),
  );
}
