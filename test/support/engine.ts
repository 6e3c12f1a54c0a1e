import type { INestApplication } from '@nestjs/common';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import type { AddressInfo, Server } from 'node:net';
import type { DataSource } from 'typeorm';
import { inject } from 'vitest';
import { createApiApp } from '../../apps/api/app';
import { becomeCurrent } from '../../apps/worker/versioning';
import { createWorker } from '../../apps/worker/worker';
import { loadConfig, webhookSecretVariable, type PalisadeConfig } from '../../lib/config/env';
import { SOURCES, type SourceName } from '../../lib/intake/alert';
import { createDataSource } from '../../lib/db/data-source';
import type { Tracing } from '../../lib/telemetry/tracing';
import { createDatabase } from '../setup/postgres';

export interface TestEngine {
  baseUrl: string;
  /** The engine's own database (a copy of the run's migrated template), unless one was given. */
  databaseUrl: string;
  worker: Worker | undefined;
  taskQueue: string;
  /** The engine's configuration (its task queue, its worker deployment). */
  config: PalisadeConfig;
  db: DataSource;
  /** The API's Nest application, for tests that watch what a route reaches (its DataSource, its Temporal client). */
  app: INestApplication;
  close: () => Promise<void>;
}

export const TEST_REDACTION_KEY = 'test-redaction-key-0123456789abcdef';

/** Every test engine seeds this admin token (PALISADE_BOOTSTRAP_TOKEN); the JSON helpers below send it by default. */
export const TEST_ADMIN_TOKEN = 'pal_test-admin-token-0123456789abcdef';

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
  opts: { withWorker?: boolean; temporalAddress?: string; databaseUrl?: string; env?: NodeJS.ProcessEnv; apiLogs?: boolean; tracing?: Tracing } = {},
): Promise<TestEngine> {
  const taskQueue = `test-${randomUUID()}`;
  const temporalAddress = opts.temporalAddress ?? inject('temporalAddress');
  const own = opts.databaseUrl ? undefined : await createDatabase(inject('postgresAdminUrl'), `palisade_engine_${randomUUID().replaceAll('-', '')}`, inject('templateDatabase'));
  const databaseUrl = opts.databaseUrl ?? own!.url;
  const config = loadConfig({
    TEMPORAL_ADDRESS: temporalAddress,
    DATABASE_URL: databaseUrl,
    PALISADE_TASK_QUEUE: taskQueue,
    // A deployment of its own too: its version becomes current without touching another engine's.
    PALISADE_DEPLOYMENT_NAME: taskQueue,
    PALISADE_REDACTION_KEY: TEST_REDACTION_KEY,
    PALISADE_BOOTSTRAP_TOKEN: TEST_ADMIN_TOKEN,
    // No SLA sweeps unless a test asks: seeded incidents dated in the past would all breach.
    PALISADE_SLA_CHECK_MS: '0',
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
    worker = await createWorker({ connection, config, db, env: opts.env, workflowBundle: { codePath: inject('workflowBundlePath') }, tracing: opts.tracing });
    workerRun = worker.run();
    // As `npm start` does: new runs go to this worker's version (the first one of its deployment).
    const version = worker.options.workerDeploymentOptions?.version;
    if (version) await becomeCurrent(connection, config.temporal.namespace, version, config.temporal.becomeCurrent);
  }

  const app: INestApplication = await createApiApp(config, opts.apiLogs ? ['log', 'error', 'warn', 'debug', 'verbose'] : false, opts.env);
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    databaseUrl,
    worker,
    taskQueue,
    config,
    db,
    app,
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

export type Token = string | null;

const auth = (token: Token): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/** GET as `token` (the test admin by default; null sends none). */
export async function getJson(url: string, token: Token = TEST_ADMIN_TOKEN): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers: auth(token) });
  return { status: res.status, body: await res.json() };
}

/** POST JSON as `token` (the test admin by default; null sends none). */
export async function postJson(url: string, body: unknown, token: Token = TEST_ADMIN_TOKEN): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth(token) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** PATCH JSON as `token` (the test admin by default; null sends none). */
export async function patchJson(url: string, body: unknown, token: Token = TEST_ADMIN_TOKEN): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'PATCH', headers: { 'content-type': 'application/json', ...auth(token) }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** DELETE as `token` (the test admin by default). */
export async function deleteJson(url: string, token: Token = TEST_ADMIN_TOKEN): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'DELETE', headers: auth(token) });
  return { status: res.status, body: await res.json() };
}

const tokens = new Map<string, string>();

/** An API token for `name` with `role`, made once per engine through POST /tokens as the test admin. */
export async function tokenFor(baseUrl: string, name: string, role: 'viewer' | 'responder' | 'approver' | 'admin' = 'approver'): Promise<string> {
  const key = `${baseUrl} ${name} ${role}`;
  const known = tokens.get(key);
  if (known) return known;
  const res = await postJson(`${baseUrl}/tokens`, { name, role });
  if (res.status !== 201) throw new Error(`could not create a token for ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  tokens.set(key, res.body.token as string);
  return res.body.token as string;
}

/** Waits until GET /incidents/:id/approvals shows the gate open (its playbook asked for it). */
export async function gateOpenOverApi(baseUrl: string, incidentId: string, gateId: string, timeoutMs = 30_000): Promise<void> {
  await eventually(
    `the ${gateId} gate to open`,
    async () => {
      const res = await getJson(`${baseUrl}/incidents/${incidentId}/approvals`);
      return res.status === 200 && res.body.gates.some((g: { id: string; status: string }) => g.id === gateId && g.status === 'open') ? true : undefined;
    },
    timeoutMs,
  );
}
