import { pausePlaybooks, type BenchEngine } from '../support/engine';
import { runLoad, startBareServer, type BareServerKind } from '../support/processes';
import type { LoadResult } from '../processes/load';
import type { Figure, Section } from './figure';

// Webhook ingest, every process on its own (issue 22): autocannon runs in a process of its
// own (bench/processes/load.ts, which also signs every request), against, one after the
// other, a bare Node server that parses the JSON and answers 202, a bare NestJS handler that
// answers 202 on Express and the same on Fastify, the API's adapter (each in its own
// process), and Palisade's door (the API `npm start` runs):
// distinct alerts (one incident each) and a storm on one host, at saturation and at a fixed
// offered load of 1,000 alerts/s. Then the door once more with the playbooks paused: Temporal's
// dev server stopped (SIGSTOP, continued after), so the worker gets no task and idles and the
// dispatcher waits; what the door does with the two cores to itself and PGlite, against what it
// does beside the playbooks it starts. (Not the worker itself: stopped inside a transaction, it
// would hold PGlite's one session, and every process with it.)

export const INGEST_GOAL = { ratioToNode: 0.1, fixedRate: 1_000, fixedP99Ms: 50 };

const PAUSED = 'playbooks paused';

/** The baselines, each a process of its own: the framework on both adapters shows what the adapter costs. */
const BARE: Record<BareServerKind, string> = {
  node: 'bare Node 202',
  nest: 'bare NestJS 202 on Express',
  'nest-fastify': 'bare NestJS 202 on Fastify',
};

export interface IngestRun extends LoadResult {
  name: string;
  /** Which process served, which one loaded it. */
  server: string;
  /** Run with the playbooks paused (Temporal's dev server stopped). */
  paused?: true;
  offered?: number;
}

export interface IngestOptions {
  durationSeconds: number;
  connections: number;
  runId: string;
}

/** The bare servers one after the other, then Palisade: distinct and storm at saturation, then both at the fixed rate. */
export async function measureIngest(engine: BenchEngine, opts: IngestOptions, log: (m: string) => void = () => undefined): Promise<IngestRun[]> {
  const secret = engine.secret('PALISADE_WEBHOOK_SECRET_GENERIC');
  const base = { secret, connections: opts.connections, durationSeconds: opts.durationSeconds };
  const runs: IngestRun[] = [];
  const run = async (name: string, server: string, url: string, spec: { entities: 'distinct' | 'one'; prefix: string; rate?: number }, paused?: true) => {
    const result = await runLoad({ ...base, url, ...spec });
    log(`${name}: ${result.requestsPerSec}/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ${result.non2xx} non-2xx, ${result.errors} errors`);
    runs.push({ name, server, ...(spec.rate ? { offered: spec.rate } : {}), ...(paused ? { paused } : {}), ...result });
  };
  for (const kind of Object.keys(BARE) as BareServerKind[]) {
    const bare = await startBareServer(kind);
    try {
      await run(BARE[kind], `bare-server.ts ${kind} (own process)`, bare.url, { entities: 'distinct', prefix: `bare-${kind}-${opts.runId}` });
    } finally {
      await bare.stop();
    }
  }
  const door = `${engine.apiUrl}/webhooks/generic`;
  await run('distinct alerts', 'Palisade API (npm start)', door, { entities: 'distinct', prefix: `ingest-${opts.runId}` });
  await run('storm (one entity)', 'Palisade API (npm start)', door, { entities: 'one', prefix: `storm-${opts.runId}` });
  await run('distinct alerts at 1,000/s', 'Palisade API (npm start)', door, { entities: 'distinct', prefix: `fixed-${opts.runId}`, rate: INGEST_GOAL.fixedRate });
  await run('storm at 1,000/s', 'Palisade API (npm start)', door, { entities: 'one', prefix: `fixed-storm-${opts.runId}`, rate: INGEST_GOAL.fixedRate });

  const resume = await pausePlaybooks(engine);
  if (!resume) {
    log("the engine's Temporal dev server was not found (an external TEMPORAL_ADDRESS?): no door-alone runs");
    return runs;
  }
  const alone = 'Palisade API, Temporal paused (worker idle)';
  try {
    await run(`distinct alerts, ${PAUSED}`, alone, door, { entities: 'distinct', prefix: `alone-${opts.runId}` }, true);
    await run(`storm (one entity), ${PAUSED}`, alone, door, { entities: 'one', prefix: `alone-storm-${opts.runId}` }, true);
    await run(`distinct alerts at 1,000/s, ${PAUSED}`, alone, door, { entities: 'distinct', prefix: `alone-fixed-${opts.runId}`, rate: INGEST_GOAL.fixedRate }, true);
    await run(`storm at 1,000/s, ${PAUSED}`, alone, door, { entities: 'one', prefix: `alone-fixed-storm-${opts.runId}`, rate: INGEST_GOAL.fixedRate }, true);
  } finally {
    resume();
  }
  return runs;
}

/** The table's lines: each run's throughput and latency; the door's ratios to bare Node and to bare NestJS on the door's adapter. */
export function ingestFigures(runs: IngestRun[]): Figure[] {
  const by = (name: string) => runs.find((r) => r.name === name)!;
  const node = by(BARE.node);
  const nest = by(BARE['nest-fastify']);
  const ratio = (r: IngestRun, to: IngestRun) => Math.round((r.requestsPerSec / to.requestsPerSec) * 1000) / 1000;
  const { ratioToNode, fixedP99Ms } = INGEST_GOAL;
  const figures: Figure[] = [];
  for (const r of [node, by(BARE.nest), nest]) {
    figures.push({ figure: `ingest: ${r.name} (own process)`, value: r.requestsPerSec, unit: `/s, p50 ${r.p50} / p99 ${r.p99} ms`, goal: '' });
  }
  for (const r of [by('distinct alerts'), by('storm (one entity)')]) {
    figures.push({ figure: `ingest: ${r.name}`, value: r.requestsPerSec, unit: `/s, p50 ${r.p50} / p99 ${r.p99} ms, ${r.non2xx + r.errors} errors`, goal: '' });
    figures.push({ figure: `ingest: ${r.name} / bare Node`, value: ratio(r, node), goal: `≥ ${ratioToNode}`, met: ratio(r, node) >= ratioToNode });
    figures.push({ figure: `ingest: ${r.name} / bare NestJS on Fastify`, value: ratio(r, nest), goal: '' });
  }
  for (const r of [by('distinct alerts at 1,000/s'), by('storm at 1,000/s')]) {
    const errors = r.non2xx + r.errors;
    figures.push({ figure: `ingest: ${r.name} offered (${r.requestsPerSec}/s served, ${errors} errors)`, p50: r.p50, p99: r.p99, goal: `p99 < ${fixedP99Ms} ms, 0 errors`, met: r.p99 < fixedP99Ms && errors === 0 });
  }
  // The door with the two cores to itself and PGlite: not the goal's condition, what it shows is where the rest goes.
  for (const r of runs.filter((x) => x.paused)) {
    const errors = r.non2xx + r.errors;
    figures.push(
      r.offered
        ? { figure: `ingest: ${r.name}, offered (${r.requestsPerSec}/s served, ${errors} errors)`, p50: r.p50, p99: r.p99, goal: '' }
        : { figure: `ingest: ${r.name} / bare Node (${r.requestsPerSec}/s, p99 ${r.p99} ms)`, value: ratio(r, node), goal: '' },
    );
  }
  return figures;
}

export const ingestSection: Section = {
  name: 'ingest',
  title: 'Webhook ingest (load generator and baselines each in their own process)',
  run: async (ctx) => {
    const opts = { durationSeconds: ctx.quick ? 3 : 10, connections: 50, runId: ctx.runId };
    ctx.log(`autocannon in its own process, ${opts.connections} connections, ${opts.durationSeconds} s each: bare Node 202, bare NestJS 202 on Express and on Fastify, distinct, storm, then both at 1,000/s; then the same four with the worker and Temporal paused...`);
    const runs = await measureIngest(ctx.engine, opts, ctx.log);
    return { figures: ingestFigures(runs), details: { ...opts, runs } };
  },
};
