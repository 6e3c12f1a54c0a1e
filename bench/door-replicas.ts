// The door on one API process against two on the same Postgres (issue 22): does a second API
// process carry the door at 1,000 alerts/s where one misses p99 < 50 ms? The engine as
// `npm start` runs it, plus a second API (bench/support/engine.ts startApiReplica), beside the
// playbooks and then with them paused (Temporal's dev server stopped, as the ingest figure's
// paused runs). Each load generator is autocannon in a process of its own
// (bench/processes/load.ts); two APIs get half the load each, as a load balancer would spread
// it, a storm on one host from both. Real Postgres only (PGlite has one session for all).
// Not part of `npm test` or `npm run bench`.
//
//   DATABASE_URL=postgres://... npm run bench:door-replicas [-- --seconds 10]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { LoadResult, LoadSpec } from './processes/load';
import { pausePlaybooks, startApiReplica, startBenchEngine } from './support/engine';
import { runLoad } from './support/processes';
import { writeResults } from './support/results';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' } } });
const SECONDS = Number(values.seconds);
const RATE = 1_000;
const CONNECTIONS = 50;

interface Run {
  playbooks: 'beside' | 'paused';
  entities: 'distinct' | 'one';
  apis: 1 | 2;
  offered: number | 'saturation';
  requestsPerSec: number;
  /** The worst of the APIs' p50 and p99 (ms). */
  p50: number;
  p99: number;
  errors: number;
}

async function main(): Promise<void> {
  if (!process.env.DATABASE_URL) throw new Error('set DATABASE_URL to a Postgres database: on PGlite two APIs share its one session');
  console.log('Starting the engine (npm start on DATABASE_URL) and a second API...');
  const engine = await startBenchEngine();
  const second = await startApiReplica(engine).catch(async (err: unknown) => {
    await engine.stop();
    throw err;
  });
  const secret = engine.secret('PALISADE_WEBHOOK_SECRET_GENERIC');
  const urls = [engine.apiUrl, second.url].map((u) => `${u}/webhooks/generic`);
  const runId = randomUUID().slice(0, 8);
  const runs: Run[] = [];
  let resume: (() => void) | undefined;
  try {
    for (const playbooks of ['beside', 'paused'] as const) {
      if (playbooks === 'paused') {
        resume = await pausePlaybooks(engine);
        if (!resume) throw new Error("the engine's Temporal dev server was not found");
      }
      for (const entities of ['distinct', 'one'] as const) {
        for (const offered of [RATE, 'saturation'] as const) {
          for (const apis of [1, 2] as const) {
            const tag = `${playbooks}-${entities}-${offered}-${apis}-${runId}`;
            const spec = (url: string, part: number): LoadSpec => ({
              url,
              secret,
              connections: CONNECTIONS / apis,
              durationSeconds: SECONDS,
              ...(offered === 'saturation' ? {} : { rate: offered / apis }),
              entities,
              prefix: `replicas-${tag}-${part}`,
              host: `replicas-${tag}`,
            });
            const results: LoadResult[] = await Promise.all(urls.slice(0, apis).map((url, i) => runLoad(spec(url, i))));
            const run: Run = {
              playbooks,
              entities,
              apis,
              offered,
              requestsPerSec: results.reduce((sum, r) => sum + r.requestsPerSec, 0),
              p50: Math.max(...results.map((r) => r.p50)),
              p99: Math.max(...results.map((r) => r.p99)),
              errors: results.reduce((sum, r) => sum + r.non2xx + r.errors, 0),
            };
            runs.push(run);
            console.log(`${playbooks} playbooks, ${entities}, ${offered === 'saturation' ? 'saturation' : `${offered}/s offered`}, ${apis} API(s): ${run.requestsPerSec}/s, p50 ${run.p50} / p99 ${run.p99} ms, ${run.errors} errors`);
          }
        }
      }
    }
  } finally {
    resume?.();
    await second.stop();
    await engine.stop();
  }
  console.table(runs);
  const out = writeResults('door-replicas', { at: new Date().toISOString(), seconds: SECONDS, connections: CONNECTIONS, postgres: 'external', runs });
  console.log(`Written to ${out}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
