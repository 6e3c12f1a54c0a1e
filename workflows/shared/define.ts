import { setWorkflowOptions } from '@temporalio/workflow';
import type { z } from 'zod';
import type { AlertCategory, AlertEntity } from '../../lib/intake/alert';
import { RUNNER_GATES, workflowTypeOf, type ManualStart, type PlaybookVersioning } from '../../lib/playbooks/catalogue';
import type { PlaybookInput } from './input';
import type { IncidentRun } from './incident-run';
import { runPlaybook, type PlaybookOutcome } from './runner';

/**
 * The names a step template stands for: `{…}` is any value (`Patch wave {n}` names
 * `Patch wave 1`, `Patch wave 2`, …). A step name outside the declared list fails the type check.
 */
export type StepName<T extends string> = T extends `${infer Head}{${string}}${infer Tail}` ? `${Head}${string}${StepName<Tail>}` : T;

/**
 * A run as a playbook's body sees it: the incident run, typed by the playbook's gates and
 * steps so that `approval` and `step` accept only what the declaration lists.
 */
export type PlaybookRun<G extends string = string, S extends string = string> = IncidentRun & {
  /** Type-level only: the gates and steps this run's playbook declares. */
  readonly declared?: { gates: G; steps: StepName<S> };
};

/** The one declaration of a playbook (`<folder>/playbook.ts`, default export). */
export interface PlaybookDeclaration<P extends z.ZodType, G extends string, S extends string> {
  /** Lower-case words joined by hyphens: routing rules, the API and workflow ids use it. */
  name: string;
  /** One or two sentences for GET /playbooks and the catalogue. */
  description: string;
  /** The Temporal workflow type, when not the name in camelCase (kept for histories recorded under an older name). */
  workflowType?: string;
  /**
   * A label for people (default 1.0.0), shown beside the playbook. What a run actually runs is
   * the build (derived from the workflow code: GET /incidents/:id `startedBuild`, `runningBuild`).
   */
  version?: string;
  /**
   * What a run does when a new build of the engine is deployed while it is open (Worker
   * Versioning), and why: `AUTO_UPGRADE` moves it to the new build at its next workflow task
   * (the change then needs `patched()`, and `palisade replay check --live` proves it);
   * `PINNED` finishes it on the build it started on (only for a playbook that never waits for a
   * person: a pinned run keeps its old worker needed until it ends).
   */
  versioning: PlaybookVersioning;
  /** Alert categories it answers (routing rules send these to it); documentation and checks. */
  categories?: readonly AlertCategory[];
  /** Its params, as one schema: parsed once when the run starts; defaults live here. */
  params: P;
  /**
   * Params for a run an alert opened, from the incident's entity (the schema then parses them);
   * without it, an alert's run gets `{}`.
   */
  fromAlert?: (entity: AlertEntity) => z.input<P>;
  /** How a responder starts it by hand (`POST /playbooks/:name/runs`); absent: only alerts start it. */
  manualStart?: ManualStart<z.output<P>> & {
    /** Params that may be left out when an alert starts it, but not by hand. */
    requires?: readonly (keyof z.output<P> & string)[];
  };
  /**
   * It contains something (isolates a host, quarantines a resource) that a cancel would undo:
   * a cancel after containment then waits for a second approver at the runner's
   * `undo-containment` gate, which approvals.yaml may then set for it.
   */
  contains?: boolean;
  /**
   * Its body starts from the alert that opened the incident (`run.loadAlert(input.firstAlertId)`):
   * the opening reads it in the same activity, so the first step is not held up by a read of its own.
   */
  readsFirstAlert?: boolean;
  /** Its approval gates: `approval()` accepts these and no other. */
  gates: readonly G[];
  /** Every step name its timeline can show; `{…}` stands for a value. */
  steps: readonly S[];
  /** The body: the runbook as code. Returns the closing summary. */
  run: (run: PlaybookRun<G, S>, params: z.output<P>) => Promise<string>;
}

/** A declared playbook: the declaration, its workflow type, and the Temporal workflow function. */
export interface Playbook<P extends z.ZodType = z.ZodType, G extends string = string, S extends string = string> extends PlaybookDeclaration<P, G, S> {
  workflowType: string;
  version: string;
  /** Every gate it may ask at, the runner's included. */
  allGates: readonly string[];
  workflow: (input: PlaybookInput) => Promise<PlaybookOutcome>;
}

/**
 * Declares a playbook once: what it is, what it takes, which gates and steps it has, how a
 * responder starts it, and its body. The catalogue the API, routing, the dispatcher, the CLI
 * and the web page use is built from these; the worker runs `workflow` under `workflowType`.
 */
export function definePlaybook<P extends z.ZodType, const G extends string, const S extends string>(declaration: PlaybookDeclaration<P, G, S>): Playbook<P, G, S> {
  const playbook: Playbook<P, G, S> = {
    ...declaration,
    workflowType: declaration.workflowType ?? workflowTypeOf(declaration.name),
    version: declaration.version ?? '1.0.0',
    allGates: [...declaration.gates, ...(declaration.contains ? RUNNER_GATES : [])],
    workflow: (input: PlaybookInput) => runPlaybook(input, playbook as unknown as Playbook),
  };
  // A declaration without it (plain JavaScript) is refused by the loader, naming its folder (apps/playbooks/load.ts).
  const behavior = (declaration.versioning as PlaybookVersioning | undefined)?.behavior;
  if (behavior) setWorkflowOptions({ versioningBehavior: behavior }, playbook.workflow);
  return playbook;
}
