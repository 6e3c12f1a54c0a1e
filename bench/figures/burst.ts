import { Client, Connection } from '@temporalio/client';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { engineProcesses, rssMiB, WORKER_GOAL_MIB } from '../support/engine';
import { runLoad, startRawWorker } from '../support/processes';
import { round, until } from '../support/stats';
import { takeWorkerHeap, type WorkerHeap } from '../support/worker-heap';
import { describeProfile, markPhase, profileBetween, type PhaseMark, type PhaseProfile } from '../support/phase-profile';
import type { BenchContext, Section } from './figure';

// A worm across many hosts (issue 22): `count` distinct host-compromise alerts posted at once
// to POST /webhooks/generic by a load generator in its own process, on hosts nobody enrolled,
// so each incident snapshots the disks, collects volatile data and waits at its isolate-host
// gate. Timed until every one waits there. Beside it, in the same run, the same Temporal
// server's raw rate: a workflow with the activities and local activities a run makes up to
// that gate (counted from the runs' own histories), on a worker in its own process, started
// `count` times at once. Then the worker's and the API's memory with every incident at its gate.

const GOAL_SECONDS = 60;
const GOAL_RATIO = 0.5;
/** Connections of the load generator: a SIEM forwarding a burst. */
const CONNECTIONS = 10;
/** Runs whose history is read for the shape. */
const SAMPLE = 5;

interface Shape {
  events: number;
  workflowTasks: number;
  activities: number;
  localActivities: number;
  activityTypes: string[];
}

/** Incidents of a burst (hosts named `<prefix>-…`) waiting at their isolate-host gate. */
export async function gatedIncidents(db: BenchContext['db'], prefix: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(DISTINCT t.incident_id) AS n FROM timeline_events t JOIN incidents i ON i.id = t.incident_id
     WHERE i.entity LIKE $1 AND t.type = 'gate.requested' AND t.data->>'gateId' = 'isolate-host'`,
    [`host:${prefix}-%`],
  );
  return Number(rows[0].n);
}

/** The burst's pipeline at one moment: where its incidents are, and how busy the machine is. */
interface PipelineSample {
  seconds: number;
  gated: number;
  /** Incidents of the burst by incidents.run_state (queued: not started; working: started, not yet at a wait). */
  runState: Record<string, number>;
  /** Inbox rows not yet handed to a playbook (the burst's and any other). */
  inboxPending: number;
  /** Cores busy since the last sample (every process, /proc), and by role (Temporal server, worker, API, ...). */
  busyCores: number;
  coresByRole: Record<string, number>;
  /** The worker's workflow cache since the last sample (its SDK's counters): runs taken from the cache, runs rebuilt by replaying their history, runs evicted to make room. */
  cache?: { hits: number; misses: number; forcedEvictions: number; size: number };
}

/** The worker's workflow-cache counters, from its SDK's Prometheus metrics (summed over task queues); undefined when it serves none. */
async function workerCache(url: string): Promise<{ hits: number; misses: number; forcedEvictions: number; size: number } | undefined> {
  const text = await fetch(url).then((r) => (r.ok ? r.text() : undefined), () => undefined);
  if (text === undefined) return undefined;
  const sum = (metric: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(`${metric}{`) || line.startsWith(`${metric} `))
      .reduce((n, line) => n + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return { hits: sum('temporal_sticky_cache_hit_total'), misses: sum('temporal_sticky_cache_miss_total'), forcedEvictions: sum('temporal_sticky_cache_total_forced_eviction_total'), size: sum('temporal_sticky_cache_size') };
}

/** How long without an incident reaching its gate counts as a stall worth naming. */
const STALL_SECONDS = 6;

/**
 * Samples the burst's pipeline every 2 s while it runs, and names each stall (no incident
 * reaching its gate for STALL_SECONDS or more) with what the pipeline held meanwhile: some runs
 * of the burst have stalled 25 to 40 s with the cores half idle, a wait nobody has caught yet.
 */
class PipelineWatch {
  readonly samples: PipelineSample[] = [];
  readonly stalls: { fromSeconds: number; toSeconds: number; during: PipelineSample[] }[] = [];
  /** The last sample's reading of the machine (none yet: the first sample only reads) and of the worker's cache. */
  private last?: { mark: PhaseMark; cache?: Awaited<ReturnType<typeof workerCache>> };
  private lastGated = -1;
  private lastMoved = 0;

  constructor(
    private readonly ctx: BenchContext,
    private readonly prefix: string,
    private readonly t0: number,
  ) {}

  /** The last sample, for a progress line: the machine's cores by role and the worker's cache. */
  latest(): string {
    const x = this.samples.at(-1);
    if (!x) return '';
    const roles = Object.entries(x.coresByRole)
      .sort((a, b) => b[1] - a[1])
      .map(([role, c]) => `${role} ${c}`)
      .join(', ');
    return ` (${x.busyCores} cores: ${roles}; runs working ${x.runState.working ?? 0}${x.cache ? `; workflow cache ${x.cache.hits} hits, ${x.cache.misses} misses, ${x.cache.forcedEvictions} evictions, ${x.cache.size} cached` : ''})`;
  }

  async sample(gated: number): Promise<void> {
    const now = performance.now();
    const seconds = round((now - this.t0) / 1000);
    if (gated !== this.lastGated) {
      const stalledFor = seconds - this.lastMoved;
      if (this.lastGated >= 0 && stalledFor >= STALL_SECONDS) {
        const during = this.samples.filter((x) => x.seconds >= this.lastMoved);
        this.stalls.push({ fromSeconds: this.lastMoved, toSeconds: seconds, during });
        const mid = during[Math.floor(during.length / 2)];
        this.ctx.log(
          `  stalled ${round(stalledFor)} s at ${this.lastGated} gated (${this.lastMoved} to ${seconds} s)` +
            (mid ? `: runs ${JSON.stringify(mid.runState)}, inbox ${mid.inboxPending} pending, ${mid.busyCores} cores busy ${JSON.stringify(mid.coresByRole)}${mid.cache ? `, workflow cache ${JSON.stringify(mid.cache)}` : ''}` : ''),
        );
      }
      this.lastGated = gated;
      this.lastMoved = seconds;
    }
    if (this.last && now - this.last.mark.at < 2_000) return;
    const mark = await markPhase(undefined);
    const cache = await workerCache(this.ctx.engine.workerMetricsUrl);
    const before = this.last;
    this.last = { mark, cache };
    if (!before) return;
    // CPU seconds by role over the 2 s, as the phase profile reads them (units: none counted).
    const machine = profileBetween(before.mark, mark, 1);
    const coresByRole = Object.fromEntries(Object.entries(machine.cpuSeconds).map(([role, s]) => [role, Math.round((s / machine.seconds) * 100) / 100]).filter(([, c]) => (c as number) >= 0.05));
    const was = before.cache;
    const cacheSince = cache && was ? { hits: cache.hits - was.hits, misses: cache.misses - was.misses, forcedEvictions: cache.forcedEvictions - was.forcedEvictions, size: cache.size } : undefined;
    const states = await this.ctx.db.query<{ run_state: string | null; n: number }>(`SELECT run_state, count(*)::int AS n FROM incidents WHERE entity LIKE $1 GROUP BY run_state`, [`host:${this.prefix}-%`]);
    const inbox = await this.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM inbox WHERE dispatched_at IS NULL`);
    this.samples.push({ seconds, gated, runState: Object.fromEntries(states.rows.map((r) => [r.run_state ?? 'none', r.n])), inboxPending: inbox.rows[0].n, busyCores: machine.busyCores, coresByRole, ...(cacheSince ? { cache: cacheSince } : {}) });
  }
}

/** What one run did up to its gate, from its history (Slack's post follows the gate: not counted). */
async function shapeOf(client: Client, workflowId: string): Promise<Shape> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const types = events.flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name ? [e.activityTaskScheduledEventAttributes.activityType.name] : []));
  const beforeGate = types.filter((t) => !t.startsWith('slack.'));
  return {
    events: events.length,
    workflowTasks: events.filter((e) => e.workflowTaskCompletedEventAttributes).length,
    activities: beforeGate.length,
    localActivities: events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length,
    activityTypes: types,
  };
}

/** --heap-snapshot: every thread of the worker, snapshotted, and its memory accounted for. */
async function workerHeap(ctx: BenchContext, name: string, label: string, withSnapshots: boolean): Promise<WorkerHeap | undefined> {
  return ctx.heapSnapshotDir ? takeWorkerHeap(ctx.heapSnapshotDir, name, label, ctx.log, withSnapshots) : undefined;
}

function rss(ctx: BenchContext): { worker: number; api: number } {
  const pids = engineProcesses(ctx.engine);
  if (!pids.worker || !pids.api) throw new Error(`could not find the engine's worker and API processes in /proc (found ${JSON.stringify(pids)})`);
  return { worker: rssMiB(pids.worker), api: rssMiB(pids.api) };
}

/** Starts `count` raw workflows, CONNECTIONS at a time, and waits for all: seconds from the first start to the last end. */
async function rawRate(client: Client, taskQueue: string, count: number, shape: Shape, runId: string): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const results: Promise<unknown>[] = [];
  const starter = async () => {
    while (next < count) {
      const i = next++;
      const handle = await client.workflow.start('rawPlaybook', { taskQueue, workflowId: `raw-${runId}-${i}`, args: [shape.activities, shape.localActivities] });
      results.push(handle.result());
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, starter));
  await Promise.all(results);
  return (performance.now() - t0) / 1000;
}

export const burstSection: Section = {
  name: 'burst',
  title: 'A burst of distinct host-compromise alerts, each to its gate, against the raw rate',
  run: async (ctx) => {
    const count = ctx.quick ? 100 : 1_000;
    const prefix = `burst-${ctx.runId}`;
    const atRest = rss(ctx);
    const heapAtRest = await workerHeap(ctx, 'rest', 'at rest', false);
    ctx.log(`At rest: worker ${atRest.worker} MiB, API ${atRest.api} MiB. Posting ${count} alerts on ${count} hosts (${CONNECTIONS} connections, load generator in its own process)...`);
    const burstStart = await markPhase(ctx.engine.temporalMetricsUrl);
    const t0 = performance.now();
    const load = await runLoad({ url: `${ctx.engine.apiUrl}/webhooks/generic`, secret: ctx.engine.secret('PALISADE_WEBHOOK_SECRET_GENERIC'), connections: CONNECTIONS, amount: count, entities: 'distinct', prefix });
    const postedSeconds = (performance.now() - t0) / 1000;
    ctx.log(`Posted in ${round(postedSeconds)} s (${load.non2xx} non-2xx, ${load.errors} errors); waiting for every incident at its gate...`);
    let shown = 0;
    const progress: { seconds: number; gated: number }[] = [];
    const pipeline = new PipelineWatch(ctx, prefix, t0);
    await until(
      () => `${count} incidents at their isolate-host gate`,
      async () => {
        const n = await gatedIncidents(ctx.db, prefix);
        await pipeline.sample(n);
        if (n >= shown + count / 10) {
          shown = n;
          progress.push({ seconds: round((performance.now() - t0) / 1000), gated: n });
          ctx.log(`  ${n} of ${count} at their gate after ${round((performance.now() - t0) / 1000)} s${pipeline.latest()}`);
        }
        return n >= count ? true : undefined;
      },
      Math.max(600_000, count * 1_500),
      500,
    );
    const seconds = (performance.now() - t0) / 1000;
    const rate = count / seconds;
    const burstProfile = profileBetween(burstStart, await markPhase(ctx.engine.temporalMetricsUrl), count);
    for (const line of describeProfile('The burst', burstProfile, 'incident')) ctx.log(line);

    const connection = await Connection.connect({ address: ctx.engine.temporalAddress });
    const client = new Client({ connection });
    try {
      const { rows } = await ctx.db.query<{ workflow_id: string }>(`SELECT workflow_id FROM incidents WHERE entity LIKE $1 ORDER BY detected_at LIMIT ${SAMPLE}`, [`host:${prefix}-%`]);
      const shapes = await Promise.all(rows.map((r) => shapeOf(client, r.workflow_id)));
      const shape = shapes[0];
      ctx.log(`A run to its gate: ${shape.events} events, ${shape.workflowTasks} workflow tasks, ${shape.activities} activities, ${shape.localActivities} local activities (${shape.activityTypes.join(' ')}).`);
      const gatedRss = rss(ctx);
      ctx.log(`With ${count} at their gate: worker ${gatedRss.worker} MiB, API ${gatedRss.api} MiB.`);
      const heapGated = await workerHeap(ctx, 'gated', `${count} incidents at their gate`, true);
      ctx.log(`Raw rate: ${count} workflows of ${shape.activities} no-op activities and ${shape.localActivities} local ones...`);
      const taskQueue = `bench-raw-${ctx.runId}`;
      const raw = await startRawWorker(ctx.engine.temporalAddress, taskQueue, ctx.engine.backgroundNice);
      let rawSeconds: number;
      let rawProfile: PhaseProfile;
      try {
        const rawStart = await markPhase(ctx.engine.temporalMetricsUrl);
        rawSeconds = await rawRate(client, taskQueue, count, shape, ctx.runId);
        rawProfile = profileBetween(rawStart, await markPhase(ctx.engine.temporalMetricsUrl), count);
      } finally {
        await raw.stop();
      }
      const rawPerSec = count / rawSeconds;
      const ratio = Math.round((rate / rawPerSec) * 100) / 100;
      ctx.log(`Raw: ${round(rawSeconds)} s, ${round(rawPerSec)}/s; Palisade ${round(rate)}/s: ratio ${ratio}.`);
      for (const line of describeProfile('The raw workflows', rawProfile, 'workflow')) ctx.log(line);
      const temporalMs = (p: PhaseProfile) => Math.round(((p.cpuSeconds['Temporal server'] ?? 0) * 1000) / count);
      const n = count.toLocaleString('en');
      return {
        figures: [
          { figure: `${n} distinct host-compromise alerts → all at their gate`, value: round(seconds), unit: ' s', goal: `≤ ${GOAL_SECONDS} s`, met: seconds <= GOAL_SECONDS },
          { figure: 'the same: incidents/s', value: round(rate), unit: '/s', goal: '' },
          { figure: `raw Temporal rate, ${shape.activities} activities + ${shape.localActivities} local (own worker process)`, value: round(rawPerSec), unit: '/s', goal: '' },
          { figure: 'burst / raw', value: ratio, goal: `≥ ${GOAL_RATIO}`, met: ratio >= GOAL_RATIO },
          { figure: `cores busy: burst / raw (of ${cpus().length})`, value: burstProfile.busyCores, unit: ` / ${rawProfile.busyCores}`, goal: '' },
          { figure: 'Temporal server CPU per workflow: burst / raw', value: temporalMs(burstProfile), unit: ` / ${temporalMs(rawProfile)} ms`, goal: '' },
          { figure: 'a run to its gate: workflow tasks / activities / local', value: shape.workflowTasks, unit: ` / ${shape.activities} / ${shape.localActivities}`, goal: '' },
          { figure: 'worker RSS at rest', value: atRest.worker, unit: ' MiB', goal: '' },
          { figure: 'API RSS at rest', value: atRest.api, unit: ' MiB', goal: '' },
          { figure: `worker RSS, ${n} incidents at a gate`, value: gatedRss.worker, unit: ' MiB', goal: '≤ 300 MB', met: gatedRss.worker <= WORKER_GOAL_MIB },
          { figure: `API RSS, ${n} incidents at a gate`, value: gatedRss.api, unit: ' MiB', goal: '' },
        ],
        details: { count, connections: CONNECTIONS, load, postedSeconds: round(postedSeconds), seconds: round(seconds), progress, pipeline: pipeline.samples, stalls: pipeline.stalls, shapes, rawSeconds: round(rawSeconds), profile: { burst: burstProfile, raw: rawProfile }, rss: { atRest, gated: gatedRss }, heap: heapAtRest && heapGated ? { atRest: heapAtRest, gated: heapGated } : undefined },
      };
    } finally {
      await connection.close();
    }
  },
};
