import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { stringify } from 'yaml';
import type { PalisadeConfig } from '../../../lib/config/env';
import { runMigrations } from '../../../lib/db/data-source';
import { describeError, PalisadeError } from '../../../lib/errors';
import { SEARCH_ATTRIBUTE } from '../../../lib/temporal/names';
import { ManagedProcess, nodeEntry, type ManagedProcessOptions } from '../start/child-process';
import { lockDataDir } from '../start/data-dir-lock';
import { compiledBuild } from '../start/compiled-build';
import { ensureDevSecrets } from '../start/dev-secrets';
import { findOnPath } from '../start/go-install';
import { assertPortsFree, type PortClaim } from '../start/ports';
import { findPostgresBinaries, startPostgresCluster, type PostgresCluster } from '../start/postgres-cluster';
import { bundleWorkflowsInChild, checkOperatorFiles, Shutdown, waitUntilReady, type StartOptions } from '../start/supervisor';
import { serverPorts, TEMPORAL_SERVICES, writeServerConfig, type TemporalService } from './server-config';
import { resolveTemporalServer, TEMPORAL_SERVER_VERSION, type TemporalServerBuild } from './temporal-server';
import { workerEntry, workerProcessEnv } from '../start/worker-env';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const NAMESPACE = 'default';
/** How many APIs and workers the cluster runs: enough to show that replicas are equal. */
const REPLICAS = 2;
const FRONTEND_TIMEOUT_MS = 120_000;
/** Prometheus, when the machine has it (Debian's package), on its usual port. */
const PROMETHEUS_PORT = 9090;

/**
 * `npm run cluster`: the production topology on one machine. Temporal's real server (built
 * once into the cache) with PostgreSQL persistence and visibility, each of its four services
 * a process of its own; Palisade's migrations; two APIs and two workers against it. Ctrl-C
 * stops everything, apps first. The data (Postgres, logs) stays in <data>/cluster.
 */
export async function runCluster({ config, env, say }: StartOptions): Promise<void> {
  await checkOperatorFiles(config, say);
  const dir = path.join(config.dataDir, 'cluster');
  const logs = path.join(dir, 'logs');
  const ports = serverPorts(config.temporal.devServerPort);
  const apiPorts = Array.from({ length: REPLICAS }, (_, i) => config.port + i);
  const workerMetricsPorts = Array.from({ length: REPLICAS }, (_, i) => (config.temporal.workerMetricsPort || 9464) + i);
  await assertPortsFree([
    ...portClaims(config, ports.grpc, ports.membership, ports.metrics, ports.frontendHttp, apiPorts),
    ...workerMetricsPorts.map((port, i) => ({ port, what: `worker ${i + 1} metrics`, variable: 'PALISADE_WORKER_METRICS_PORT (worker 2 takes the next port)' })),
    { port: PROMETHEUS_PORT, what: 'Prometheus', variable: '(none: stop what listens there)' },
  ]);

  const build = await resolveTemporalServer({ cacheDir: config.cacheDir, env, say });
  const lock = lockDataDir(config.dataDir);
  const started: ManagedProcess[] = [];
  let postgres: PostgresCluster | undefined;
  const shutdown = new Shutdown(async (reason) => {
    say(`Stopping (${reason})...`);
    const t0 = Date.now();
    const apps = started.filter((p) => p.name.startsWith('api') || p.name.startsWith('worker-'));
    await Promise.all(apps.map((p) => p.stop(5_000)));
    await Promise.all(started.filter((p) => !apps.includes(p)).map((p) => p.stop(5_000)));
    try {
      postgres?.stop();
    } catch (err) {
      say(`Stopping Postgres failed: ${describeError(err)}`);
    }
    lock.release();
    say(`Stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
  });
  const onSignal = (signal: NodeJS.Signals) => void shutdown.request(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    say(`Starting PostgreSQL on port ${config.database.embeddedPort} (data in ${path.join(dir, 'postgres')})...`);
    postgres = startPostgresCluster({ bindir: findPostgresBinaries({ neededFor: 'npm run cluster' }), dir: path.join(dir, 'postgres'), port: config.database.embeddedPort, maxConnections: 300 });
    const palisadeUrl = await prepareDatabases(postgres, build, say);
    if (shutdown.requested) return await shutdown.done;

    const configDir = writeServerConfig(path.join(dir, 'temporal'), { postgresPort: postgres.port, ports, dynamicConfigFile: path.join(dir, 'temporal', 'dynamicconfig.yaml') });
    say(`Starting Temporal ${TEMPORAL_SERVER_VERSION}: ${TEMPORAL_SERVICES.join(', ')}, one process each...`);
    // The first process of a fresh cluster writes its metadata record; the others, started
    // together with it, would race it (duplicate key) and exit. So: frontend first, then the rest.
    const [first, ...rest] = TEMPORAL_SERVICES;
    for (const service of [first, ...rest]) {
      if (service !== first) await waitForPort(ports.grpc[first], FRONTEND_TIMEOUT_MS, () => shutdown.requested);
      started.push(new ManagedProcess(temporalServiceProcess(build, configDir, service, logs, config.backgroundNice)));
    }
    reportCrashes(started, say);
    const temporalAddress = `127.0.0.1:${ports.grpc.frontend}`;
    await prepareNamespace(temporalAddress, () => shutdown.requested);
    if (shutdown.requested) return await shutdown.done;

    const applied = await runMigrations(palisadeUrl);
    if (applied.length > 0) say(`Applied Palisade's migrations: ${applied.join(', ')}.`);
    const secrets = ensureDevSecrets(config.dataDir, env);
    const workflowBundle = path.join(dir, 'workflow-bundle.js');
    await bundleWorkflowsInChild(workflowBundle, path.join(logs, 'bundle.log'), started);
    if (shutdown.requested) return await shutdown.done;

    const childEnv: NodeJS.ProcessEnv = {
      ...secrets.values,
      ...env,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: NAMESPACE,
      DATABASE_URL: palisadeUrl,
      PALISADE_WORKFLOW_BUNDLE: workflowBundle,
    };
    // Compiled JavaScript, as npm start runs it: no TypeScript compiler in the replicas' memory.
    const compiled = await compiledBuild(REPO_ROOT, path.join(config.dataDir, 'build'));
    if (shutdown.requested) return await shutdown.done;
    const apps: ManagedProcess[] = [];
    for (let i = 0; i < REPLICAS; i++) {
      for (const name of ['worker', 'api'] as const) {
        const entry = (name === 'worker' ? workerEntry : nodeEntry)(path.join(compiled, 'apps', name, 'main.js'));
        apps.push(
          new ManagedProcess({
            name: `${name}-${i + 1}`,
            command: entry.command,
            args: entry.args,
            env: (name === 'worker' ? workerProcessEnv : (e: NodeJS.ProcessEnv) => e)({ ...childEnv, PORT: String(apiPorts[i]), PALISADE_WORKER_METRICS_PORT: String(workerMetricsPorts[i]) }),
            cwd: REPO_ROOT,
            logFile: path.join(logs, `${name}-${i + 1}.log`),
            nice: name === 'worker' ? config.backgroundNice : 0,
          }),
        );
      }
    }
    started.push(...apps);
    const prometheus = findOnPath('prometheus', `${env.PATH ?? ''}${path.delimiter}/usr/bin`);
    if (prometheus) {
      const configFile = writePrometheusConfig(path.join(dir, 'prometheus'), {
        api: apiPorts.map((p) => `127.0.0.1:${p}`),
        worker: workerMetricsPorts.map((p) => `127.0.0.1:${p}`),
        temporal: TEMPORAL_SERVICES.map((s) => `127.0.0.1:${ports.metrics[s]}`),
      });
      apps.push(
        new ManagedProcess({
          name: 'prometheus',
          command: prometheus,
          args: [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'prometheus', 'data')}`, `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`],
          logFile: path.join(logs, 'prometheus.log'),
          nice: config.backgroundNice,
        }),
      );
      started.push(apps.at(-1)!);
    }
    reportCrashes(apps, say);
    const apiUrls = apiPorts.map((p) => `http://${config.host}:${p}`);
    for (const url of apiUrls) await waitUntilReady(url, () => shutdown.requested);
    if (shutdown.requested) return await shutdown.done;

    say(
      [
        '',
        'The Palisade cluster is running.',
        ...apiUrls.map((url, i) => `  API ${i + 1}        ${url}   (log ${path.join(logs, `api-${i + 1}.log`)})`),
        `  Workers      ${REPLICAS}, on task queue ${config.temporal.taskQueue} (logs ${path.join(logs, 'worker-*.log')})`,
        `  Temporal     ${temporalAddress} (server ${TEMPORAL_SERVER_VERSION}; ${TEMPORAL_SERVICES.map((s) => `${s} :${ports.grpc[s]}`).join(', ')})`,
        `  Metrics      Temporal ${TEMPORAL_SERVICES.map((s) => `${s} http://127.0.0.1:${ports.metrics[s]}/metrics`).join(', ')}; APIs at <API>/metrics; workers ${workerMetricsPorts.map((p) => `http://127.0.0.1:${p}/metrics`).join(', ')}`,
        `  Prometheus   ${prometheus ? `http://127.0.0.1:${PROMETHEUS_PORT} (scrapes all of the above; alert rules deploy/prometheus/palisade-rules.yml; dashboard deploy/grafana/palisade-dashboard.json)` : 'not installed (Debian: apt-get install prometheus); the endpoints above still serve'}`,
        `  Postgres     postgres://postgres@127.0.0.1:${postgres.port}/ (databases temporal, temporal_visibility, palisade)`,
        `  Secrets      ${secrets.file} (the admin token is PALISADE_BOOTSTRAP_TOKEN)`,
        `  Stop         Ctrl-C, or kill ${process.pid}`,
        '',
      ].join('\n'),
    );
    await shutdown.done;
  } catch (err) {
    if (shutdown.requested) return await shutdown.done;
    await shutdown.request('start-up failed');
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** One service of Temporal's server as a process of its own, with the configuration writeServerConfig wrote. */
export function temporalServiceProcess(build: TemporalServerBuild, configDir: string, service: TemporalService, logs: string, nice?: number): ManagedProcessOptions {
  return {
    name: `temporal-${service}`,
    command: build.server,
    args: ['--root', path.dirname(configDir), '--config', 'config', '--env', 'cluster', '--zone', service, '--allow-no-auth', 'start', '--service', service],
    logFile: path.join(logs, `temporal-${service}.log`),
    nice,
  };
}

/** Temporal's two databases with their schemas brought up to this release, and Palisade's database. */
export async function prepareDatabases(postgres: PostgresCluster, build: TemporalServerBuild, say: (line: string) => void): Promise<string> {
  const admin = new Client({ connectionString: postgres.adminUrl });
  await admin.connect();
  try {
    const existing = new Set((await admin.query<{ datname: string }>(`SELECT datname FROM pg_database`)).rows.map((r) => r.datname));
    for (const db of ['temporal', 'temporal_visibility', 'palisade']) {
      if (!existing.has(db)) await admin.query(`CREATE DATABASE ${db}`);
    }
  } finally {
    await admin.end();
  }
  for (const [db, schema] of [['temporal', 'temporal'], ['temporal_visibility', 'visibility']] as const) {
    const tool = (...args: string[]) => {
      const res = spawnSync(build.sqlTool, ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(postgres.port), '-u', 'postgres', '--db', db, ...args], { encoding: 'utf8' });
      if (res.status !== 0) {
        throw new PalisadeError('temporal_schema_failed', `temporal-sql-tool ${args[0]} on ${db} failed: ${(res.stderr || res.stdout).trim().split('\n').slice(-5).join('\n')}`, 'Fix the cause above and start again; the data is in <data>/cluster/postgres.');
      }
    };
    const url = new URL(postgres.adminUrl);
    url.pathname = `/${db}`;
    const c = new Client({ connectionString: url.toString() });
    await c.connect();
    const fresh = (await c.query<{ t: string | null }>(`SELECT to_regclass('schema_version')::text AS t`)).rows[0].t === null;
    await c.end();
    if (fresh) tool('setup-schema', '-v', '0.0');
    tool('update-schema', '-d', path.join(build.schemaDir, schema, 'versioned'));
  }
  say('Temporal schemas (persistence and visibility) are up to date.');
  const url = new URL(postgres.adminUrl);
  url.pathname = '/palisade';
  return url.toString();
}

/** Waits for the frontend, then registers the namespace and Palisade's search attributes (both kept across restarts). */
export async function prepareNamespace(address: string, cancelled: () => boolean): Promise<void> {
  const deadline = Date.now() + FRONTEND_TIMEOUT_MS;
  let last = 'no answer yet';
  while (!cancelled()) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.registerNamespace({ namespace: NAMESPACE, workflowExecutionRetentionPeriod: msToTs('7d') }).catch(ignoreAlreadyExists);
        await connection.operatorService
          .addSearchAttributes({
            namespace: NAMESPACE,
            searchAttributes: Object.fromEntries(Object.values(SEARCH_ATTRIBUTE).map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!])),
          })
          .catch(ignoreAlreadyExists);
        // The frontend knows a new namespace only after its registry refreshes (seconds).
        await connection.workflowService.describeNamespace({ namespace: NAMESPACE });
        await connection.workflowService.listWorkflowExecutions({ namespace: NAMESPACE, pageSize: 1 });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      last = describeError(err);
    }
    if (Date.now() > deadline) {
      throw new PalisadeError('temporal_not_ready', `Temporal's frontend at ${address} did not become ready: ${last}`, 'The logs in <data>/cluster/logs/temporal-*.log say why.');
    }
    await sleep(1_000);
  }
}

/** Scrapes every process of the cluster every 5 s, with Palisade's alert rules. */
function writePrometheusConfig(dir: string, targets: { api: string[]; worker: string[]; temporal: string[] }): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'prometheus.yml');
  writeFileSync(
    file,
    stringify({
      global: { scrape_interval: '5s', evaluation_interval: '15s' },
      rule_files: [path.join(REPO_ROOT, 'deploy', 'prometheus', 'palisade-rules.yml')],
      scrape_configs: [
        { job_name: 'palisade-api', static_configs: [{ targets: targets.api }] },
        { job_name: 'palisade-worker', static_configs: [{ targets: targets.worker }] },
        { job_name: 'temporal', static_configs: [{ targets: targets.temporal }] },
      ],
    }),
  );
  return file;
}

/** Until something accepts TCP connections on the port (a service past its start-up). */
export async function waitForPort(port: number, timeoutMs: number, cancelled: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cancelled() && Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(250);
  }
}

function ignoreAlreadyExists(err: unknown): void {
  // gRPC ALREADY_EXISTS (6): registered by an earlier start.
  if ((err as { code?: number }).code === 6) return;
  throw err;
}

/** A replica that dies is reported; the others keep serving, as in production. */
function reportCrashes(processes: ManagedProcess[], say: (line: string) => void): void {
  for (const p of processes) {
    void p.exited.then(({ code, signal }) => {
      if (p.stopRequested) return;
      say(`The ${p.name} process exited (${signal ?? `code ${code}`}). Its last lines (${p.opts.logFile}):\n${p.logTail()}`);
    });
  }
}

function portClaims(
  config: PalisadeConfig,
  grpc: Record<string, number>,
  membership: Record<string, number>,
  metrics: Record<string, number>,
  http: number,
  apis: number[],
): PortClaim[] {
  const moved = 'PALISADE_TEMPORAL_PORT (the others follow it)';
  return [
    ...apis.map((port, i) => ({ port, what: `API ${i + 1}`, variable: 'PORT (API 2 takes the next port)' })),
    { port: config.database.embeddedPort, what: 'PostgreSQL', variable: 'PALISADE_POSTGRES_PORT' },
    ...Object.entries(grpc).map(([s, port]) => ({ port, what: `Temporal ${s}`, variable: moved })),
    ...Object.entries(membership).map(([s, port]) => ({ port, what: `Temporal ${s} membership`, variable: moved })),
    ...Object.entries(metrics).map(([s, port]) => ({ port, what: `Temporal ${s} metrics`, variable: moved })),
    { port: http, what: 'Temporal frontend HTTP', variable: moved },
  ];
}
