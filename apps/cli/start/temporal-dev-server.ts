import { Connection } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { PalisadeError } from '../../../lib/errors';
import { searchAttributeFlags } from '../../../lib/temporal/names';
import { ManagedProcess } from './child-process';

export interface DevServerOptions {
  cliPath: string;
  /** The environment the server runs with. */
  env: NodeJS.ProcessEnv;
  port: number;
  /** The Web UI port, or `headless` for none (tests). */
  ui: number | 'headless';
  /** File database for persistence; omitted means in memory (tests). */
  dbFile?: string;
  logFile: string;
  ip?: string;
  /** Temporal's Prometheus endpoint (`/metrics`); omitted: a port the server picks and tells nobody. */
  metricsPort?: number;
  /** Faster, less durable SQLite settings for throw-away servers. */
  fastSqlite?: boolean;
  startTimeoutMs?: number;
  /** Called as soon as the process exists, so a shutdown during start-up can stop it. */
  onSpawn?: (process: ManagedProcess) => void;
  /** Scheduling niceness (see ManagedProcessOptions.nice). */
  nice?: number;
  /** More dynamic config values (`--dynamic-config-value KEY=VALUE`, VALUE in JSON), after Palisade's own. */
  dynamicConfig?: Record<string, string | number | boolean>;
}

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  process: ManagedProcess;
}

/**
 * Starts `temporal server start-dev` with Palisade's search attributes registered, and waits
 * until its frontend answers.
 */
export async function startTemporalDevServer(opts: DevServerOptions): Promise<DevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(opts.port),
    '--namespace',
    'default',
    ...searchAttributeFlags(),
    // Offline machines: don't ask Temporal's servers for the latest version.
    '--dynamic-config-value',
    'frontend.enableServerVersionCheck=false',
    // Eager activities: the worker that completes a workflow task gets the activities it
    // scheduled in the same answer. Through the task queue, each playbook step's activity
    // waited about 100 ms on this server (measured: 10 no-op activities in a row, 100 ms
    // apart, about 10 ms apart with this on); a playbook step is several activities.
    '--dynamic-config-value',
    'system.enableActivityEagerExecution=true',
    // Worker Versioning: each test engine is a worker deployment of its own (the server's
    // default allows 100 in a namespace, a test run starts more); one engine has one.
    '--dynamic-config-value',
    'matching.maxDeployments=10000',
    ...Object.entries(opts.dynamicConfig ?? {}).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]),
    '--log-level',
    'warn',
    ...(opts.ui === 'headless' ? ['--headless'] : ['--ui-port', String(opts.ui)]),
    ...(opts.dbFile ? ['--db-filename', opts.dbFile] : []),
    ...(opts.metricsPort ? ['--metrics-port', String(opts.metricsPort)] : []),
    // Write-ahead log: each history write appends instead of rewriting pages under a rollback
    // journal. FULL still syncs every commit: what Temporal acknowledged (a signal the inbox
    // then marks dispatched) survives a power cut. The tests' throwaway server does not sync.
    '--sqlite-pragma',
    'journal_mode=WAL',
    '--sqlite-pragma',
    `synchronous=${opts.fastSqlite ? 'OFF' : 'FULL'}`,
  ];
  const process = new ManagedProcess({
    name: 'temporal',
    command: opts.cliPath,
    args,
    logFile: opts.logFile,
    env: { ...opts.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' },
    nice: opts.nice,
  });
  opts.onSpawn?.(process);
  const address = `${ip}:${opts.port}`;
  await waitForTemporal(address, process, opts.startTimeoutMs ?? 60_000);
  return { address, uiUrl: opts.ui === 'headless' ? undefined : `http://${ip}:${opts.ui}`, process };
}

async function waitForTemporal(address: string, server: ManagedProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!server.running) {
      throw new PalisadeError(
        'temporal_start_failed',
        `The Temporal dev server exited during start-up. Its last lines:\n  ${server.logTail().split('\n').join('\n  ')}`,
        `See ${server.opts.logFile}; if its port is taken, set PALISADE_TEMPORAL_PORT.`,
      );
    }
    if (await temporalAnswers(address, 1_000)) return;
    await sleep(200);
  }
  await server.stop(2_000);
  throw new PalisadeError(
    'temporal_start_timeout',
    `The Temporal dev server did not answer on ${address} within ${timeoutMs / 1000} s.`,
    `See ${server.opts.logFile}.`,
  );
}

/** True when a Temporal frontend answers at `address` within `timeoutMs`. */
export async function temporalAnswers(address: string, timeoutMs: number): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    await connection.withDeadline(Date.now() + timeoutMs, () => connection!.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}
