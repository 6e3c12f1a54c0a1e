import type { INestApplication } from '@nestjs/common';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import type { AddressInfo, Server } from 'node:net';
import type { DataSource } from 'typeorm';
import { inject } from 'vitest';
import { createApiApp } from '../../apps/api/app';
import { createWorker } from '../../apps/worker/worker';
import { loadConfig } from '../../lib/config/env';
import { createDataSource } from '../../lib/db/data-source';

export interface TestEngine {
  baseUrl: string;
  taskQueue: string;
  db: DataSource;
  close: () => Promise<void>;
}

/**
 * The API and a worker in this process, against the run's real Temporal and Postgres, on a
 * task queue of its own so test files never pick up each other's workflows.
 */
export async function startTestEngine(opts: { withWorker?: boolean } = {}): Promise<TestEngine> {
  const taskQueue = `test-${randomUUID()}`;
  const config = loadConfig({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    DATABASE_URL: inject('databaseUrl'),
    PALISADE_TASK_QUEUE: taskQueue,
  });
  const db = createDataSource({ url: inject('databaseUrl'), poolSize: 4 });
  await db.initialize();

  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  let connection: NativeConnection | undefined;
  if (opts.withWorker !== false) {
    connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    worker = await createWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue,
      db,
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    workerRun = worker.run();
  }

  const app: INestApplication = await createApiApp(config, false);
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    taskQueue,
    db,
    close: async () => {
      await app.close();
      worker?.shutdown();
      await workerRun;
      await connection?.close();
      await db.destroy();
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
