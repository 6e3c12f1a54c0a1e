import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { PalisadeError } from '../../../lib/errors';

/**
 * A PostgreSQL cluster made and run with the machine's own binaries (`initdb`, `pg_ctl`):
 * throw-away ones for the tests, a kept one for `npm run cluster`. As root, it runs as the
 * `postgres` user (initdb refuses root) in a folder that user owns.
 */
export interface PostgresCluster {
  /** A URL with rights to create databases. */
  adminUrl: string;
  port: number;
  stop: () => void;
}

export interface ClusterOptions {
  bindir: string;
  /** The cluster's folder: `data/` inside it is made on first use and kept. */
  dir: string;
  port: number;
  /** Tests: no fsync, no full-page writes (fast, unsafe on a crash). */
  throwAway?: boolean;
  maxConnections?: number;
}

export function startPostgresCluster(opts: ClusterOptions): PostgresCluster {
  const data = path.join(opts.dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(opts.bindir, cmd), ...args]] : [path.join(opts.bindir, cmd), args];
    const res = spawnSync(file, argv, { encoding: 'utf8' });
    if (res.status !== 0) {
      throw new PalisadeError(
        'postgres_cluster_failed',
        `${cmd} failed (exit ${res.status}): ${(res.stderr || res.stdout || String(res.error)).trim()}`,
        `See ${path.join(opts.dir, 'server.log')}; a port in use or a folder the ${asRoot ? 'postgres user' : 'current user'} cannot write are the usual causes.`,
      );
    }
  };
  mkdirSync(opts.dir, { recursive: true });
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(opts.dir, uid, gid);
  }
  if (!existsSync(path.join(data, 'PG_VERSION'))) run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', ...(opts.throwAway ? ['--no-sync'] : [])]);
  const serverOptions = [
    `-p ${opts.port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${opts.dir}`,
    `-c max_connections=${opts.maxConnections ?? 200}`,
    ...(opts.throwAway ? ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off'] : []),
  ].join(' ');
  run('pg_ctl', ['-D', data, '-l', path.join(opts.dir, 'server.log'), '-o', serverOptions, '-w', '-t', '60', 'start']);
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${opts.port}/postgres`,
    port: opts.port,
    stop: () => run('pg_ctl', ['-D', data, '-m', opts.throwAway ? 'immediate' : 'fast', '-w', 'stop']),
  };
}

/** The folder holding `initdb` and `pg_ctl`: `pg_config --bindir`, else the usual Debian/Ubuntu folders. */
export function findPostgresBinaries(opts: { pgConfig?: string; candidates?: string[]; neededFor?: string } = {}): string {
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
      `${opts.neededFor ?? 'This'} needs the PostgreSQL server binaries (initdb, pg_ctl), which were not found.`,
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
