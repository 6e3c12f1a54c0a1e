import { setTimeout as sleep } from 'node:timers/promises';
import * as path from 'node:path';
import type { PalisadeConfig } from '../../../lib/config/env';
import { runMigrations } from '../../../lib/db/data-source';
import { checkApprovalPolicies } from '../../../lib/approvals/policy-check';
import { loadApprovalPolicies } from '../../../lib/approvals/policy-file';
import { loadRouting } from '../../../lib/intake/routing';
import { loadPlaybooks } from '../../playbooks/load';
import { assertPlaybooksTypeCheck } from '../../playbooks/typecheck';
import { loadSuppressions } from '../../../lib/intake/suppressions';
import { describeError, PalisadeError, redactUrl } from '../../../lib/errors';
import { ManagedProcess, nodeEntry } from './child-process';
import { compiledBuild } from './compiled-build';
import { lockDataDir } from './data-dir-lock';
import { ensureDevSecrets } from './dev-secrets';
import { startEmbeddedPostgres } from './embedded-postgres';
import { assertPortsFree, type PortClaim } from './ports';
import { assertDatabaseReachable, assertTemporalReachable } from './preflight';
import { resolveTemporalCli } from './temporal-cli';
import { startTemporalDevServer } from './temporal-dev-server';
import { workerEntry, workerProcessEnv } from './worker-env';

const REPO_ROOT = path.resolve(__dirname, '../../..');
/** Everything `npm start` started is gone within this long of SIGINT/SIGTERM. */
const STOP_DEADLINE_MS = 10_000;
const READY_TIMEOUT_MS = 180_000;

export interface StartOptions {
  config: PalisadeConfig;
  env: NodeJS.ProcessEnv;
  say: (line: string) => void;
}

/**
 * `palisade start` / `npm start`: Temporal (unless TEMPORAL_ADDRESS), Postgres (unless
 * DATABASE_URL), migrations, then the worker and the API. Resolves when everything has stopped.
 */
export async function runEngine({ config, env, say }: StartOptions): Promise<void> {
  await checkOperatorFiles(config, say);

  const started: ManagedProcess[] = [];
  const lock = lockDataDir(config.dataDir);
  const logs = path.join(config.dataDir, 'logs');
  const shutdown = new Shutdown(async (reason) => {
    say(`Stopping (${reason})...`);
    const t0 = Date.now();
    // Apps first, so they finish with Postgres and Temporal still up; then the servers.
    const apps = started.filter((p) => p.name === 'api' || p.name === 'worker');
    const servers = started.filter((p) => !apps.includes(p));
    await Promise.all(apps.map((p) => p.stop(5_000)));
    const left = Math.max(1_000, STOP_DEADLINE_MS - (Date.now() - t0) - 1_000);
    await Promise.all(servers.map((p) => p.stop(left)));
    lock.release();
    say(`Stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
  });
  const onSignal = (signal: NodeJS.Signals) => void shutdown.request(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    await assertPortsFree(portClaims(config));

    let temporalAddress = config.temporal.address;
    let temporalUi: string;
    if (temporalAddress) {
      await assertTemporalReachable(temporalAddress);
      temporalUi = `(external Temporal at ${temporalAddress}: use its own UI)`;
    } else {
      const cli = await resolveTemporalCli({
        configuredPath: config.temporal.cliPath,
        searchPath: env.PATH ?? '',
        env,
        cacheDir: config.cacheDir,
        say,
      });
      if (shutdown.requested) return await shutdown.done;
      say(`Starting Temporal (${cli.path}) on port ${config.temporal.devServerPort}...`);
      const server = await startTemporalDevServer({
        onSpawn: (p) => started.push(p),
        env,
        cliPath: cli.path,
        port: config.temporal.devServerPort,
        ui: config.temporal.devServerUiPort,
        metricsPort: config.temporal.devServerMetricsPort || undefined,
        dbFile: path.join(config.dataDir, 'temporal.db'),
        logFile: path.join(logs, 'temporal.log'),
        nice: config.backgroundNice,
      });
      temporalAddress = server.address;
      temporalUi = server.uiUrl ?? '';
    }
    if (shutdown.requested) return await shutdown.done;

    let databaseUrl = config.database.url;
    let poolSize = config.database.poolSize;
    if (databaseUrl) {
      await assertDatabaseReachable(databaseUrl);
    } else {
      say(`Starting the embedded Postgres (PGlite) on port ${config.database.embeddedPort}...`);
      const pg = await startEmbeddedPostgres({
        onSpawn: (p) => started.push(p),
        dir: path.join(config.dataDir, 'postgres'),
        port: config.database.embeddedPort,
        idleInTransactionMs: config.database.embeddedIdleInTransactionMs,
        logFile: path.join(logs, 'postgres.log'),
      });
      databaseUrl = pg.url;
      poolSize = 1; // PGlite is one session; see apps/cli/start/pglite-guard.ts.
    }
    if (shutdown.requested) return await shutdown.done;

    const applied = await runMigrations(databaseUrl);
    if (applied.length > 0) say(`Applied migrations: ${applied.join(', ')}.`);

    // Dev mode (embedded Postgres): make the secrets a fresh clone needs. Against an external
    // database, production rules: a source without its variable refuses everything.
    const secrets = config.database.url ? { file: '', values: {} } : ensureDevSecrets(config.dataDir, env);
    const childEnv: NodeJS.ProcessEnv = {
      ...secrets.values,
      ...env,
      TEMPORAL_ADDRESS: temporalAddress,
      DATABASE_URL: databaseUrl,
      PALISADE_DB_POOL_SIZE: String(poolSize),
      // One node on its own dev server: the build this start runs is the one new runs go to.
      ...(config.temporal.address || env.PALISADE_BECOME_CURRENT ? {} : { PALISADE_BECOME_CURRENT: 'always' }),
    };
    // The workflow code, bundled in a short-lived process so the worker never loads webpack.
    const workflowBundle = path.join(config.dataDir, 'workflow-bundle.js');
    await bundleWorkflowsInChild(workflowBundle, path.join(logs, 'bundle.log'), started);
    if (shutdown.requested) return await shutdown.done;
    childEnv.PALISADE_WORKFLOW_BUNDLE = workflowBundle;
    // The worker and the API run compiled JavaScript: no TypeScript compiler in their memory.
    const build = await compiledBuild(REPO_ROOT, path.join(config.dataDir, 'build'));
    if (shutdown.requested) return await shutdown.done;
    for (const name of ['worker', 'api'] as const) {
      const entry = (name === 'worker' ? workerEntry : nodeEntry)(path.join(build, 'apps', name, 'main.js'));
      started.push(
        new ManagedProcess({
          name,
          command: entry.command,
          args: entry.args,
          env: name === 'worker' ? workerProcessEnv(childEnv) : childEnv,
          cwd: REPO_ROOT,
          logFile: path.join(logs, `${name}.log`),
          // The door answers first under a storm; the playbooks behind it catch up.
          nice: name === 'worker' ? config.backgroundNice : 0,
        }),
      );
    }
    watchForCrashes(started, shutdown, say);

    const apiUrl = `http://${config.host}:${config.port}`;
    await waitUntilReady(apiUrl, () => shutdown.requested);
    if (shutdown.requested) return await shutdown.done;

    say(
      [
        '',
        'Palisade is running.',
        `  API          ${apiUrl}`,
        `  API docs     ${apiUrl}/docs`,
        `  Metrics      ${apiUrl}/metrics (API)${config.temporal.workerMetricsPort ? `, http://${config.host}:${config.temporal.workerMetricsPort}/metrics (worker)` : ''}${!config.temporal.address && config.temporal.devServerMetricsPort ? `, http://127.0.0.1:${config.temporal.devServerMetricsPort}/metrics (Temporal)` : ''}`,
        `  Temporal UI  ${temporalUi}`,
        `  Postgres     ${config.database.url ? redactUrl(databaseUrl) : `embedded (PGlite), ${redactUrl(databaseUrl)}`}`,
        `  Data folder  ${config.dataDir} (logs in ${logs})`,
        `  Slack        ${config.slack ? `on: requests at ${apiUrl}/slack/events, Web API ${config.slack.apiUrl}` : 'off: approvals through the API (README "Connect Slack" to connect it)'}`,
        `  Secrets      ${Object.keys(secrets.values).length > 0 ? `${secrets.file} (webhook secrets, redaction key, admin token for this data folder)` : 'from the environment'}`,
        `  Web page     ${apiUrl}/ (sign in with an API token; the first admin token is PALISADE_BOOTSTRAP_TOKEN${secrets.values.PALISADE_BOOTSTRAP_TOKEN ? ` in ${secrets.file}` : ''})`,
        `  Stop         Ctrl-C, or kill ${process.pid}`,
        '',
      ].join('\n'),
    );
    await shutdown.done;
  } catch (err) {
    // Stopped by a signal while starting: the failure is the shutdown's doing, not news.
    if (shutdown.requested) return await shutdown.done;
    await shutdown.request('start-up failed');
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** What operators edit is checked first: a bad file stops the engine before anything starts. */
export async function checkOperatorFiles(config: PalisadeConfig, say: (line: string) => void): Promise<void> {
  const { catalogue } = await loadPlaybooks(config.playbooks.teamDirs);
  for (const dir of config.playbooks.teamDirs) assertPlaybooksTypeCheck(dir, say);
  loadRouting(config.intake.routingFile, catalogue);
  loadApprovalPolicies(config.playbooks.approvalsFile);
  checkApprovalPolicies(config.playbooks.approvalsFile, catalogue);
  loadSuppressions(config.intake.suppressionsFile);
}

export async function bundleWorkflowsInChild(out: string, logFile: string, started: ManagedProcess[]): Promise<void> {
  const entry = nodeEntry(require.resolve('../../worker/bundle-main'));
  const bundler = new ManagedProcess({ name: 'bundler', command: entry.command, args: [...entry.args, out], cwd: REPO_ROOT, logFile });
  started.push(bundler);
  const { code, signal } = await bundler.exited;
  started.splice(started.indexOf(bundler), 1);
  if (code !== 0 && !bundler.stopRequested) {
    throw new PalisadeError('workflow_bundle_failed', `Bundling the workflow code failed (${signal ?? `exit code ${code}`}):\n${bundler.logTail()}`, `See ${logFile}.`);
  }
}

function portClaims(config: PalisadeConfig): PortClaim[] {
  const claims: PortClaim[] = [{ port: config.port, what: 'the API', variable: 'PORT' }];
  if (config.temporal.workerMetricsPort) claims.push({ port: config.temporal.workerMetricsPort, what: "the worker's metrics", variable: 'PALISADE_WORKER_METRICS_PORT (0: none)' });
  if (!config.temporal.address) {
    claims.push(
      { port: config.temporal.devServerPort, what: 'Temporal', variable: 'PALISADE_TEMPORAL_PORT' },
      { port: config.temporal.devServerUiPort, what: 'the Temporal UI', variable: 'PALISADE_TEMPORAL_UI_PORT' },
    );
    if (config.temporal.devServerMetricsPort) claims.push({ port: config.temporal.devServerMetricsPort, what: "Temporal's metrics", variable: 'PALISADE_TEMPORAL_METRICS_PORT (0: none)' });
  }
  if (!config.database.url) {
    claims.push({ port: config.database.embeddedPort, what: 'the embedded Postgres', variable: 'PALISADE_POSTGRES_PORT' });
  }
  return claims;
}

/** Runs the stop sequence once, whoever asks first (a signal, a crash, a failed start). */
export class Shutdown {
  private promise: Promise<void> | undefined;
  private resolveDone!: () => void;
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(private readonly sequence: (reason: string) => Promise<void>) {}

  get requested(): boolean {
    return this.promise !== undefined;
  }

  request(reason: string): Promise<void> {
    this.promise ??= this.sequence(reason).finally(() => this.resolveDone());
    return this.promise;
  }
}

export function watchForCrashes(processes: ManagedProcess[], shutdown: Shutdown, say: (l: string) => void) {
  for (const p of processes) {
    void p.exited.then(({ code, signal }) => {
      if (p.stopRequested) return; // any exit the supervisor did not ask for is a crash (an OOM kill too)
      say(`The ${p.name} process exited (${signal ?? `code ${code}`}). Its last lines (${p.opts.logFile}):\n${p.logTail()}`);
      void shutdown.request(`${p.name} exited`);
    });
  }
}

export async function waitUntilReady(apiUrl: string, cancelled: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline && !cancelled()) {
    try {
      const res = await fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(3_000) });
      if (res.ok) return;
      last = ((await res.json()) as { message?: string }).message ?? `HTTP ${res.status}`;
    } catch (err) {
      last = describeError(err);
    }
    await sleep(250);
  }
  if (cancelled()) return;
  throw new PalisadeError(
    'not_ready',
    `Palisade did not become ready within ${READY_TIMEOUT_MS / 1000} s: ${last}`,
    'The logs in the data folder (logs/) say why.',
  );
}
