import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../apps/cli/start/ports';
import { PalisadeError } from '../../lib/errors';

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
  return startThrowAwayCluster(findPostgresBinaries());
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

/** The folder holding `initdb` and `pg_ctl`: `pg_config --bindir`, else the usual Debian/Ubuntu folders. */
export function findPostgresBinaries(
  opts: { pgConfig?: string; candidates?: string[] } = {},
): string {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync(opts.pgConfig ?? 'pg_config', ['--bindir'], { encoding: 'utf8' }).trim());
  } catch {
    // pg_config missing: fall back to the usual folders.
  }
  candidates.push(...(opts.candidates ?? debianBinDirs()));
  const found = candidates.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')));
  if (!found) {
    throw new PalisadeError(
      'postgres_missing',
      'The tests need a real Postgres: DATABASE_URL is not set, nothing answers on 127.0.0.1:5432, ' +
        'and the PostgreSQL server binaries (initdb, pg_ctl) were not found.',
      'Install PostgreSQL (Debian/Ubuntu: `apt-get install postgresql`; macOS: `brew install postgresql@16`), ' +
        'or set DATABASE_URL to a server where this user may create databases.',
    );
  }
  return found;
}

function debianBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => path.join(root, version, 'bin'));
}

async function startThrowAwayCluster(bindir: string): Promise<TestPostgres> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  // initdb refuses to run as root: run the server as the `postgres` user, in a folder it owns.
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(bindir, cmd), ...args]] : [path.join(bindir, cmd), args];
    const res = spawnSync(file, argv, { encoding: 'utf8' });
    if (res.status !== 0) {
      throw new Error(`${cmd} failed (exit ${res.status}): ${(res.stderr || res.stdout || String(res.error)).trim()}`);
    }
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const port = await freePort();
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
  const serverOptions = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${dir}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
  run('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-o', serverOptions, '-w', '-t', '60', 'start']);
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    source: `a throw-away cluster (${bindir}) on port ${port}`,
    stop: async () => {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
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
