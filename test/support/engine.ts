import type { INestApplication } from '@nestjs/common';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import type { AddressInfo, Server } from 'node:net';
import type { DataSource } from 'typeorm';
import { inject } from 'vitest';
import { createApiApp } from '../../apps/api/app';
import { createWorker } from '../../apps/worker/worker';
import { loadConfig, webhookSecretVariable } from '../../lib/config/env';
import { SOURCES, type SourceName } from '../../lib/intake/alert';
import { createDataSource } from '../../lib/db/data-source';
import { createDatabase } from '../setup/postgres';

export interface TestEngine {
  baseUrl: string;
  /** The engine's own database (a copy of the run's migrated template), unless one was given. */
  databaseUrl: string;
  worker: Worker | undefined;
  taskQueue: string;
  db: DataSource;
  close: () => Promise<void>;
}

export const TEST_REDACTION_KEY = 'test-redaction-key-0123456789abcdef';

/** Routes every alert to triage: for tests of the door itself (playbooks have their own tests). */
export const TRIAGE_ROUTING = { PALISADE_ROUTING_FILE: 'test/fixtures/runbooks/routing-triage.yaml' };

/** The secret each source accepts in tests. */
export function testSecret(source: SourceName): string {
  return `test-secret-${source}`;
}

/**
 * The API and a worker in this process, against the run's real Temporal and Postgres: on a
 * task queue of its own and, unless one is given, a database of its own, so test files
 * running side by side never pick up each other's workflows, inbox rows or faults.
 */
export async function startTestEngine(
  opts: { withWorker?: boolean; temporalAddress?: string; databaseUrl?: string; env?: NodeJS.ProcessEnv; apiLogs?: boolean } = {},
): Promise<TestEngine> {
  const taskQueue = `test-${randomUUID()}`;
  const temporalAddress = opts.temporalAddress ?? inject('temporalAddress');
  const own = opts.databaseUrl ? undefined : await createDatabase(inject('postgresAdminUrl'), `palisade_engine_${randomUUID().replaceAll('-', '')}`, inject('templateDatabase'));
  const databaseUrl = opts.databaseUrl ?? own!.url;
  const config = loadConfig({
    TEMPORAL_ADDRESS: temporalAddress,
    DATABASE_URL: databaseUrl,
    PALISADE_TASK_QUEUE: taskQueue,
    PALISADE_REDACTION_KEY: TEST_REDACTION_KEY,
    ...Object.fromEntries(SOURCES.map((s) => [webhookSecretVariable(s), testSecret(s)])),
    ...opts.env,
  });
  const db = createDataSource({ url: databaseUrl, poolSize: 4 });
  await db.initialize();

  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  let connection: NativeConnection | undefined;
  if (opts.withWorker !== false) {
    connection = await NativeConnection.connect({ address: temporalAddress });
    worker = await createWorker({ connection, config, db, workflowBundle: { codePath: inject('workflowBundlePath') } });
    workerRun = worker.run();
  }

  const app: INestApplication = await createApiApp(config, opts.apiLogs ? ['log', 'error', 'warn', 'debug', 'verbose'] : false);
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    databaseUrl,
    worker,
    taskQueue,
    db,
    close: async () => {
      await app.close();
      worker?.shutdown();
      await workerRun;
      await connection?.close();
      await db.destroy();
      await own?.drop();
    },
  };
}

/** Polls `fn` until it returns a value, or fails after `timeoutMs` with `what`. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
