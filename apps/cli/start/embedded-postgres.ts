import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { PalisadeError } from '../../../lib/errors';
import { ManagedProcess, nodeEntry } from './child-process';

export interface EmbeddedPostgres {
  url: string;
  process: ManagedProcess;
}

/** Starts PGlite (persisted in `dir`) behind the Postgres wire protocol on `port`. */
export async function startEmbeddedPostgres(opts: {
  dir: string;
  port: number;
  logFile: string;
  /** Closes a client silent this long inside a transaction (apps/cli/start/pglite-guard.ts); undefined: its default. */
  idleInTransactionMs?: number;
  /** Called as soon as the process exists, so a shutdown during start-up can stop it. */
  onSpawn?: (process: ManagedProcess) => void;
}): Promise<EmbeddedPostgres> {
  mkdirSync(opts.dir, { recursive: true });
  const entry = nodeEntry(require.resolve('./pglite-server'));
  const process = new ManagedProcess({
    name: 'postgres',
    command: entry.command,
    args: [...entry.args, opts.dir, String(opts.port), '127.0.0.1', ...(opts.idleInTransactionMs === undefined ? [] : [String(opts.idleInTransactionMs)])],
    cwd: path.resolve(__dirname, '../../..'),
    logFile: opts.logFile,
    ipc: true,
  });
  opts.onSpawn?.(process);
  const ready = await new Promise<{ ready: boolean; error?: string }>((resolve) => {
    process.child.once('message', (msg) => resolve(msg as { ready: boolean; error?: string }));
    void process.exited.then(() => resolve({ ready: false, error: process.logTail() }));
  });
  if (!ready.ready) {
    await process.stop(2_000);
    throw new PalisadeError(
      'embedded_postgres_failed',
      `The embedded Postgres did not start: ${ready.error ?? 'unknown error'}`,
      `See ${opts.logFile}; if port ${opts.port} is taken, set PALISADE_POSTGRES_PORT.`,
    );
  }
  return { url: `postgres://postgres:postgres@127.0.0.1:${opts.port}/postgres`, process };
}
