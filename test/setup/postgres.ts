import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../apps/cli/start/ports';
import { findPostgresBinaries, startPostgresCluster } from '../../apps/cli/start/postgres-cluster';

export interface TestPostgres {
  /** A URL with rights to create databases. */
  adminUrl: string;
  /** Where it came from, for the run's log. */
  source: string;
  stop: () => Promise<void>;
}

/**
 * A real Postgres for the tests: DATABASE_URL when set; else a server on 127.0.0.1:5432 when
 * one answers; else a throw-away cluster made with the machine's PostgreSQL binaries.
 */
export async function acquireTestPostgres(env: NodeJS.ProcessEnv): Promise<TestPostgres> {
  if (env.DATABASE_URL) {
    return { adminUrl: env.DATABASE_URL, source: 'DATABASE_URL', stop: async () => undefined };
  }
  const local = 'postgres://postgres@127.0.0.1:5432/postgres';
  if (await answers(local)) return { adminUrl: local, source: 'the server on 127.0.0.1:5432', stop: async () => undefined };
  return startThrowAwayCluster(findPostgresBinaries({ neededFor: 'The tests (DATABASE_URL is not set, nothing answers on 127.0.0.1:5432)' }));
}

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function startThrowAwayCluster(bindir: string): Promise<TestPostgres> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-pg-'));
  const port = await freePort();
  const cluster = startPostgresCluster({ bindir, dir, port, throwAway: true });
  return {
    adminUrl: cluster.adminUrl,
    source: `a throw-away cluster (${bindir}) on port ${port}`,
    stop: async () => {
      try {
        cluster.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Creates a fresh database on the server (a copy of `template` when given: migrated
 * already, in a fraction of a second); returns its URL and a function that drops it.
 */
export async function createDatabase(adminUrl: string, name: string, template?: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
