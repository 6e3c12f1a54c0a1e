// The engine the drills break: what `npm start` runs (Temporal dev server, embedded PGlite,
// worker, API), but each process started, killed and started again on its own. The supervisor
// of `npm start` stops everything when one child dies, so drills cannot use it.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManagedProcess, nodeEntry } from '../../apps/cli/start/child-process';
import { freePort } from '../../apps/cli/start/ports';
import { resolveTemporalCli } from '../../apps/cli/start/temporal-cli';
import { startTemporalDevServer } from '../../apps/cli/start/temporal-dev-server';
import { webhookSecretVariable } from '../../lib/config/env';
import { runMigrations } from '../../lib/db/data-source';
import { SOURCES } from '../../lib/intake/alert';
import { TASK_QUEUE } from '../../lib/temporal/names';
import { FakeSlack } from '../../test/support/fake-slack';
import { SLACK_TEST_BOT_TOKEN, SLACK_TEST_SIGNING_SECRET } from '../../test/support/slack-requests';
import type { DrillCluster, DrillProcess } from '../drills/drill';

const ROOT = path.resolve(__dirname, '../..');
const READY_TIMEOUT_MS = 180_000;
/** As `npm start` does: the worker and Temporal run nicer than the API, so the door answers first. */
export const BACKGROUND_NICE = 10;
/** Slack users the fake Slack knows (runbooks/people.yaml: alice by Slack id, bob by email). */
export const SLACK_USERS = [
  { id: 'U0ALICE01', name: 'alice', email: 'alice@example.com' },
  { id: 'U0BOB0001', name: 'bob', email: 'bob@example.com' },
];

export interface ClusterOptions {
  say: (line: string) => void;
  /** A built Temporal CLI (tests pass theirs); otherwise found or built as `npm start` does. */
  temporalCliPath?: string;
  /** PALISADE_LOG_LEVEL of the API and worker (default info). */
  logLevel?: string;
}

export interface RunningCluster extends DrillCluster {
  /** Where the databases and logs live (removed by stop unless kept). */
  dataDir: string;
  /** The fake Slack Web API the engine talks to. */
  slack: FakeSlack;
  /** Lines about processes that exited without a drill asking them to. */
  crashes: string[];
  /** Stops every process (apps first), the fake Slack, and removes the data folder unless `keepData`. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

/**
 * One of the engine's processes: `launch` spawns it and waits until it is ready. Each start
 * is a new ManagedProcess appending to the same log file, so a process's log spans restarts.
 */
export class ControlledProcess implements DrillProcess {
  private current: ManagedProcess | undefined;
  /** Set while a drill kills it on purpose, so the exit is not reported as a crash. */
  private killing = false;

  constructor(
    readonly name: DrillProcess['name'],
    private readonly launch: (onSpawn: (p: ManagedProcess) => void) => Promise<void>,
    private readonly onCrash: (line: string) => void,
  ) {}

  get pid(): number | undefined {
    return this.running ? this.current?.child.pid : undefined;
  }

  get running(): boolean {
    return this.current?.running ?? false;
  }

  async start(): Promise<void> {
    if (this.running) return;
    await this.launch((p) => {
      this.current = p;
      void p.exited.then(({ code, signal }) => {
        if (p.stopRequested || this.killing || p !== this.current) return;
        this.onCrash(`The ${this.name} process exited by itself (${signal ?? `code ${code}`}). Its last lines:\n${p.logTail()}`);
      });
    });
  }

  async kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const p = this.current;
    if (!p?.running) return;
    this.killing = true;
    try {
      p.child.kill(signal);
      // A process that ignores SIGTERM for 15 s is killed: a drill never hangs on it.
      const timer = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
      await p.exited;
      clearTimeout(timer);
    } finally {
      this.killing = false;
    }
  }

  /** For the final shutdown. */
  async stop(graceMs: number): Promise<void> {
    await this.current?.stop(graceMs);
  }
}

/** Starts Temporal, PGlite, the migrations, the worker and the API on free ports in a fresh data folder. */
export async function startDrillCluster(opts: ClusterOptions): Promise<RunningCluster> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'palisade-drills-'));
  const logs = path.join(dataDir, 'logs');
  const crashes: string[] = [];
  const onCrash = (line: string) => {
    crashes.push(line);
    opts.say(line);
  };
  const slack = await new FakeSlack({ users: SLACK_USERS }).start();
  const [apiPort, temporalPort, postgresPort] = [await freePort(), await freePort(), await freePort()];
  const temporalAddress = `127.0.0.1:${temporalPort}`;
  const databaseUrl = `postgres://postgres:postgres@127.0.0.1:${postgresPort}/postgres`;
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const secrets = drillSecrets(slack.url);

  const cli = opts.temporalCliPath
    ? { path: opts.temporalCliPath }
    : await resolveTemporalCli({ configuredPath: process.env.TEMPORAL_CLI_PATH, searchPath: process.env.PATH ?? '', env: process.env, cacheDir: path.join(ROOT, '.cache'), say: opts.say });

  const temporal = new ControlledProcess(
    'temporal',
    async (onSpawn) => {
      await startTemporalDevServer({
        onSpawn,
        env: process.env,
        cliPath: cli.path,
        port: temporalPort,
        ui: 'headless',
        dbFile: path.join(dataDir, 'temporal.db'), // a restart finds the workflows it had
        logFile: path.join(logs, 'temporal.log'),
        nice: BACKGROUND_NICE,
      });
    },
    onCrash,
  );
  const postgres = new ControlledProcess(
    'postgres',
    async (onSpawn) => {
      await startPglite({ onSpawn, dir: path.join(dataDir, 'postgres'), port: postgresPort, logFile: path.join(logs, 'postgres.log') });
    },
    onCrash,
  );
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...secrets,
    TEMPORAL_ADDRESS: temporalAddress,
    DATABASE_URL: databaseUrl,
    PALISADE_DB_POOL_SIZE: '1', // PGlite is one session; see apps/cli/start/pglite-guard.ts
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    PALISADE_DATA_DIR: dataDir,
    PALISADE_LOG_LEVEL: opts.logLevel ?? 'info',
    PALISADE_TASK_QUEUE: TASK_QUEUE,
    TEMPORAL_NAMESPACE: 'default',
  };
  const app = (name: string, kind: 'api' | 'worker', ready: (p: ManagedProcess, logFrom: number) => Promise<void>, env: NodeJS.ProcessEnv = {}) =>
    appProcess(name, kind, { ...childEnv, ...env }, logs, onCrash, ready);
  const workerReady = (p: ManagedProcess, logFrom: number) => waitFor(p, `the worker to poll (${p.opts.logFile})`, async () => readFrom(p.opts.logFile, logFrom).includes('worker polling'));
  const worker = app('worker', 'worker', workerReady);
  const others: ControlledProcess[] = [];
  const api = app('api', 'api', (p) =>
    waitFor(p, `GET ${apiUrl}/healthz`, async () => {
      const res = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
      return res?.ok ?? false;
    }),
  );

  const cluster: RunningCluster = {
    apiUrl,
    databaseUrl,
    temporalAddress,
    namespace: 'default',
    taskQueue: TASK_QUEUE,
    adminToken: secrets.PALISADE_BOOTSTRAP_TOKEN,
    secret: (variable) => secrets[variable] ?? '',
    logs: () => ['api', 'worker'].map((name) => readFrom(path.join(logs, `${name}.log`), 0)).join('\n'),
    processes: { temporal, postgres, worker, api },
    addWorker: (name, env) => {
      const other = app(name, 'worker', workerReady, env);
      others.push(other);
      return other;
    },
    dataDir,
    slack,
    crashes,
    stop: async ({ keepData = false } = {}) => {
      // Apps first, so they finish with Postgres and Temporal still up; then the servers.
      await Promise.all([api.stop(5_000), worker.stop(5_000), ...others.map((o) => o.stop(5_000))]);
      await Promise.all([temporal.stop(5_000), postgres.stop(5_000)]);
      await slack.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };

  try {
    opts.say(`Starting Temporal (${cli.path}) and the embedded Postgres in ${dataDir}...`);
    await Promise.all([temporal.start(), postgres.start()]);
    await runMigrations(databaseUrl);
    opts.say('Starting the worker and the API...');
    await Promise.all([worker.start(), api.start()]);
    opts.say(`Engine up: API ${apiUrl}, Temporal ${temporalAddress}, Postgres ${databaseUrl}, Slack (fake) ${slack.url}.`);
    return cluster;
  } catch (err) {
    await cluster.stop({ keepData: true });
    throw err;
  }
}

/** An API or worker of this repository as a process a drill can kill and start again; `ready` says when it is. */
export function appProcess(name: string, kind: 'api' | 'worker', env: NodeJS.ProcessEnv, logs: string, onCrash: (line: string) => void, ready: (p: ManagedProcess, logFrom: number) => Promise<void>): ControlledProcess {
  return new ControlledProcess(
    name,
    async (onSpawn) => {
      const logFile = path.join(logs, `${name}.log`);
      const from = fileSize(logFile);
      const entry = nodeEntry(sourceFile(`apps/${kind}/main`));
      const p = new ManagedProcess({ name, command: entry.command, args: entry.args, env, cwd: ROOT, logFile, nice: kind === 'worker' ? BACKGROUND_NICE : 0 });
      onSpawn(p);
      await ready(p, from);
    },
    onCrash,
  );
}

/**
 * The embedded Postgres as apps/cli/start/embedded-postgres.ts starts it (PGlite persisted in
 * `dir`, served on `port`), its entry point found by path: under Vitest `require.resolve`
 * does not find TypeScript files.
 */
async function startPglite(opts: { dir: string; port: number; logFile: string; onSpawn: (p: ManagedProcess) => void }): Promise<void> {
  mkdirSync(opts.dir, { recursive: true });
  const entry = nodeEntry(sourceFile('apps/cli/start/pglite-server'));
  const p = new ManagedProcess({ name: 'postgres', command: entry.command, args: [...entry.args, opts.dir, String(opts.port), '127.0.0.1'], cwd: ROOT, logFile: opts.logFile, ipc: true });
  opts.onSpawn(p);
  const ready = await new Promise<{ ready: boolean; error?: string }>((resolve) => {
    p.child.once('message', (msg) => resolve(msg as { ready: boolean; error?: string }));
    void p.exited.then(() => resolve({ ready: false, error: p.logTail() }));
  });
  if (!ready.ready) {
    await p.stop(2_000);
    throw new Error(`The embedded Postgres did not start: ${ready.error ?? 'unknown error'}`);
  }
}

/** A module of this repository by its path without extension: the TypeScript source, or the built JavaScript. */
export function sourceFile(relative: string): string {
  const ts = path.join(ROOT, `${relative}.ts`);
  return existsSync(ts) ? ts : path.join(ROOT, `${relative}.js`);
}

/** What `npm start` generates for a fresh data folder, plus Slack pointed at the fake. */
export function drillSecrets(slackUrl: string): Record<string, string> {
  const secrets: Record<string, string> = {
    PALISADE_REDACTION_KEY: randomBytes(24).toString('hex'),
    PALISADE_BOOTSTRAP_TOKEN: `pal_${randomBytes(32).toString('base64url')}`,
    SLACK_SIGNING_SECRET: SLACK_TEST_SIGNING_SECRET,
    SLACK_BOT_TOKEN: SLACK_TEST_BOT_TOKEN,
    SLACK_API_URL: slackUrl,
  };
  for (const source of SOURCES) secrets[webhookSecretVariable(source)] = randomBytes(24).toString('hex');
  return secrets;
}

export async function waitFor(p: ManagedProcess, what: string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!p.running) throw new Error(`The ${p.name} process exited while starting. Its last lines:\n${p.logTail()}`);
    if (await ready()) return;
    await sleep(200);
  }
  throw new Error(`Timed out after ${READY_TIMEOUT_MS / 1000} s waiting for ${what}. Last lines:\n${p.logTail()}`);
}

export function fileSize(file: string): number {
  return existsSync(file) ? readFileSync(file).length : 0;
}

/** A log file's text from a byte offset (empty when it does not exist yet). */
export function readFrom(file: string, offset: number): string {
  return existsSync(file) ? readFileSync(file).subarray(offset).toString('utf8') : '';
}
