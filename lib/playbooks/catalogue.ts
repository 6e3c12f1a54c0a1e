import type { z } from 'zod';
import { PalisadeError } from '../errors';
import type { AlertCategory, AlertEntity } from '../intake/alert';

/**
 * The runner's own gates (workflows/shared/), which a playbook has without listing them when its declaration says `contains: true`.
 * `undo-containment`: a cancel that would undo containment waits for another approver there.
 */
export const RUNNER_GATES = ['undo-containment'] as const;

/**
 * Steps every playbook's timeline can show besides its own: the runner's (a failure's page,
 * an escalation's notice, a paused gate's page, params it could not read).
 */
export const RUNNER_STEPS = ['Read the parameters', 'Page {page}: playbook failed', 'Escalate {gate} to {notify} (tier {n})', 'Page {page} for {gate}'] as const;

/** How a responder starts a playbook by hand (`POST /playbooks/:name/runs`): the entity and title its params name. */
export interface ManualStart<P = unknown> {
  entity: (params: P) => AlertEntity;
  title: (params: P) => string;
  /** Params the schema lets an alert's run leave out that a hand start must give. */
  requires?: readonly string[];
}

/** The Worker Versioning behaviours a playbook may declare. */
export const VERSIONING_BEHAVIORS = ['PINNED', 'AUTO_UPGRADE'] as const;

/**
 * How a playbook's open runs meet a new build, with the reason (its declaration says both):
 * `AUTO_UPGRADE`, they move to the new build at their next workflow task (changes to running
 * logic go behind `patched()`); `PINNED`, they finish on the build they started on.
 */
export interface PlaybookVersioning {
  behavior: (typeof VERSIONING_BEHAVIORS)[number];
  /** Why this behaviour is safe for this playbook: one sentence for the reviewer of a deploy. */
  reason: string;
}

/** Where a playbook came from: shipped with the engine, or a team's folder (PALISADE_PLAYBOOKS_DIR). */
export type PlaybookSource = { kind: 'shipped'; dir: string } | { kind: 'team'; dir: string };

/**
 * What the engine knows of a playbook, from its one declaration (`definePlaybook` in
 * `<folder>/playbook.ts`): the API, routing validation, the dispatcher, the CLI and the web
 * page all read this; none of them reads workflow code.
 */
export interface PlaybookEntry {
  name: string;
  /** The Temporal workflow type: the name in camelCase (`host-compromise` → `hostCompromise`). */
  workflowType: string;
  /** The declaration's label for people (the build a run runs on is the deployment's). */
  version: string;
  versioning: PlaybookVersioning;
  description: string;
  /** The one schema of its params, parsed once at workflow entry. */
  params: z.ZodType;
  /** Its approval gates, a closed list (the runner's own included). */
  gates: readonly string[];
  /** The step names its timeline can show, `{…}` standing for a value (e.g. `Patch wave {n}`). */
  steps: readonly string[];
  /** Absent: it cannot be started by hand. */
  manualStart?: ManualStart;
  /** Alert categories it is meant for (routing rules name it for these); documentation and checks only. */
  categories: readonly AlertCategory[];
  source: PlaybookSource;
}

/** Camel case of a kebab-case playbook name: its workflow type. */
export function workflowTypeOf(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** A valid playbook name: lower-case words joined by hyphens (it is part of workflow ids and URLs). */
export const PLAYBOOK_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** Every playbook the engine runs, by name. Built once at start from the declarations. */
export class Catalogue {
  private readonly byName: ReadonlyMap<string, PlaybookEntry>;

  constructor(entries: readonly PlaybookEntry[]) {
    const byName = new Map<string, PlaybookEntry>();
    for (const entry of entries) {
      const clash = byName.get(entry.name);
      if (clash) {
        throw new PalisadeError(
          'playbook_name_clash',
          `Two playbooks are named '${entry.name}': ${describeSource(clash.source)} and ${describeSource(entry.source)}.`,
          'Rename one of them (its `name` in playbook.ts); playbook names are unique across the engine and PALISADE_PLAYBOOKS_DIR.',
        );
      }
      byName.set(entry.name, entry);
    }
    this.byName = byName;
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  get entries(): PlaybookEntry[] {
    return [...this.byName.values()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: string): PlaybookEntry | undefined {
    return this.byName.get(name);
  }

  /** The entry, or a PalisadeError naming the known ones. */
  require(name: string, where: string): PlaybookEntry {
    const entry = this.byName.get(name);
    if (!entry) throw new PalisadeError('unknown_playbook', `${where}: there is no playbook '${name}'.`, `Known playbooks: ${this.names.join(', ')}.`);
    return entry;
  }
}

export function describeSource(source: PlaybookSource): string {
  return source.kind === 'shipped' ? `the shipped ${source.dir}` : `the team folder ${source.dir}`;
}
