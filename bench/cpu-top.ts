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
//   npm run bench:cpu-top [-- --seconds 10] [-- --top 30] [-- --paused] [-- --rate 1000]
//   npm run bench:cpu-top -- <file.cpuprofile>...
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { attachProfiler, cpuBetween, endedChildrenTicks, formatCpuSummary, processCpuTicks, summarizeCpuProfile, type CpuProfile } from './support/cpu-profile';
import { engineProcesses, pausePlaybooks, startBenchEngine } from './support/engine';
import { runLoad } from './support/processes';

const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '25' }, seconds: { type: 'string', default: '10' }, paused: { type: 'boolean', default: false }, rate: { type: 'string' } }, allowPositionals: true });
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

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
