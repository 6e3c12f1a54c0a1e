// Child process of `palisade start`: the embedded Postgres (PGlite, persisted in a folder)
// served over the Postgres wire protocol, so every Palisade process uses the ordinary `pg`
// driver. Reports readiness over IPC; stops cleanly on SIGTERM/SIGINT or when its parent goes.
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { describeError } from '../../../lib/errors';
import { guardExtendedProtocol, guardServer } from './pglite-guard';

async function main(): Promise<void> {
  const [dir, portArg, host = '127.0.0.1', idleArg] = process.argv.slice(2);
  if (!dir || !portArg) throw new Error('usage: pglite-server <data folder> <port> [host] [idle-in-transaction ms]');
  const db = await PGlite.create(dir);
  // A client silent inside a transaction holds PGlite's one session: the guard closes it after
  // idleInTransactionMs (pglite-socket's own idleTimeout would close idle pool connections too).
  const idleInTransactionMs = idleArg === undefined ? undefined : Number(idleArg);
  const server = new PGLiteSocketServer({ db: guardExtendedProtocol(db, { idleInTransactionMs }), port: Number(portArg), host, maxConnections: 64 });
  await server.start();
  guardServer(server);
  process.send?.({ ready: true });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.stop();
    await db.close();
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void stop());
  process.on('disconnect', () => void stop());
}

main().catch((err: unknown) => {
  process.send?.({ ready: false, error: describeError(err) });
  console.error(`palisade embedded postgres: ${describeError(err)}`);
  process.exit(1);
});
