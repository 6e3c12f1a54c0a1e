// Webhook ingest throughput and latency against the engine `npm start` runs, beside a bare
// Node server and a bare NestJS one (on Express, and on Fastify as the API) that only answer 202, each in its own process, loaded by
// autocannon in a process of its own, in the same run. Not part of `npm test`.
// The measurement itself is bench/figures/ingest.ts (npm run bench runs it too).
//
//   npm run bench:ingest [-- --duration 10 --connections 50]
//   DATABASE_URL=postgres://... npm run bench:ingest   (an external Postgres instead of PGlite)
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { measureIngest } from './figures/ingest';
import { startBenchEngine } from './support/engine';
import { writeResults } from './support/results';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' } } });
const DURATION = Number(values.duration);
const CONNECTIONS = Number(values.connections);

async function main(): Promise<void> {
  console.log('Starting the engine (npm start on embedded defaults unless DATABASE_URL is set)...');
  const engine = await startBenchEngine();
  try {
    const figures = await measureIngest(engine, { durationSeconds: DURATION, connections: CONNECTIONS, runId: randomUUID().slice(0, 8) });
    const baseline = figures[0].requestsPerSec; // the bare Node server
    console.log(`\nWebhook ingest, ${CONNECTIONS} connections, ${DURATION} s each (${process.env.DATABASE_URL ? 'external Postgres' : 'embedded PGlite'}):`);
    console.table(
      figures.map((f) => ({
        run: f.name,
        server: f.server,
        'alerts/s': f.requestsPerSec,
        'p50 ms': f.p50,
        'p99 ms': f.p99,
        'ratio to bare Node': (f.requestsPerSec / baseline).toFixed(2),
        'non-2xx': f.non2xx,
        errors: f.errors,
      })),
    );
    const out = writeResults('ingest', { at: new Date().toISOString(), connections: CONNECTIONS, durationSeconds: DURATION, postgres: process.env.DATABASE_URL ? 'external' : 'pglite', figures });
    console.log(`Written to ${out}`);
  } finally {
    await engine.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
