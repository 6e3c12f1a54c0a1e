import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Client } from 'pg';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { guardExtendedProtocol, guardServer } from '../../apps/cli/start/pglite-guard';
import { freePort } from '../../apps/cli/start/ports';

/** `npm start`'s embedded server on a fresh PGlite with a table `t`: the guard at its defaults, its log lines kept. */
async function guardedServer(): Promise<{ db: PGlite; lines: string[]; url: string; stop: () => Promise<void> }> {
  const db = await PGlite.create();
  await db.exec('CREATE TABLE t (id int PRIMARY KEY)');
  const port = await freePort();
  const lines: string[] = [];
  const server = new PGLiteSocketServer({ db: guardExtendedProtocol(db, { log: (line) => lines.push(line) }), port, host: '127.0.0.1', maxConnections: 8 });
  await server.start();
  const unwatch = guardServer(server);
  return {
    db,
    lines,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      unwatch();
      await server.stop();
      await db.close();
    },
  };
}


// A client that goes away while its BEGIN waits in pglite-socket's queue, or right after it ran,
// must not leave the session held for nobody. pglite-socket 0.2.17 (pinned) sees to it: its
// handler, on the socket's close or error, drops the client's queued messages
// (QueryQueueManager.clearQueueForHandler) and rolls back the transaction the queue serves it
// (clearTransactionIfNeeded: isInTransaction() and lastHandlerId is that client). A message the
// queue has taken runs to its end before the event loop turns (PGlite executes it synchronously;
// the mutex and the file-system sync only await promises), while the close is handled on a
// setImmediate, so a close never lands mid-message: one of those two paths always applies. These
// tests pin that down (each fails, by hanging, with the path it exercises disabled). The guard's
// idle check stays at its default (30 s, beyond the tests' timeout), so it cannot be what frees the session.
describe('embedded Postgres with a client that leaves while its BEGIN is queued', () => {
  /** A simple-protocol Query message. */
  const query = (sql: string) => {
    const body = Buffer.from(`${sql}\0`, 'utf8');
    const head = Buffer.alloc(5);
    head.write('Q', 0, 'latin1');
    head.writeInt32BE(4 + body.length, 1);
    return Buffer.concat([head, body]);
  };
  /** An extended-protocol message (Parse, Bind, Execute) without the Sync that would end the exchange. */
  const message = (type: string, body: Buffer) => {
    const head = Buffer.alloc(5);
    head.write(type, 0, 'latin1');
    head.writeInt32BE(4 + body.length, 1);
    return Buffer.concat([head, body]);
  };
  const cstr = (s: string) => Buffer.from(`${s}\0`, 'utf8');
  const parseBindExecute = (sql: string) =>
    Buffer.concat([
      message('P', Buffer.concat([cstr(''), cstr(sql), Buffer.from([0, 0])])),
      message('B', Buffer.concat([cstr(''), cstr(''), Buffer.from([0, 0, 0, 0, 0, 0])])),
      message('E', Buffer.concat([cstr(''), Buffer.alloc(4)])),
    ]);

  const leavers: Array<{ name: string; bytes: Buffer; reset: boolean }> = [
    { name: 'BEGIN, then its socket closes', bytes: query('BEGIN'), reset: false },
    { name: 'BEGIN, then its connection is reset', bytes: query('BEGIN'), reset: true },
    { name: 'BEGIN and an INSERT in one write, then its socket closes', bytes: Buffer.concat([query('BEGIN'), query('INSERT INTO t (id) VALUES (1)')]), reset: false },
    { name: 'BEGIN and a half-sent extended-protocol INSERT, then its socket closes', bytes: Buffer.concat([query('BEGIN'), parseBindExecute('INSERT INTO t (id) VALUES (1)')]), reset: false },
  ];

  for (const leaver of leavers) {
    it(`serves the others once the session is free (${leaver.name})`, async () => {
      const { db, lines, url, stop } = await guardedServer();
      const busy = new Client({ connectionString: url });
      const leaving = new Client({ connectionString: url });
      const third = new Client({ connectionString: url });
      leaving.on('error', () => undefined); // its own socket goes away under it
      try {
        await Promise.all([busy.connect(), leaving.connect(), third.connect()]);
        const socket = (leaving as unknown as { connection: { stream: Socket } }).connection.stream;
        const gone = new Promise((resolve) => socket.once('close', resolve));
        // All in one tick, so PGlite (which blocks this process while it runs) sees them together:
        // the long statement first, then the leaving client's BEGIN and its close, then the third client.
        const slow = busy.query('SELECT pg_sleep(0.3)');
        socket.write(leaver.bytes);
        if (leaver.reset) socket.resetAndDestroy();
        else socket.destroy();
        const answered = third.query<{ n: number; tx: boolean }>(`SELECT count(*)::int AS n, now() <> statement_timestamp() AS tx FROM t`);
        await slow;
        await gone;
        const r = await answered;
        expect(r.rows).toEqual([{ n: 0, tx: false }]); // the leaver's insert rolled back, and the third client is in no transaction of its
        // The session is free for transactions too.
        await third.query('BEGIN');
        await third.query('INSERT INTO t (id) VALUES (2)');
        await third.query('COMMIT');
        expect((await db.query<{ id: number }>('SELECT id FROM t')).rows).toEqual([{ id: 2 }]);
        expect(lines).toEqual([]);
      } finally {
        await Promise.all([busy.end(), third.end(), leaving.end().catch(() => undefined)]);
        await stop();
      }
    }, 20_000); // the guard's own idle check (30 s) never comes into it: a hang fails here
  }

  // The other path: the leaving client's close reaches the server while its BEGIN still waits in
  // the queue, behind another client's open transaction; then that transaction ends.
  it('serves the others once the session is free (BEGIN still queued when its socket closes)', async () => {
    const { db, lines, url, stop } = await guardedServer();
    const accepted: Socket[] = [];
    const onSocket = (m: unknown) => accepted.push((m as { socket: Socket }).socket);
    subscribe('net.server.socket', onSocket);
    const holder = new Client({ connectionString: url });
    const leaving = new Client({ connectionString: url });
    const third = new Client({ connectionString: url });
    leaving.on('error', () => undefined);
    try {
      await Promise.all([holder.connect(), leaving.connect(), third.connect()]);
      await holder.query('BEGIN');
      await holder.query('INSERT INTO t (id) VALUES (1)');
      const socket = (leaving as unknown as { connection: { stream: Socket } }).connection.stream;
      const serverSide = accepted.find((s) => s.remotePort === socket.localPort);
      if (!serverSide) throw new Error('the leaving client’s server-side socket was not seen');
      // pglite-socket handles the close on the next turn of the event loop (setImmediate): one turn after the close event, it has.
      const handled = new Promise((resolve) => serverSide.once('close', () => setImmediate(resolve)));
      socket.write(query('BEGIN'));
      socket.write(query('INSERT INTO t (id) VALUES (2)'));
      socket.destroy();
      await handled;
      const answered = third.query<{ n: number; tx: boolean }>(`SELECT count(*)::int AS n, now() <> statement_timestamp() AS tx FROM t`);
      await holder.query('COMMIT');
      expect((await answered).rows).toEqual([{ n: 1, tx: false }]);
      await third.query('BEGIN');
      await third.query('INSERT INTO t (id) VALUES (3)');
      await third.query('COMMIT');
      expect((await db.query<{ id: number }>('SELECT id FROM t ORDER BY id')).rows).toEqual([{ id: 1 }, { id: 3 }]);
      expect(lines).toEqual([]);
    } finally {
      unsubscribe('net.server.socket', onSocket);
      await Promise.all([holder.end(), third.end(), leaving.end().catch(() => undefined)]);
      await stop();
    }
  }, 20_000);
});
