// Where the door's CPU goes (issue 22): starts the engine as `npm start` does, samples the
// API process's CPU (through its inspector, bench/support/cpu-profile.ts) while autocannon in
// its own process (bench/processes/load.ts) posts distinct alerts, then a storm on one host, at
// saturation; writes each profile (open it in Chrome DevTools or speedscope) and prints the
// top functions by self and inclusive time. With files, only summarizes them.
//
// With --paused, Temporal's dev server is stopped (SIGSTOP) for the loads, so the worker idles
// and the door has the cores to itself (as the ingest figure's paused runs); --rate offers a
// fixed load (alerts/s) instead of saturation.
//
// With --burst <n>, it samples the worker instead, every thread of it (its main thread runs the
// activities, a worker thread the workflows), while n distinct host-compromise alerts go to
// their gate as in `npm run bench`'s burst section, and prints the worker's CPU by thread from
// /proc (main, workflow threads, Temporal's Rust core, V8's and libuv's helpers) with each
// profiled thread's top functions: where the worker's CPU per run goes.
//
//   npm run bench:cpu-top [-- --seconds 10] [-- --top 30] [-- --paused] [-- --rate 1000]
//   npm run bench:cpu-top -- --burst 1000
//   npm run bench:cpu-top -- <file.cpuprofile>...
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { gatedIncidents } from './figures/burst';
import { attachProfiler, attachThreadProfilers, cpuBetween, endedChildrenTicks, formatCpuSummary, processCpuTicks, summarizeCpuProfile, threadCpuTicks, type CpuProfile } from './support/cpu-profile';
import { engineProcesses, pausePlaybooks, startBenchEngine } from './support/engine';
import { runLoad } from './support/processes';
import { round, until } from './support/stats';

const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '25' }, seconds: { type: 'string', default: '10' }, paused: { type: 'boolean', default: false }, rate: { type: 'string' }, burst: { type: 'string' } }, allowPositionals: true });
const top = Number(values.top);

async function main(): Promise<void> {
  if (positionals.length > 0) {
    for (const file of positionals) console.log(formatCpuSummary(file, summarizeCpuProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile), top).join('\n'));
    return;
  }
  const runId = randomUUID().slice(0, 8);
  const dir = path.resolve(__dirname, 'results', `cpu-${runId}`);
  mkdirSync(dir, { recursive: true });
  console.log('Starting the engine (npm start on embedded defaults)...');
  const engine = await startBenchEngine();
  let resume: (() => void) | undefined;
  try {
    if (values.burst) return await burst(engine, Number(values.burst), dir, runId);
    const { api } = engineProcesses(engine);
    if (!api) throw new Error('the API process was not found');
    const profiler = await attachProfiler(api);
    const url = `${engine.apiUrl}/webhooks/generic`;
    const secret = engine.secret('PALISADE_WEBHOOK_SECRET_GENERIC');
    if (values.paused) {
      resume = await pausePlaybooks(engine);
      if (!resume) throw new Error("--paused: the engine's Temporal dev server was not found");
    }
    for (const [name, entities] of [['distinct', 'distinct'], ['storm', 'one']] as const) {
      await profiler.start();
      const before = processCpuTicks();
      const loadBefore = endedChildrenTicks();
      const t0 = performance.now();
      const result = await runLoad({ url, secret, connections: 50, durationSeconds: Number(values.seconds), ...(values.rate ? { rate: Number(values.rate) } : {}), entities, prefix: `cpu-${name}-${runId}` });
      const seconds = (performance.now() - t0) / 1000;
      const busy = cpuBetween(before, processCpuTicks(), seconds);
      busy.push({ pid: 0, name: 'load generator (bench/processes/load.ts)', corePct: Math.round((endedChildrenTicks() - loadBefore) / seconds) });
      busy.sort((x, y) => y.corePct - x.corePct);
      const profile = await profiler.stop();
      const file = path.join(dir, `api-${name}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      console.log(`\n${name}: ${result.requestsPerSec}/s, p50 ${result.p50} / p99 ${result.p99} ms, ${result.non2xx + result.errors} errors`);
      console.log(`  CPU during the load, % of one core: ${busy.slice(0, 9).map((p) => `${p.name} (${p.pid}) ${p.corePct}`).join(', ')}`);
      console.log(formatCpuSummary(path.relative(process.cwd(), file), summarizeCpuProfile(profile), top).join('\n'));
    }
    profiler.close();
  } finally {
    resume?.();
    await engine.stop();
  }
}

/** What an unprofiled thread of the worker is, by its name (`comm`). */
function threadGroup(name: string): string {
  if (/^(tokio|workflow-proces|temporal-)/.test(name)) return 'Temporal core (its Rust threads)';
  if (name.startsWith('v8:Prof')) return "V8's profiler (this measurement's own cost)";
  return "V8's GC and compiler helpers, libuv's pool";
}

/** The worker's CPU by thread while `count` host-compromise alerts go to their gate. */
async function burst(engine: Awaited<ReturnType<typeof startBenchEngine>>, count: number, dir: string, runId: string): Promise<void> {
  if (!(count > 0)) throw new Error(`--burst needs a number of alerts above 0, not ${values.burst}`);
  const { worker } = engineProcesses(engine);
  if (!worker) throw new Error('the worker process was not found');
  const db = new Client({ connectionString: engine.databaseUrl });
  await db.connect();
  const profilers = await attachThreadProfilers(worker);
  try {
    const prefix = `cpu-burst-${runId}`;
    await profilers.start();
    const before = threadCpuTicks(worker);
    const t0 = performance.now();
    const load = await runLoad({ url: `${engine.apiUrl}/webhooks/generic`, secret: engine.secret('PALISADE_WEBHOOK_SECRET_GENERIC'), connections: 10, amount: count, entities: 'distinct', prefix });
    console.log(`Posted ${count} alerts (${load.non2xx + load.errors} errors); waiting for each at its gate...`);
    await until(() => `${count} incidents at their gate`, async () => ((await gatedIncidents(db, prefix)) >= count ? true : undefined), Math.max(600_000, count * 1_500), 500);
    const seconds = (performance.now() - t0) / 1000;
    const after = threadCpuTicks(worker);
    const threads = await profilers.stop();
    const tidOf = new Map(threads.map((t) => [t.tid, t.thread]));
    const groups = new Map<string, number>();
    for (const [tid, a] of after) {
      const ticks = a.ticks - (before.get(tid)?.ticks ?? 0);
      const group = tidOf.get(tid) ?? threadGroup(a.name);
      groups.set(group, (groups.get(group) ?? 0) + ticks);
    }
    const total = [...groups.values()].reduce((a, b) => a + b, 0);
    console.log(`\n${count} incidents at their gate in ${round(seconds)} s; the worker used ${round(total / 100)} CPU seconds, ${Math.round((total * 10) / count)} ms a run:`);
    for (const [group, ticks] of [...groups].sort((a, b) => b[1] - a[1])) console.log(`  ${String(round(ticks / 100)).padStart(6)} s  ${String(Math.round((ticks * 10) / count)).padStart(4)} ms/run  ${group}`);
    for (const t of threads) {
      const file = path.join(dir, `worker-${t.thread.replace(/\W+/g, '-')}.cpuprofile`);
      writeFileSync(file, JSON.stringify(t.profile));
      console.log(formatCpuSummary(`\n${t.thread} (${path.relative(process.cwd(), file)})`, summarizeCpuProfile(t.profile), top).join('\n'));
    }
  } finally {
    profilers.close();
    await db.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
