import 'reflect-metadata';
import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import autocannon from 'autocannon';
import { freePort } from '../../apps/cli/start/ports';
import type { BenchEngine } from '../support/engine';
import { signGeneric, type SignedRequest } from '../support/webhooks';
import type { Figure, Section } from './figure';

// Webhook ingest throughput and latency: autocannon against POST /webhooks/generic, every
// request uniquely signed, beside a bare NestJS handler that only answers 202 in the same run
// (the machine's ceiling). Distinct alerts open one incident each; a storm hits one entity.

export const INGEST_GOAL = { alertsPerSec: 2_000, p99Ms: 50, ratio: 0.3 };

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

export interface IngestRun {
  name: string;
  requestsPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

export interface IngestOptions {
  durationSeconds: number;
  connections: number;
  runId: string;
}

async function drive(name: string, url: string, opts: IngestOptions, next: () => SignedRequest): Promise<IngestRun> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: opts.connections,
    duration: opts.durationSeconds,
    requests: [
      {
        setupRequest: (req) => {
          const signed = next();
          return { ...req, body: signed.body, headers: { ...req.headers, ...signed.headers } };
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

/** Host-compromise alerts, numbered, on the entity `entity(i)`. */
function alerts(secret: string, entity: (i: number) => string): () => SignedRequest {
  let n = 0;
  return () => {
    const i = n++;
    return signGeneric(secret, { title: `bench alert ${i}`, severity: 'high', category: 'host-compromise', id: `bench-${i}`, entity: { kind: 'host', key: entity(i) } });
  };
}

/** Bare NestJS 202, distinct alerts, storm: in that order, one after the other. */
export async function measureIngest(engine: BenchEngine, opts: IngestOptions): Promise<IngestRun[]> {
  const bare = await NestFactory.create(BareModule, { logger: false });
  const barePort = await freePort();
  await bare.listen(barePort, '127.0.0.1');
  try {
    const secret = engine.secret('PALISADE_WEBHOOK_SECRET_GENERIC');
    return [
      await drive('bare NestJS 202', `http://127.0.0.1:${barePort}/webhooks/generic`, opts, alerts(secret, (i) => `bare-${i}`)),
      await drive('distinct alerts', `${engine.apiUrl}/webhooks/generic`, opts, alerts(secret, (i) => `host-${opts.runId}-${i}`)),
      await drive('storm (one entity)', `${engine.apiUrl}/webhooks/generic`, opts, alerts(secret, () => `storm-${opts.runId}`)),
    ];
  } finally {
    await bare.close();
  }
}

/** The table's lines: each run's throughput and latency, and its ratio to the bare handler. */
export function ingestFigures(runs: IngestRun[]): Figure[] {
  const [bare, distinct, storm] = runs;
  const ratio = (r: IngestRun) => Math.round((r.requestsPerSec / bare.requestsPerSec) * 100) / 100;
  const { alertsPerSec, p99Ms, ratio: minRatio } = INGEST_GOAL;
  return [
    { figure: 'ingest: bare NestJS 202 alerts/s', value: bare.requestsPerSec, unit: '/s', goal: '' },
    { figure: 'ingest: bare NestJS 202 latency', p50: bare.p50, p99: bare.p99, goal: '' },
    { figure: 'ingest: distinct alerts/s', value: distinct.requestsPerSec, unit: '/s', goal: `≥ ${alertsPerSec.toLocaleString('en')}/s`, met: distinct.requestsPerSec >= alertsPerSec },
    { figure: 'ingest: distinct alerts latency', p50: distinct.p50, p99: distinct.p99, goal: `p99 < ${p99Ms} ms`, met: distinct.p99 < p99Ms },
    { figure: 'ingest: distinct / bare', value: ratio(distinct), goal: `≥ ${minRatio}`, met: ratio(distinct) >= minRatio },
    { figure: 'ingest: storm alerts/s', value: storm.requestsPerSec, unit: '/s', goal: `≥ ${alertsPerSec.toLocaleString('en')}/s`, met: storm.requestsPerSec >= alertsPerSec },
    { figure: 'ingest: storm latency', p50: storm.p50, p99: storm.p99, goal: `p99 < ${p99Ms} ms`, met: storm.p99 < p99Ms },
    { figure: 'ingest: storm / bare', value: ratio(storm), goal: `≥ ${minRatio}`, met: ratio(storm) >= minRatio },
  ];
}

export const ingestSection: Section = {
  name: 'ingest',
  title: 'Webhook ingest',
  run: async (ctx) => {
    const opts = { durationSeconds: ctx.quick ? 3 : 10, connections: 50, runId: ctx.runId };
    ctx.log(`autocannon, ${opts.connections} connections, ${opts.durationSeconds} s each: bare NestJS 202, distinct alerts, storm...`);
    const runs = await measureIngest(ctx.engine, opts);
    return { figures: ingestFigures(runs), details: { ...opts, runs } };
  },
};
