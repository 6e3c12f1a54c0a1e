// Child process of `palisade start`: the embedded Postgres (PGlite, persisted in a folder)
// served over the Postgres wire protocol, so every Palisade process uses the ordinary `pg`
// driver. Reports readiness over IPC; stops cleanly on SIGTERM/SIGINT or when its parent goes.
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { describeError } from '../../../lib/errors';
import { guardExtendedProtocol } from './pglite-guard';

async function main(): Promise<void> {
  const [dir, portArg, host = '127.0.0.1'] = process.argv.slice(2);
  if (!dir || !portArg) throw new Error('usage: pglite-server <data folder> <port> [host]');
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({ db: guardExtendedProtocol(db), port: Number(portArg), host, maxConnections: 64 });
  await server.start();
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
