import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { GateDecision, GateState } from '../../lib/approvals/gate';
import { PEOPLE } from './people';
import type { Severity } from '../../lib/domain/incident';
import type { AlertEntity } from '../../lib/intake/alert';
import { shippedCatalogue } from '../../apps/playbooks/load';
import { runStartOptions } from '../../lib/temporal/run-start';
import type { PlaybookInput } from '../../workflows/shared/input';
import type { AlertSeverity, SourceName } from '../../lib/intake/alert';
import { alertsMergedSignal, decideUpdate, stateQuery, type AlertBatch, type GateVerdict, type IncidentState } from '../../workflows/shared/messages';
import { afterAll, beforeAll, inject } from 'vitest';
import { SimulatedFleet } from '../../activities/providers/simulated/fleet';
import { eventually, startTestEngine, type TestEngine } from './engine';

export { PEOPLE } from './people';

export interface StartedRun {
  incidentId: string;
  workflowId: string;
  handle: WorkflowHandle;
}

/** Starts a playbook run straight on Temporal (as the door or the API would), on the engine's task queue. */
export async function startRun(
  client: Client,
  engine: TestEngine,
  playbook: string,
  opts: { entity: AlertEntity; params?: Record<string, unknown>; severity?: Severity; requestedBy?: string; title?: string },
): Promise<StartedRun> {
  const entry = (await shippedCatalogue()).require(playbook, 'startRun');
  const incidentId = randomUUID();
  const entityKey = `${opts.entity.kind}:${opts.entity.key}`;
  const workflowId = `${playbook}:${entityKey}:${incidentId.slice(0, 8)}`;
  const input: PlaybookInput = {
    incidentId,
    playbook,
    playbookVersion: entry.version,
    entityKey,
    entity: opts.entity,
    title: opts.title ?? `${playbook} drill on ${opts.entity.display}`,
    severity: opts.severity ?? 'high',
    source: opts.requestedBy ? 'manual' : 'falco',
    detectedAt: new Date().toISOString(),
    requestedBy: opts.requestedBy,
    params: opts.params,
  };
  // With the memo and search attributes the door and the API start a run with.
  const announced = runStartOptions({ ...input, sources: [input.source] });
  const handle = await client.workflow.start(entry.workflowType, { workflowId, taskQueue: engine.taskQueue, args: [input], ...announced });
  return { incidentId, workflowId, handle };
}

/** Waits until the gate is open (or paused) on the run. */
export async function gateOpen(handle: WorkflowHandle, gateId: string, timeoutMs = 20_000): Promise<GateState> {
  return eventually(
    `gate ${gateId} to open`,
    async () => {
      const state = await handle.query(stateQuery);
      return state.pendingGates?.find((g) => g.id === gateId);
    },
    timeoutMs,
  );
}

export function vote(handle: WorkflowHandle, gateId: string, who: keyof typeof PEOPLE, decision: GateDecision = 'approve', reason?: string, choice?: string): Promise<GateVerdict> {
  return handle.executeUpdate(decideUpdate, { args: [{ gateId, decision, approver: PEOPLE[who], reason, choice }] });
}

/** The VoteRejection code of a rejected vote (the ApplicationFailure's first detail). */
export async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    const cause = (err as { cause?: { type?: string; details?: unknown[]; message: string } }).cause;
    if (cause?.type === 'VoteRejected') return { code: String(cause.details?.[0]), message: cause.message };
    throw err;
  }
  throw new Error('the vote counted; expected it to be rejected');
}

export interface TimelineRow {
  sequence: number;
  type: string;
  actor: string;
  summary: string;
  data: Record<string, any>;
}

export async function timeline(engine: TestEngine, incidentId: string): Promise<TimelineRow[]> {
  return engine.db.query(`SELECT sequence, type, actor, summary, data FROM timeline_events WHERE incident_id = $1 ORDER BY sequence`, [incidentId]);
}

/** Waits for the incident's projection to reach a status; returns its row. */
export async function incidentStatus(engine: TestEngine, incidentId: string, status: string, timeoutMs = 30_000): Promise<Record<string, any>> {
  return eventually(
    `incident ${incidentId} to be ${status}`,
    async () => {
      const [row] = await engine.db.query(`SELECT * FROM incidents WHERE id = $1`, [incidentId]);
      return row?.status === status ? row : undefined;
    },
    timeoutMs,
  );
}

/** The types of the timeline's events, in order: the shape a responder reads. */
export const types = (events: TimelineRow[]) => events.map((e) => e.type);

/**
 * A storm while the run waits: 40 merged batches of 25 alerts each, then batch 7 again (a
 * dispatcher re-sending after a crash). Resolves with the run's state once it counted 1,000.
 */
export async function alertStorm(handle: WorkflowHandle, incidentId: string, alert: { source: SourceName; title: string; severity: AlertSeverity }): Promise<IncidentState> {
  const at = new Date().toISOString();
  const batch = (n: number): AlertBatch => ({
    incidentId,
    lastInboxId: n,
    count: 25,
    firstSeen: at,
    lastSeen: at,
    sources: [alert.source],
    maxSeverity: alert.severity,
    evidence: [{ alertId: randomUUID(), source: alert.source, title: alert.title, severity: alert.severity, fingerprint: `storm-${n}`, observedAt: at }],
  });
  for (let n = 1; n <= 40; n++) await handle.signal(alertsMergedSignal, batch(n));
  await handle.signal(alertsMergedSignal, batch(7));
  return eventually('1,000 alerts merged', async () => {
    const state = await handle.query(stateQuery);
    return state.alertCount === 1000 ? state : undefined;
  });
}

export interface PlaybookTestBed {
  engine: TestEngine;
  /** The same database as `engine` (one fleet, one projection), approval policies with 2-second clocks. */
  fast: TestEngine;
  client: Client;
  fleet: SimulatedFleet;
}

/**
 * A playbook test file's servers, started before its tests and stopped after: two engines on one
 * database (shipped and fast approval policies), a Temporal client and the simulated fleet.
 * `env` adds to both engines' environment (read when they start); `approvalsFile` replaces the
 * first engine's policies; `bed` lets a caller extend the bed with servers of its own.
 */
export function playbookTestBed<B extends PlaybookTestBed = PlaybookTestBed>(opts: { env?: () => NodeJS.ProcessEnv; approvalsFile?: string; bed?: B } = {}): B {
  const bed = opts.bed ?? ({} as B);
  beforeAll(async () => {
    const env = opts.env?.() ?? {};
    bed.engine = await startTestEngine({ env: { ...env, ...(opts.approvalsFile ? { PALISADE_APPROVALS_FILE: opts.approvalsFile } : {}) } });
    bed.fast = await startTestEngine({ databaseUrl: bed.engine.databaseUrl, env: { ...env, PALISADE_APPROVALS_FILE: 'test/fixtures/runbooks/approvals-fast.yaml' } });
    bed.client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
    bed.fleet = new SimulatedFleet(bed.engine.db);
  });
  afterAll(async () => {
    await bed.client?.connection.close();
    await bed.fast?.close();
    await bed.engine?.close();
  });
  return bed;
}
