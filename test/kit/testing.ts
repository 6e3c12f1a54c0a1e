/**
 * The test kit for playbook authors: what a playbook's test imports to run it on a real
 * worker against the simulated fleet (`import { playbookKit } from '@palisade/kit/testing'`
 * in a team's folder, `from '../kit/testing'` in the engine's own tests). docs/playbooks.md
 * shows it in use; `palisade playbook test <folder>` runs a team folder's tests with it.
 *
 *   const kit = playbookKit();                        // before the file's tests: an engine
 *   const run = await kit.start('my-playbook', { params: { target: 'web-1' } });
 *   await run.gateOpen('proceed');                    // the playbook asks
 *   await run.vote('proceed', 'bob');                 // an approver answers, in code
 *   expect(await run.result()).toMatchObject({ status: 'resolved' });
 *   expect(await run.steps()).toContain('Notify the owner');
 *
 * `playbookKit({ timeSkipping: true })` runs the engine on Temporal's time-skipping test
 * server: gate timeouts, escalations and bakes at their shipped lengths (15-minute gates,
 * 10-minute bakes) pass in seconds, as `run.result()` or `kit.advanceUntil` skip the clock.
 */
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { SimulatedFleet } from '../../activities/providers/simulated/fleet';
import { loadPlaybooks } from '../../apps/playbooks/load';
import type { GateDecision, GateState } from '../../lib/approvals/gate';
import { loadConfig } from '../../lib/config/env';
import type { Severity } from '../../lib/domain/incident';
import type { AlertEntity } from '../../lib/intake/alert';
import type { Catalogue } from '../../lib/playbooks/catalogue';
import type { PlaybookInput } from '../../workflows/shared/input';
import { decideUpdate, stateQuery, type GateVerdict, type IncidentState } from '../../workflows/shared/messages';
import type { PlaybookOutcome } from '../../workflows/shared/runner';
import { eventually, startTestEngine, type TestEngine } from '../support/engine';
import { PEOPLE } from '../support/people';
import { quickQuery, startTimeSkipping, type TimeSkippingEnvironment } from './time-skipping';

export { Capability } from '../../lib/providers/capabilities';
export type { FaultSpec } from '../../activities/providers/simulated/fleet';
export { SimulatedFleet } from '../../activities/providers/simulated/fleet';
export { eventually } from '../support/engine';
export { PEOPLE } from '../support/people';
export type { PlaybookOutcome } from '../../workflows/shared/runner';

/** Someone of runbooks/people.yaml: alice and bob approve (roles responder, approver), carol does not. */
export type Person = keyof typeof PEOPLE;

export interface KitOptions {
  /** Run on Temporal's time-skipping test server (shipped gate and bake lengths in seconds). Default: the real-clock dev server. */
  timeSkipping?: boolean;
  /** An approvals file of your own (default: the engine's runbooks/approvals.yaml, as `npm start` reads it). */
  approvalsFile?: string;
  /** More environment for the engine (PALISADE_* variables, read when it starts). */
  env?: NodeJS.ProcessEnv;
}

export interface TimelineEvent {
  sequence: number;
  type: string;
  actor: string;
  summary: string;
  data: Record<string, any>;
  /** When it happened, in workflow time (on the time-skipping server, the skipped clock). */
  at: Date;
}

export interface StartOptions {
  /** The params, as the playbook's schema takes them (its defaults apply). */
  params?: Record<string, unknown>;
  /** The incident's entity; default: a resource named after the first string param. */
  entity?: AlertEntity;
  severity?: Severity;
  /** Started by hand by this person (`run.handStarted()` is then true); default: an alert started it. */
  requestedBy?: Person;
  title?: string;
}

/** One run of a playbook, as a test drives it. */
export interface KitRun {
  incidentId: string;
  workflowId: string;
  handle: WorkflowHandle;
  /** Waits until the playbook asks at `gate` (open, or paused); returns the gate. */
  gateOpen(gate: string, timeoutMs?: number): Promise<GateState>;
  /** Votes at a gate as `who` (the decide Update, as the API and Slack do); a refused vote throws. */
  vote(gate: string, who: Person, decision?: GateDecision, opts?: { reason?: string; choice?: string }): Promise<GateVerdict>;
  /** What the run holds now (status, open gates, alert count), from its `state` query. */
  state(): Promise<IncidentState | undefined>;
  /** Waits for the run to end (on the time-skipping server, skipping time until it does). */
  result(): Promise<PlaybookOutcome>;
  /** The incident's timeline, oldest first, as GET /incidents/:id/timeline shows it. */
  timeline(): Promise<TimelineEvent[]>;
  /** The steps that succeeded, in order (the names on the timeline). */
  steps(): Promise<string[]>;
}

export interface PlaybookKit {
  /** The API and worker (real Temporal, real Postgres); `engine.baseUrl` takes HTTP. */
  engine: TestEngine;
  /** The simulated fleet the providers act on: add hosts, read what was done, set faults (`fleet.setFault`). */
  fleet: SimulatedFleet;
  client: Client;
  /** Every playbook this engine runs, yours included. */
  catalogue: Catalogue;
  /** Starts a run of a playbook straight on Temporal, as the inbox dispatcher does for an alert. */
  start(playbook: string, opts?: StartOptions): Promise<KitRun>;
  /** Time-skipping only: skips server time a minute at a time until `check` answers. */
  advanceUntil<T>(what: string, check: () => Promise<T | undefined>, opts?: { step?: Duration; limit?: Duration }): Promise<T>;
}

/**
 * Starts an engine for the test file (before its tests; stopped after them) with every
 * playbook of the engine and of PALISADE_PLAYBOOKS_DIR, and returns the kit that drives it.
 * Use its fields inside tests, not at the top of the file.
 */
export function playbookKit(opts: KitOptions = {}): PlaybookKit {
  let timeSkipping: TimeSkippingEnvironment | undefined;
  const kit = {} as PlaybookKit;
  beforeAll(async () => {
    const teamDirs = loadConfig(process.env).playbooks.teamDirs;
    kit.catalogue = (await loadPlaybooks(teamDirs)).catalogue;
    if (opts.timeSkipping) timeSkipping = await startTimeSkipping();
    const env: NodeJS.ProcessEnv = {
      ...(teamDirs.length > 0 ? { PALISADE_PLAYBOOKS_DIR: teamDirs.join(':') } : {}),
      ...(opts.approvalsFile ? { PALISADE_APPROVALS_FILE: opts.approvalsFile } : {}),
      ...opts.env,
    };
    // Temporal's time-skipping test server has no worker deployments: its workers run unversioned.
    kit.engine = await startTestEngine(timeSkipping ? { env: { ...env, PALISADE_WORKER_VERSIONING: 'false' }, temporalAddress: timeSkipping.address } : { env });
    kit.fleet = new SimulatedFleet(kit.engine.db);
    kit.client = timeSkipping?.client ?? new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
    kit.start = (playbook, startOpts) => startKitRun(kit, playbook, startOpts ?? {}, !!timeSkipping);
    kit.advanceUntil = (what, check, o) => {
      if (!timeSkipping) throw new Error('advanceUntil needs playbookKit({ timeSkipping: true })');
      return timeSkipping.advanceUntil(what, check, o);
    };
  });
  afterAll(async () => {
    if (!timeSkipping) await kit.client?.connection.close();
    await kit.engine?.close();
    await timeSkipping?.teardown();
  });
  return kit;
}

async function startKitRun(kit: PlaybookKit, playbook: string, opts: StartOptions, skipping: boolean): Promise<KitRun> {
  const entry = kit.catalogue.require(playbook, 'kit.start');
  const incidentId = randomUUID();
  const firstString = Object.values(opts.params ?? {}).find((v): v is string => typeof v === 'string');
  const entity = opts.entity ?? { kind: 'resource', key: firstString ?? incidentId.slice(0, 8), display: firstString ?? playbook };
  const entityKey = `${entity.kind}:${entity.key}`;
  const workflowId = `${playbook}:${entityKey}:${incidentId.slice(0, 8)}`;
  const input: PlaybookInput = {
    incidentId,
    playbook,
    playbookVersion: entry.version,
    entityKey,
    entity,
    title: opts.title ?? `${playbook} test on ${entity.display}`,
    severity: opts.severity ?? 'high',
    source: opts.requestedBy ? 'manual' : 'generic',
    detectedAt: new Date().toISOString(),
    requestedBy: opts.requestedBy,
    params: opts.params,
  };
  const handle = await kit.client.workflow.start(entry.workflowType, { workflowId, taskQueue: kit.engine.taskQueue, args: [input] });
  // On the time-skipping server a query may go unanswered while a run continues as new: poll, never wait on one.
  const state = () => (skipping ? quickQuery(handle, stateQuery) : handle.query(stateQuery));
  const timeline = async (): Promise<TimelineEvent[]> => {
    const rows: (Omit<TimelineEvent, 'at'> & { occurred_at: Date })[] = await kit.engine.db.query(
      `SELECT sequence, type, actor, summary, data, occurred_at FROM timeline_events WHERE incident_id = $1 ORDER BY sequence`,
      [incidentId],
    );
    return rows.map(({ occurred_at, ...row }) => ({ ...row, at: occurred_at }));
  };
  return {
    incidentId,
    workflowId,
    handle,
    state,
    gateOpen: (gate, timeoutMs = 30_000) => eventually(`gate ${gate} to open`, async () => (await state())?.pendingGates?.find((g) => g.id === gate), timeoutMs),
    vote: (gate, who, decision = 'approve', o = {}) =>
      handle.executeUpdate(decideUpdate, { args: [{ gateId: gate, decision, approver: PEOPLE[who], reason: o.reason, choice: o.choice }] }),
    result: async () => {
      const outcome = (await handle.result()) as PlaybookOutcome;
      // The projection (Postgres) catches up with the run's last event.
      await eventually('the incident closed in the database', async () => {
        const [row] = await kit.engine.db.query(`SELECT status FROM incidents WHERE id = $1`, [incidentId]);
        return row?.status === outcome.status ? true : undefined;
      });
      return outcome;
    },
    timeline,
    steps: async () => (await timeline()).filter((e) => e.type === 'step.succeeded').map((e) => String(e.data.step)),
  };
}
