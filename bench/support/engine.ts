import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../apps/cli/start/ports';

export interface BenchEngine {
  apiUrl: string;
  /** The engine's Postgres: DATABASE_URL when given, else the embedded PGlite's socket. */
  databaseUrl: string;
  /** The engine's Temporal frontend: TEMPORAL_ADDRESS when given, else its dev server. */
  temporalAddress: string;
  /** Its Temporal dev server's Prometheus endpoint; undefined against an external TEMPORAL_ADDRESS. */
  temporalMetricsUrl: string | undefined;
  /** The worker's Temporal SDK metrics (its workflow cache among them), Prometheus. */
  workerMetricsUrl: string;
  dataDir: string;
  /** How much nicer than the API its worker runs (PALISADE_BACKGROUND_NICE). */
  backgroundNice: number;
  pid: number;
  secret: (variable: string) => string;
  /** The engine's first admin API token (PALISADE_BOOTSTRAP_TOKEN). */
  adminToken: string;
  stop: () => Promise<void>;
}

/** A new API token for `name` with `role`, made with the admin token. */
export async function benchToken(engine: BenchEngine, name: string, role: 'viewer' | 'responder' | 'approver' | 'admin'): Promise<string> {
  const res = await fetch(`${engine.apiUrl}/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${engine.adminToken}` },
    body: JSON.stringify({ name, role }),
  });
  const body = (await res.json()) as { token?: string };
  if (res.status !== 201 || !body.token) throw new Error(`POST /tokens answered ${res.status}: ${JSON.stringify(body)}`);
  return body.token;
}

const ROOT = path.resolve(__dirname, '../..');

/** Starts the whole engine the way `npm start` does, on free ports and a data folder of its own. */
export async function startBenchEngine(extra: NodeJS.ProcessEnv = {}): Promise<BenchEngine> {
  // Secrets of its own: against an external DATABASE_URL, npm start generates none.
  const env: NodeJS.ProcessEnv = {
    PALISADE_REDACTION_KEY: randomBytes(32).toString('hex'),
    PALISADE_WEBHOOK_SECRET_GENERIC: randomBytes(24).toString('hex'),
    PALISADE_BOOTSTRAP_TOKEN: `pal_${randomBytes(32).toString('base64url')}`,
    ...extra,
  };
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'palisade-bench-'));
  const port = await freePort();
  const postgresPort = await freePort();
  const temporalPort = await freePort();
  const temporalMetricsPort = await freePort();
  const workerMetricsPort = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/cli/main.ts', 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      PALISADE_TEMPORAL_PORT: String(temporalPort),
      PALISADE_TEMPORAL_UI_PORT: String(await freePort()),
      PALISADE_TEMPORAL_METRICS_PORT: String(temporalMetricsPort),
      PALISADE_WORKER_METRICS_PORT: String(workerMetricsPort),
      PALISADE_POSTGRES_PORT: String(postgresPort),
      PALISADE_DATA_DIR: dataDir,
      PALISADE_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const apiUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  while (!out.includes('Palisade is running.')) {
    if (child.exitCode !== null) throw new Error(`the engine exited during start-up:\n${out}`);
    if (Date.now() > deadline) throw new Error(`the engine was not ready within 180 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    apiUrl,
    databaseUrl: extra.DATABASE_URL ?? process.env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${postgresPort}/postgres`,
    temporalAddress: extra.TEMPORAL_ADDRESS ?? process.env.TEMPORAL_ADDRESS ?? `127.0.0.1:${temporalPort}`,
    temporalMetricsUrl: (extra.TEMPORAL_ADDRESS ?? process.env.TEMPORAL_ADDRESS) ? undefined : `http://127.0.0.1:${temporalMetricsPort}/metrics`,
    workerMetricsUrl: `http://127.0.0.1:${workerMetricsPort}/metrics`,
    dataDir,
    backgroundNice: Number(extra.PALISADE_BACKGROUND_NICE ?? process.env.PALISADE_BACKGROUND_NICE ?? 10),
    pid: child.pid!,
    secret: (variable) => env[variable] ?? '',
    adminToken: env.PALISADE_BOOTSTRAP_TOKEN!,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** Issue 22's goal for the worker, 300 MB (decimal, as the issue writes it), in the MiB rssMiB reads: 286.1. */
export const WORKER_GOAL_MIB = 300e6 / 2 ** 20;

/** Resident set size of a process, in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/** The engine's Temporal dev server: the process whose command line serves the engine's frontend port; undefined when it runs none. */
function temporalServerProcess(engine: BenchEngine): number | undefined {
  const port = engine.temporalAddress.split(':').pop();
  let found: number | undefined;
  forEachProcess((pid, args) => {
    if (args.includes('start-dev') && args[args.indexOf('--port') + 1] === port) found = pid;
  });
  return found;
}

/**
 * Pauses the engine's playbooks: its Temporal dev server stopped (SIGSTOP), so the worker gets
 * no task and idles and the dispatcher waits, and the door has the cores to itself. Answers the
 * function that continues it, or undefined when the engine runs no dev server (an external
 * TEMPORAL_ADDRESS).
 */
export async function pausePlaybooks(engine: BenchEngine): Promise<(() => void) | undefined> {
  const temporal = temporalServerProcess(engine);
  if (temporal === undefined) return undefined;
  process.kill(temporal, 'SIGSTOP');
  // The worker's tasks in hand finish (their Temporal calls wait) and it idles.
  await new Promise((r) => setTimeout(r, 3_000));
  return () => process.kill(temporal, 'SIGCONT');
}

/**
 * The engine's worker and API processes (Linux /proc): the node processes whose command line
 * runs apps/<name>/main and whose environment names this engine's data folder.
 */
export function engineProcesses(engine: BenchEngine): { worker?: number; api?: number } {
  const found: { worker?: number; api?: number } = {};
  const marker = `PALISADE_DATA_DIR=${engine.dataDir}`;
  forEachProcess((pid, args) => {
    const name = /apps\/(worker|api)\/main/.exec(args.join(' '))?.[1] as 'worker' | 'api' | undefined;
    if (name && readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(marker)) found[name] = pid;
  });
  return found;
}

/**
 * A second API process of the engine: the same compiled API, its command line, working folder
 * and environment read from the first one's (Linux /proc), on a port of its own. Replicas are
 * equal (README "Outgrowing one machine"): what decides an outcome lives in Postgres or
 * Temporal. On PGlite both would queue on its one session, so an external DATABASE_URL only.
 */
export async function startApiReplica(engine: BenchEngine): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const { api } = engineProcesses(engine);
  if (api === undefined) throw new Error("the engine's API process was not found");
  const [command, ...args] = readFileSync(`/proc/${api}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const env: NodeJS.ProcessEnv = {};
  for (const entry of readFileSync(`/proc/${api}/environ`, 'utf8').split('\0').filter(Boolean)) {
    const at = entry.indexOf('=');
    env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  const port = await freePort();
  const child = spawn(command, args, { cwd: readlinkSync(`/proc/${api}/cwd`), env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the second API exited during start-up (${child.exitCode})`);
    if (Date.now() > deadline) throw new Error('the second API was not ready within 120 s');
    const ready = await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Visits every process (Linux /proc) with its command line as arguments; one that ends while visited, or is someone else's, is skipped. */
function forEachProcess(visit: (pid: number, args: string[]) => void): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      visit(Number(entry), readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0'));
    } catch {
      // The process ended while being read, or is someone else's.
    }
  }
}
