// Records real playbook histories for the replay tests (test/histories/): `npm run histories:record`.
//
// Starts its own Temporal dev server and a throw-away Postgres (the test setup's modules), a
// worker with the real workflows on a task queue of its own, drives each scenario below against
// the simulated fleet, and exports each history with the function `palisade history export` uses.
//
//   npm run histories:record                      record the scenarios whose file is missing
//   npm run histories:record -- --force           re-record every scenario (overwrites)
//   npm run histories:record -- host-compromise   only scenarios whose name starts with that
//   npm run histories:record -- --out ../h        write somewhere else
//
// A playbook whose workflow is still the stub is skipped with a note, so once it is written the
// same command records it. Existing files are kept by default: they stand for runs already in
// flight, which a changed playbook must still replay (see test/histories/README.md).
import 'reflect-metadata';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SimulatedFleet } from '../activities/providers/simulated/fleet';
import { exportHistory, HISTORY_DIR } from '../apps/cli/commands/history-export';
import { freePort } from '../apps/cli/start/ports';
import { resolveTemporalCli } from '../apps/cli/start/temporal-cli';
import { startTemporalDevServer } from '../apps/cli/start/temporal-dev-server';
import { createWorker } from '../apps/worker/worker';
import { installTemporalLogging } from '../apps/worker/logging';
import type { Approver } from '../lib/approvals/gate';
import { loadConfig } from '../lib/config/env';
import { createDataSource, runMigrations } from '../lib/db/data-source';
import type { Severity } from '../lib/domain/incident';
import { describeError } from '../lib/errors';
import type { AlertEntity, AlertSeverity, SourceName } from '../lib/intake/alert';
import { workflowIdFor } from '../lib/intake/routing';
import { createLogger } from '../lib/logger';
import { PLAYBOOKS, type PlaybookName } from '../lib/playbooks';
import { Capability } from '../lib/providers/capabilities';
import { acquireTestPostgres, createDatabase } from '../test/setup/postgres';
import { MANUAL_INCIDENT, manualIncidentWorkflowId, type ManualIncidentInput } from '../workflows/manual-incident/shared';
import type { PlaybookInput } from '../workflows/shared/input';
import { alertsMergedSignal, cancelSignal, decideUpdate, resolveSignal, stateQuery, type AlertBatch } from '../workflows/shared/messages';
import type { PlaybookOutcome } from '../workflows/shared/playbook';

const ROOT = path.resolve(__dirname, '..');
/** The closing summary of a playbook that is still the stub (workflows/<playbook>/workflow.ts). */
const STUB_SUMMARY = 'not written yet';
const SCENARIO_TIMEOUT_MS = 120_000;

/** People of runbooks/people.yaml, as the API resolves them. */
const PEOPLE = {
  alice: { id: 'alice', groups: ['secops'], roles: ['responder', 'approver'], via: 'api' },
  bob: { id: 'bob', groups: ['secops', 'secops-leads'], roles: ['responder', 'approver'], via: 'api' },
} satisfies Record<string, Approver>;

// ---------------------------------------------------------------------------------------------
// Scenarios: each records one history, named `<name>.json`. Add one by adding a function here.
// ---------------------------------------------------------------------------------------------

interface Scenario {
  name: string;
  run: (s: Studio) => Promise<void>;
}

const SCENARIOS: Scenario[] = [
  {
    // The door opens a triage incident, merges two more batches (one escalates it), a responder resolves it.
    name: 'triage-resolved',
    run: async (s) => {
      const input = s.playbookInput('triage', { kind: 'host', key: 'rec-triage-1', display: 'rec-triage-1' }, { source: 'falco' });
      const handle = await s.client.workflow.signalWithStart(PLAYBOOKS.triage.workflowType, {
        workflowId: workflowIdFor('triage', input.entityKey),
        taskQueue: s.taskQueue,
        args: [input],
        signal: alertsMergedSignal,
        signalArgs: [batch(input.incidentId, 1, 3, 'falco', 'high')],
      });
      await s.alertCount(handle, 3);
      await handle.signal(alertsMergedSignal, batch(input.incidentId, 2, 5, 'falco', 'high'));
      await s.alertCount(handle, 8);
      await handle.signal(alertsMergedSignal, batch(input.incidentId, 3, 1, 'guardduty', 'critical'));
      await s.alertCount(handle, 9);
      await handle.signal(resolveSignal, { reason: 'a pentest, agreed with the red team', actor: 'alice' });
      await handle.result();
      await s.save(handle);
    },
  },
  {
    // A responder reports an incident by hand (POST /incidents).
    name: 'manual-incident',
    run: async (s) => {
      const incidentId = randomUUID();
      const input: ManualIncidentInput = { incidentId, title: 'Phishing mail reported', severity: 'medium', entity: null, reportedBy: 'alice', detectedAt: new Date().toISOString() };
      const handle = await s.client.workflow.start(MANUAL_INCIDENT.workflowType, { workflowId: manualIncidentWorkflowId(incidentId), taskQueue: s.taskQueue, args: [input] });
      await handle.result();
      await s.save(handle);
    },
  },
  {
    // A development host: isolated at once, rebuilt once the replace gate is approved.
    name: 'host-compromise-complete',
    run: async (s) => {
      const entity = await s.host('rec-dev-1', 'development');
      const handle = await s.start('host-compromise', entity, { source: 'falco' });
      await s.gateOpen(handle, 'replace-host');
      await s.vote(handle, 'replace-host', 'alice', 'rebuild it');
      await s.finish(handle);
      await s.save(handle);
    },
  },
  {
    // A production host: the run waits at the isolate-host gate. Exported while it waits
    // (what a worker deploy meets most often), then cancelled.
    name: 'host-compromise-open-gate',
    run: async (s) => {
      const entity = await s.host('rec-prod-1', 'production');
      const handle = await s.start('host-compromise', entity, { source: 'falco' });
      await s.gateOpen(handle, 'isolate-host');
      await s.save(handle);
      await handle.signal(cancelSignal, { reason: 'history recorded', actor: 'bob' });
      await handle.result();
    },
  },
  {
    // The agent never confirms the isolation: the step fails after its retries, on-call is
    // paged, and a responder cancels (the host is released).
    name: 'host-compromise-failed-cancelled',
    run: async (s) => {
      const entity = await s.host('rec-dev-2', 'development');
      await s.fleet.setFault(Capability.HostIsolation, { action: 'verify', target: entity.key, offline: true });
      const handle = await s.start('host-compromise', entity, { source: 'falco' });
      await s.until('the playbook to fail', async () => (await handle.query(stateQuery)).phase === 'failed');
      await handle.signal(cancelSignal, { reason: 'false positive: a pentest', actor: 'bob' });
      await handle.result();
      await s.save(handle);
    },
  },
  {
    // A leaked key of runbooks/fleet.yaml, by fingerprint (histories never hold a raw secret).
    name: 'secret-leak-complete',
    run: async (s) => {
      const handle = await s.startByHand('secret-leak', {
        type: 'aws_access_key_id',
        fingerprint: '38d02e06a9113906b7a34a71bd425224e86af16379df7f4b6928401a25bfd54e',
        last4: 'Q7XA',
        confidence: 'medium',
      });
      await s.approveUntilDone(handle);
      await s.save(handle);
    },
  },
  {
    // The logs bucket of runbooks/fleet.yaml made public: drifted from its baseline.
    name: 'config-drift-complete',
    run: async (s) => {
      await s.fleet.setCurrentConfig('s3-logs', { public: true, encryption: 'aws:kms', logging: true });
      const handle = await s.startByHand('config-drift', { resourceId: 's3-logs' });
      await s.approveUntilDone(handle);
      await s.save(handle);
    },
  },
  {
    // A harmless patch in two short waves; each widening approved.
    name: 'patch-canary-complete',
    run: async (s) => {
      const handle = await s.startByHand('patch-canary', { patchId: 'KB-2026-11', hosts: { tags: { service: 'storefront' } }, waves: [50, 100], bake: '2s' });
      await s.approveUntilDone(handle);
      await s.save(handle);
    },
  },
];

function batch(incidentId: string, lastInboxId: number, count: number, source: SourceName, severity: AlertSeverity): AlertBatch {
  const at = new Date().toISOString();
  return {
    incidentId,
    lastInboxId,
    count,
    firstSeen: at,
    lastSeen: at,
    sources: [source],
    maxSeverity: severity,
    evidence: [{ alertId: randomUUID(), source, title: 'reverse shell', severity, fingerprint: `rec-${lastInboxId}`, observedAt: at }],
  };
}

// ---------------------------------------------------------------------------------------------
// What scenarios drive the engine with.
// ---------------------------------------------------------------------------------------------

/** The playbook is still the stub: nothing worth recording. */
class StubPlaybook extends Error {}

class Studio {
  constructor(
    readonly client: Client,
    readonly fleet: SimulatedFleet,
    readonly taskQueue: string,
    private readonly outDir: string,
    private readonly name: string,
  ) {}

  /** Writes the run's history so far as `<scenario name>.json`, once the run is idle (closed, or waiting). */
  async save(handle: WorkflowHandle): Promise<void> {
    await this.until('the run to be idle', async () => {
      const { raw } = await handle.describe();
      return (raw.pendingActivities?.length ?? 0) === 0 && !raw.pendingWorkflowTask;
    });
    const out = await exportHistory(this.client, { workflowId: handle.workflowId, outDir: this.outDir, name: this.name });
    say(`  wrote ${path.relative(ROOT, out.file)}: ${out.events} events (${out.workflowType}, ${out.status.toLowerCase()})`);
  }

  playbookInput(playbook: PlaybookName, entity: AlertEntity, opts: { source: SourceName | 'manual'; requestedBy?: string; params?: Record<string, unknown>; title?: string; severity?: Severity }): PlaybookInput {
    return {
      incidentId: randomUUID(),
      playbook,
      playbookVersion: PLAYBOOKS[playbook].version,
      entityKey: `${entity.kind}:${entity.key}`,
      entity,
      title: opts.title ?? `${playbook} on ${entity.display}`,
      severity: opts.severity ?? 'high',
      source: opts.source,
      detectedAt: new Date().toISOString(),
      requestedBy: opts.requestedBy,
      params: opts.params,
      timelineSequence: 0,
    };
  }

  /** Starts a run as the door would (or, with `requestedBy`, as a responder would). */
  async start(playbook: PlaybookName, entity: AlertEntity, opts: Parameters<Studio['playbookInput']>[2]): Promise<WorkflowHandle> {
    const input = this.playbookInput(playbook, entity, opts);
    return this.client.workflow.start(PLAYBOOKS[playbook].workflowType, { workflowId: workflowIdFor(playbook, input.entityKey), taskQueue: this.taskQueue, args: [input] });
  }

  /** Starts a run as `POST /playbooks/:name/runs` does: params checked (defaults filled) by the playbook's schema; carol asks. */
  async startByHand(playbook: PlaybookName, raw: Record<string, unknown>): Promise<WorkflowHandle> {
    const manual = PLAYBOOKS[playbook].manual;
    if (!manual) throw new Error(`${playbook} cannot be started by hand`);
    const params = manual.params.parse(raw) as Record<string, unknown>;
    return this.start(playbook, manual.entity(params), { source: 'manual', requestedBy: 'carol', params, title: manual.title(params) });
  }

  async host(id: string, environment: 'production' | 'development'): Promise<AlertEntity> {
    await this.fleet.addHost({ id, hostname: id, owner: 'team-web', environment, criticality: 'medium', tags: { 'golden-image': 'ami-golden-7' } });
    return { kind: 'host', key: id, display: id };
  }

  gateOpen(handle: WorkflowHandle, gateId: string): Promise<void> {
    return this.until(`gate ${gateId} to open`, async () => (await handle.query(stateQuery)).pendingGates?.some((g) => g.id === gateId) ?? false);
  }

  alertCount(handle: WorkflowHandle, count: number): Promise<void> {
    return this.until(`${count} alerts`, async () => (await handle.query(stateQuery)).alertCount >= count);
  }

  async vote(handle: WorkflowHandle, gateId: string, who: keyof typeof PEOPLE, reason: string, choice?: string): Promise<string> {
    const verdict = await handle.executeUpdate(decideUpdate, { args: [{ gateId, decision: 'approve', approver: PEOPLE[who], reason, choice }] });
    return verdict.outcome;
  }

  /** Waits for the playbook's outcome; a stub's is not worth recording. */
  async finish(handle: WorkflowHandle): Promise<PlaybookOutcome> {
    const outcome = (await handle.result()) as PlaybookOutcome;
    if (outcome.summary === STUB_SUMMARY) throw new StubPlaybook();
    return outcome;
  }

  /** Approves every gate the run opens (alice, then bob where two are needed; the first option, if any) until it ends. */
  async approveUntilDone(handle: WorkflowHandle): Promise<PlaybookOutcome> {
    const done = this.finish(handle).then((outcome) => ({ outcome }));
    const voted = new Set<string>();
    for (;;) {
      const finished = await Promise.race([done, sleep(250).then(() => undefined)]);
      if (finished) return finished.outcome;
      const state = await handle.query(stateQuery).catch(() => undefined);
      if (state?.phase === 'failed') throw new Error(`the playbook failed at "${state.currentStep ?? '?'}" (see its timeline)`);
      for (const gate of state?.pendingGates ?? []) {
        if (gate.status !== 'open') continue;
        for (const who of ['alice', 'bob'] as const) {
          const key = `${gate.id}/${gate.requestedAt}/${who}`;
          if (voted.has(key) || gate.votes.some((v) => v.approverId === who)) continue;
          voted.add(key);
          const outcome = await this.vote(handle, gate.id, who, 'recorded scenario', gate.options?.[0]).catch((err: unknown) => `rejected (${describeError(err)})`);
          if (outcome !== 'pending') break;
        }
      }
    }
  }

  async until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
      await sleep(100);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The engine the scenarios run on: started here, stopped at the end.
// ---------------------------------------------------------------------------------------------

function say(line: string): void {
  console.log(line);
}

function parseArgs(argv: string[]): { force: boolean; outDir: string; only: string[] } {
  const args = { force: false, outDir: path.join(ROOT, HISTORY_DIR), only: [] as string[] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--force') args.force = true;
    else if (argv[i] === '--out') args.outDir = path.resolve(argv[++i] ?? '.');
    else if (argv[i].startsWith('-')) throw new Error(`unknown option ${argv[i]} (known: --force, --out <dir>)`);
    else args.only.push(argv[i]);
  }
  return args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const scenarios = SCENARIOS.filter((s) => args.only.length === 0 || args.only.some((prefix) => s.name.startsWith(prefix)));
  const todo = scenarios.filter((s) => args.force || !existsSync(path.join(args.outDir, `${s.name}.json`)));
  for (const s of scenarios.filter((s) => !todo.includes(s))) say(`kept ${s.name}.json (exists; --force re-records it)`);
  if (todo.length === 0) {
    say('Nothing to record.');
    return 0;
  }

  // Expected failures (the failed-step scenario) would flood the output: errors only.
  installTemporalLogging(createLogger('record-histories', 'error'));
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'palisade-record-'));
  const cleanups: (() => Promise<unknown>)[] = [async () => rmSync(scratch, { recursive: true, force: true })];
  let failures = 0;
  try {
    const base = loadConfig(process.env, ROOT);
    const cli = await resolveTemporalCli({ configuredPath: base.temporal.cliPath, searchPath: process.env.PATH ?? '', env: process.env, cacheDir: base.cacheDir, say });
    const [temporal, postgres] = await Promise.all([
      freePort().then((port) => startTemporalDevServer({ env: process.env, cliPath: cli.path, port, ui: 'headless', fastSqlite: true, logFile: path.join(scratch, 'temporal.log') })),
      acquireTestPostgres(process.env),
    ]);
    cleanups.push(() => temporal.process.stop(5_000), () => postgres.stop());
    const database = await createDatabase(postgres.adminUrl, `palisade_record_${process.pid}_${Date.now()}`);
    cleanups.push(database.drop);
    await runMigrations(database.url);
    say(`Temporal ${temporal.address}; Postgres from ${postgres.source}.`);

    const taskQueue = `record-${randomUUID()}`;
    const config = loadConfig({ TEMPORAL_ADDRESS: temporal.address, DATABASE_URL: database.url, PALISADE_TASK_QUEUE: taskQueue, PALISADE_REDACTION_KEY: 'record-histories-redaction-key-0123' }, ROOT);
    const db = createDataSource({ url: database.url, poolSize: 4 });
    await db.initialize();
    cleanups.push(() => db.destroy());
    const nativeConnection = await NativeConnection.connect({ address: temporal.address });
    cleanups.push(() => nativeConnection.close());
    const worker: Worker = await createWorker({ connection: nativeConnection, config, db });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
    });
    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });
    const fleet = new SimulatedFleet(db);

    for (const scenario of todo) {
      say(`${scenario.name}:`);
      const studio = new Studio(client, fleet, taskQueue, args.outDir, scenario.name);
      try {
        await withTimeout(scenario.run(studio), SCENARIO_TIMEOUT_MS, scenario.name);
      } catch (err) {
        if (err instanceof StubPlaybook) {
          say(`  skipped: the playbook is still the stub (its summary is '${STUB_SUMMARY}'); record it once it is written`);
        } else {
          failures++;
          say(`  FAILED: ${describeError(err)}`);
        }
      }
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => say(`(while stopping: ${describeError(err)})`));
  }
  say(failures === 0 ? 'Done.' : `${failures} scenario(s) failed.`);
  return failures === 0 ? 0 : 1;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`record-histories: ${describeError(err)}`);
    process.exit(1);
  },
);
