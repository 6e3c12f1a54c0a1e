// Records real playbook histories for the replay tests (test/histories/): `npm run histories:record`.
//
// Starts its own Temporal dev server and a throw-away Postgres (the test setup's modules), a
// worker with the real workflows on a task queue of its own, drives each scenario below against
// the simulated fleet, and exports each history with the function `palisade history export` uses.
//
//   npm run histories:record                      record the scenarios whose file is missing
//   npm run histories:record -- --force           re-record every scenario (overwrites)
//   npm run histories:record -- host-compromise   only scenarios whose name starts with that
//   npm run histories:record -- --out ../h        write somewhere else
//
// Existing files are kept by default: they stand for runs already in flight, which a changed
// playbook must still replay (see test/histories/README.md). Scenarios: scripts/histories/.
import { shippedCatalogue } from '../apps/playbooks/load';
import 'reflect-metadata';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SimulatedFleet } from '../activities/providers/simulated/fleet';
import { HISTORY_DIR } from '../apps/cli/commands/history-export';
import { freePort } from '../apps/cli/start/ports';
import { resolveTemporalCli } from '../apps/cli/start/temporal-cli';
import { startTemporalDevServer } from '../apps/cli/start/temporal-dev-server';
import { installTemporalRuntime } from '../apps/worker/logging';
import { becomeCurrent } from '../apps/worker/versioning';
import { createWorker } from '../apps/worker/worker';
import { loadConfig } from '../lib/config/env';
import { createDataSource, runMigrations } from '../lib/db/data-source';
import { describeError } from '../lib/errors';
import { createLogger } from '../lib/logger';
import { FakeSlack } from '../test/support/fake-slack';
import { SLACK_TEST_BOT_TOKEN, SLACK_TEST_SIGNING_SECRET } from '../test/support/slack-requests';
import { SLACK_USERS } from '../test/support/people';
import { acquireTestPostgres, createDatabase } from '../test/setup/postgres';
import { SCENARIOS } from './histories/scenarios';
import { Studio } from './histories/studio';

const ROOT = path.resolve(__dirname, '..');
const SCENARIO_TIMEOUT_MS = 120_000;

function say(line: string): void {
  console.log(line);
}

function parseArgs(argv: string[]): { force: boolean; outDir: string; only: string[] } {
  const args = { force: false, outDir: path.join(ROOT, HISTORY_DIR), only: [] as string[] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--force') args.force = true;
    else if (argv[i] === '--out') args.outDir = path.resolve(argv[++i] ?? '.');
    else if (argv[i].startsWith('-')) throw new Error(`unknown option ${argv[i]} (known: --force, --out <dir>)`);
    else args.only.push(argv[i]);
  }
  return args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const scenarios = SCENARIOS.filter((s) => args.only.length === 0 || args.only.some((prefix) => s.name.startsWith(prefix)));
  const todo = scenarios.filter((s) => args.force || !existsSync(path.join(args.outDir, `${s.name}.json`)));
  for (const s of scenarios.filter((s) => !todo.includes(s))) say(`kept ${s.name}.json (exists; --force re-records it)`);
  if (todo.length === 0) {
    say('Nothing to record.');
    return 0;
  }

  // Expected failures (the failed-step scenario) would flood the output: errors only.
  installTemporalRuntime(createLogger('record-histories', 'error'));
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'palisade-record-'));
  const cleanups: (() => Promise<unknown>)[] = [async () => rmSync(scratch, { recursive: true, force: true })];
  let failures = 0;
  try {
    const base = loadConfig(process.env, ROOT);
    const cli = await resolveTemporalCli({ configuredPath: base.temporal.cliPath, searchPath: process.env.PATH ?? '', env: process.env, cacheDir: base.cacheDir, say });
    const [temporal, postgres] = await Promise.all([
      freePort().then((port) => startTemporalDevServer({ env: process.env, cliPath: cli.path, port, ui: 'headless', fastSqlite: true, logFile: path.join(scratch, 'temporal.log') })),
      acquireTestPostgres(process.env),
    ]);
    cleanups.push(() => temporal.process.stop(5_000), () => postgres.stop());
    const database = await createDatabase(postgres.adminUrl, `palisade_record_${process.pid}_${Date.now()}`);
    cleanups.push(database.drop);
    await runMigrations(database.url);
    say(`Temporal ${temporal.address}; Postgres from ${postgres.source}.`);

    // Slack connected (a fake Slack Web API on loopback): gates post and re-render their messages.
    const slack = await new FakeSlack({ users: Object.values(SLACK_USERS) }).start();
    cleanups.push(() => slack.close());
    const taskQueue = `record-${randomUUID()}`;
    const config = loadConfig(
      {
        TEMPORAL_ADDRESS: temporal.address,
        DATABASE_URL: database.url,
        PALISADE_TASK_QUEUE: taskQueue,
        PALISADE_REDACTION_KEY: 'record-histories-redaction-key-0123',
        SLACK_SIGNING_SECRET: SLACK_TEST_SIGNING_SECRET,
        SLACK_BOT_TOKEN: SLACK_TEST_BOT_TOKEN,
        SLACK_API_URL: slack.url,
      },
      ROOT,
    );
    const db = createDataSource({ url: database.url, poolSize: 4 });
    await db.initialize();
    cleanups.push(() => db.destroy());
    const nativeConnection = await NativeConnection.connect({ address: temporal.address });
    cleanups.push(() => nativeConnection.close());
    const worker: Worker = await createWorker({ connection: nativeConnection, config, db });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
    });
    // Worker Versioning: runs start on this worker's build once it is the deployment's current one.
    const version = worker.options.workerDeploymentOptions?.version;
    if (version) await becomeCurrent(nativeConnection, config.temporal.namespace, version, 'always');
    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });
    const fleet = new SimulatedFleet(db);
    const catalogue = await shippedCatalogue();

    for (const scenario of todo) {
      say(`${scenario.name}:`);
      const studio = new Studio(client, fleet, slack, taskQueue, args.outDir, scenario.name, catalogue);
      try {
        await withTimeout(scenario.run(studio), SCENARIO_TIMEOUT_MS, scenario.name);
      } catch (err) {
        failures++;
        say(`  FAILED: ${describeError(err)}`);
      }
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => say(`(while stopping: ${describeError(err)})`));
  }
  say(failures === 0 ? 'Done.' : `${failures} scenario(s) failed.`);
  return failures === 0 ? 0 : 1;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`record-histories: ${describeError(err)}`);
    process.exit(1);
  },
);
