// Webhook ingest throughput and latency against the engine `npm start` runs, beside a bare
// NestJS handler that only answers 202, measured in the same run. Not part of `npm test`.
//
//   npm run bench:ingest [-- --duration 10 --connections 50]
//   DATABASE_URL=postgres://... npm run bench:ingest   (an external Postgres instead of PGlite)
import 'reflect-metadata';
import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import autocannon from 'autocannon';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../apps/cli/start/ports';
import { startBenchEngine } from './support/engine';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' } } });
const DURATION = Number(values.duration);
const CONNECTIONS = Number(values.connections);

@Controller('webhooks')
class BareController {
  @Post(':source')
  @HttpCode(202)
  accept() {
    return { accepted: true };
  }
}
@Module({ controllers: [BareController] })
class BareModule {}

interface Figures {
  name: string;
  requestsPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function run(name: string, url: string, body: () => { body: string; headers: Record<string, string> }): Promise<Figures> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: DURATION,
    requests: [
      {
        setupRequest: (req) => {
          const next = body();
          return { ...req, body: next.body, headers: { ...req.headers, ...next.headers } };
        },
      },
    ],
  });
  return {
    name,
    requestsPerSec: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

function signer(secret: string) {
  let n = 0;
  return (entity: (i: number) => string) => () => {
    const i = n++;
    const body = JSON.stringify({ title: `bench alert ${i}`, severity: 'high', category: 'host-compromise', id: `bench-${i}`, entity: { kind: 'host', key: entity(i) } });
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
    return { body, headers: { 'content-type': 'application/json', 'x-palisade-timestamp': ts, 'x-palisade-signature': `v1=${sig}` } };
  };
}

async function main(): Promise<void> {
  const bare = await NestFactory.create(BareModule, { logger: false });
  const barePort = await freePort();
  await bare.listen(barePort, '127.0.0.1');
  console.log('Starting the engine (npm start on embedded defaults unless DATABASE_URL is set)...');
  const engine = await startBenchEngine();
  const run_id = randomUUID().slice(0, 8);
  try {
    const sign = signer(engine.secret('PALISADE_WEBHOOK_SECRET_GENERIC'));
    const figures: Figures[] = [];
    figures.push(await run('bare NestJS 202', `http://127.0.0.1:${barePort}/webhooks/generic`, sign((i) => `bare-${i}`)));
    figures.push(await run('distinct alerts', `${engine.apiUrl}/webhooks/generic`, sign((i) => `host-${run_id}-${i}`)));
    figures.push(await run('storm (one entity)', `${engine.apiUrl}/webhooks/generic`, sign(() => `storm-${run_id}`)));

    const baseline = figures[0].requestsPerSec;
    console.log(`\nWebhook ingest, ${CONNECTIONS} connections, ${DURATION} s each (${process.env.DATABASE_URL ? 'external Postgres' : 'embedded PGlite'}):`);
    console.table(
      figures.map((f) => ({
        run: f.name,
        'alerts/s': f.requestsPerSec,
        'p50 ms': f.p50,
        'p99 ms': f.p99,
        'ratio to bare': (f.requestsPerSec / baseline).toFixed(2),
        'non-2xx': f.non2xx,
        errors: f.errors,
      })),
    );
    const out = path.join(__dirname, 'results', `ingest-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), connections: CONNECTIONS, durationSeconds: DURATION, postgres: process.env.DATABASE_URL ? 'external' : 'pglite', figures }, null, 2));
    console.log(`Written to ${path.relative(process.cwd(), out)}`);
  } finally {
    await engine.stop();
    await bare.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
