// The engine the cluster drill breaks: what `npm run cluster` runs (Temporal's real server,
// its four services each a process, PostgreSQL for Temporal and Palisade, two APIs, two
// workers), built from the same pieces (apps/cli/cluster/cluster.ts), but on free ports in a
// throw-away folder and with every process killable and restartable on its own.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { prepareDatabases, prepareNamespace, temporalServiceProcess, waitForPort } from '../../apps/cli/cluster/cluster';
import { MAX_MEMBERSHIP_PORT, serverPorts, TEMPORAL_SERVICES, writeServerConfig, type ServerPorts, type TemporalService } from '../../apps/cli/cluster/server-config';
import { resolveTemporalServer } from '../../apps/cli/cluster/temporal-server';
import { ManagedProcess } from '../../apps/cli/start/child-process';
import { freePort, isPortFree } from '../../apps/cli/start/ports';
import { findPostgresBinaries, startPostgresCluster, type PostgresCluster } from '../../apps/cli/start/postgres-cluster';
import { bundleWorkflowsInChild } from '../../apps/cli/start/supervisor';
import { runMigrations } from '../../lib/db/data-source';
import { TASK_QUEUE } from '../../lib/temporal/names';
import { FakeSlack } from '../../test/support/fake-slack';
import type { DrillCluster } from '../drills/drill';
import { appProcess, BACKGROUND_NICE, ControlledProcess, drillSecrets, readFrom, SLACK_USERS, waitFor } from './cluster';

const ROOT = path.resolve(__dirname, '../..');
const REPLICAS = 2;
const SERVICE_READY_MS = 120_000;

export interface RealCluster extends DrillCluster {
  /** Each API replica's address; `apiUrl` is the first. */
  apiUrls: string[];
  /** api-1, api-2, worker-1, worker-2 and temporal-<service>, each killable on its own. */
  parts: Record<string, ControlledProcess>;
  dataDir: string;
  slack: FakeSlack;
  crashes: string[];
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

export async function startRealCluster(opts: { say: (line: string) => void }): Promise<RealCluster> {
  const { say } = opts;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'palisade-cluster-drill-'));
  // Its own folder under the temporary one: as root, Postgres runs as the postgres user, who must reach it.
  const pgDir = mkdtempSync(path.join(os.tmpdir(), 'palisade-cluster-drill-pg-'));
  const logs = path.join(dataDir, 'logs');
  mkdirSync(logs, { recursive: true });
  const crashes: string[] = [];
  const onCrash = (line: string) => {
    crashes.push(line);
    say(line);
  };
  const build = await resolveTemporalServer({ cacheDir: path.join(ROOT, '.cache'), env: process.env, say });
  let postgres: PostgresCluster | undefined;
  const slack = await new FakeSlack({ users: SLACK_USERS }).start();
  const parts: Record<string, ControlledProcess> = {};
  const helpers: ManagedProcess[] = [];

  const stop = async ({ keepData = false }: { keepData?: boolean } = {}) => {
    const apps = Object.values(parts).filter((p) => !p.name.startsWith('temporal-'));
    await Promise.all(apps.map((p) => p.stop(5_000)));
    await Promise.all(Object.values(parts).filter((p) => p.name.startsWith('temporal-')).map((p) => p.stop(5_000)));
    await Promise.all(helpers.map((p) => p.stop(2_000)));
    try {
      postgres?.stop();
    } catch (err) {
      say(`Stopping Postgres failed: ${(err as Error).message}`);
    }
    await slack.close();
    if (!keepData) {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(pgDir, { recursive: true, force: true });
    }
  };

  try {
    say(`Starting PostgreSQL and Temporal ${path.basename(path.dirname(build.server))} (four services) in ${dataDir}...`);
    postgres = startPostgresCluster({ bindir: findPostgresBinaries({ neededFor: 'npm run drills -- --cluster' }), dir: pgDir, port: await freePort(), throwAway: true, maxConnections: 300 });
    const palisadeUrl = await prepareDatabases(postgres, build, say);
    const ports = await freeServerPorts();
    const configDir = writeServerConfig(path.join(dataDir, 'temporal'), { postgresPort: postgres.port, ports, dynamicConfigFile: path.join(dataDir, 'temporal', 'dynamicconfig.yaml') });
    for (const service of TEMPORAL_SERVICES) parts[`temporal-${service}`] = temporalService(service, build, configDir, ports, logs, onCrash);
    // Frontend first: a fresh cluster's first process writes its metadata record, and the others would race it.
    await parts['temporal-frontend'].start();
    await Promise.all(TEMPORAL_SERVICES.filter((s) => s !== 'frontend').map((s) => parts[`temporal-${s}`].start()));
    const temporalAddress = `127.0.0.1:${ports.grpc.frontend}`;
    await prepareNamespace(temporalAddress, () => false);
    await runMigrations(palisadeUrl);

    const workflowBundle = path.join(dataDir, 'workflow-bundle.js');
    await bundleWorkflowsInChild(workflowBundle, path.join(logs, 'bundle.log'), helpers);
    const secrets = drillSecrets(slack.url);
    const apiPorts = await Promise.all(Array.from({ length: REPLICAS }, () => freePort()));
    const apiUrls = apiPorts.map((port) => `http://127.0.0.1:${port}`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...secrets,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      DATABASE_URL: palisadeUrl,
      HOST: '127.0.0.1',
      PALISADE_DATA_DIR: dataDir,
      PALISADE_LOG_LEVEL: 'info',
      PALISADE_TASK_QUEUE: TASK_QUEUE,
      PALISADE_WORKFLOW_BUNDLE: workflowBundle,
    };
    for (let i = 0; i < REPLICAS; i++) {
      const worker = `worker-${i + 1}`;
      parts[worker] = appProcess(worker, 'worker', { ...env }, logs, onCrash, (p, from) => waitFor(p, `${worker} to poll`, async () => readFrom(p.opts.logFile, from).includes('worker polling')));
      const api = `api-${i + 1}`;
      parts[api] = appProcess(api, 'api', { ...env, PORT: String(apiPorts[i]) }, logs, onCrash, (p) =>
        waitFor(p, `GET ${apiUrls[i]}/healthz`, async () => (await fetch(`${apiUrls[i]}/healthz`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined))?.ok ?? false),
      );
    }
    say(`Starting ${REPLICAS} workers and ${REPLICAS} APIs...`);
    await Promise.all(Object.values(parts).filter((p) => !p.name.startsWith('temporal-')).map((p) => p.start()));
    say(`Cluster up: APIs ${apiUrls.join(', ')}; Temporal ${temporalAddress}; Postgres ${postgres.adminUrl}.`);
    return {
      apiUrl: apiUrls[0],
      apiUrls,
      databaseUrl: palisadeUrl,
      temporalAddress,
      namespace: 'default',
      taskQueue: TASK_QUEUE,
      adminToken: secrets.PALISADE_BOOTSTRAP_TOKEN,
      secret: (variable) => secrets[variable] ?? '',
      logs: () => Object.keys(parts).map((name) => readFrom(path.join(logs, `${name}.log`), 0)).join('\n'),
      processes: { api: parts['api-1'], worker: parts['worker-1'] },
      parts,
      dataDir,
      slack,
      crashes,
      stop,
    };
  } catch (err) {
    await stop({ keepData: true });
    throw err;
  }
}

function temporalService(service: TemporalService, build: Awaited<ReturnType<typeof resolveTemporalServer>>, configDir: string, ports: ServerPorts, logs: string, onCrash: (line: string) => void): ControlledProcess {
  return new ControlledProcess(
    `temporal-${service}`,
    async (onSpawn) => {
      const p = new ManagedProcess(temporalServiceProcess(build, configDir, service, logs, BACKGROUND_NICE));
      onSpawn(p);
      await waitForPort(ports.grpc[service], SERVICE_READY_MS, () => !p.running);
      if (!p.running) throw new Error(`temporal-${service} exited while starting. Its last lines:\n${p.logTail()}`);
    },
    onCrash,
  );
}

/** A frontend port whose whole layout (serverPorts: membership below it, metrics above) is free. */
async function freeServerPorts(): Promise<ServerPorts> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (MAX_MEMBERSHIP_PORT + 294 - 20_000));
    const ports = serverPorts(base);
    const all = [...Object.values(ports.grpc), ...Object.values(ports.membership), ...Object.values(ports.metrics), ports.frontendHttp];
    if ((await Promise.all(all.map((p) => isPortFree(p)))).every(Boolean)) return ports;
  }
  throw new Error('No free range of ports for the Temporal services after 50 tries.');
}
