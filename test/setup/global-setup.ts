import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from '../../apps/cli/start/ports';
import { resolveTemporalCli } from '../../apps/cli/start/temporal-cli';
import { startTemporalDevServer } from '../../apps/cli/start/temporal-dev-server';
import { loadConfig } from '../../lib/config/env';
import { runMigrations } from '../../lib/db/data-source';
import { PalisadeError, type ErrorBody } from '../../lib/errors';
import { resolveTemporalTestServer, type ResolvedTestServer } from '../kit/temporal-test-server';
import { bundleAllPlaybooks } from '../support/bundle';
import { acquireTestPostgres, createDatabase } from './postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalCliPath: string;
    /** A migrated database for this run. */
    databaseUrl: string;
    /** A migrated database nobody connects to: each test engine gets its own copy of it. */
    templateDatabase: string;
    /** A URL that may create more databases. */
    postgresAdminUrl: string;
    /** The workflow bundle, built once per run. */
    workflowBundlePath: string;
    /** The time-skipping test server (fetched once into the cache), or why it could not be found. */
    temporalTestServer: ResolvedTestServer | { error: ErrorBody };
  }
}

/**
 * Starts the run's shared servers once: a real Temporal dev server (from the same CLI
 * resolution as `npm start`) and a real Postgres. Everything is stopped after the run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = project.config.root;
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'palisade-test-'));
  const say = (line: string) => console.log(`[test setup] ${line}`);
  const config = loadConfig(process.env, root);
  const cleanups: (() => Promise<void>)[] = [];
  const teardown = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => console.error(err));
    rmSync(scratch, { recursive: true, force: true });
  };

  try {
    const cli = await resolveTemporalCli({
      configuredPath: config.temporal.cliPath,
      searchPath: process.env.PATH ?? '',
      env: process.env,
      cacheDir: config.cacheDir,
      say,
    });
    const [temporal, postgres, bundle, testServer] = await Promise.all([
      freePort().then((port) =>
        startTemporalDevServer({
          env: process.env,
          cliPath: cli.path,
          port,
          ui: 'headless',
          fastSqlite: true,
          logFile: path.join(scratch, 'temporal.log'),
        }),
      ),
      acquireTestPostgres(process.env),
      bundleAllPlaybooks(config.playbooks.teamDirs),
      // Fetched once into the cache; only the time-skipping tests fail (with this error) without it.
      resolveTemporalTestServer({ cacheDir: config.cacheDir, searchPath: process.env.PATH ?? '', env: process.env, say }).catch((err: unknown) => {
        if (!(err instanceof PalisadeError)) throw err;
        say(`The time-skipping tests will fail: ${err.message} ${err.hint}`);
        return { error: err.toBody() };
      }),
    ]);
    cleanups.push(() => temporal.process.stop(5_000), () => postgres.stop());
    say(`Temporal ${temporal.address} (${cli.source}); Postgres from ${postgres.source}.`);

    const db = await createDatabase(postgres.adminUrl, `palisade_test_${process.pid}_${Date.now()}`);
    cleanups.push(db.drop);
    await runMigrations(db.url);
    const templateName = `palisade_template_${process.pid}_${Date.now()}`;
    const template = await createDatabase(postgres.adminUrl, templateName, path.basename(new URL(db.url).pathname));
    cleanups.push(template.drop);

    const bundlePath = path.join(scratch, 'workflow-bundle.js');
    writeFileSync(bundlePath, bundle.code);

    project.provide('temporalAddress', temporal.address);
    project.provide('temporalCliPath', cli.path);
    project.provide('databaseUrl', db.url);
    project.provide('templateDatabase', templateName);
    project.provide('postgresAdminUrl', postgres.adminUrl);
    project.provide('workflowBundlePath', bundlePath);
    project.provide('temporalTestServer', testServer);
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
