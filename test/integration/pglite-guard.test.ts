import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Client, Pool } from 'pg';
import { describe, expect, it } from 'vitest';
import { guardExtendedProtocol, guardServer } from '../../apps/cli/start/pglite-guard';
import { freePort } from '../../apps/cli/start/ports';
import { EmbeddedMaintenance } from '../../apps/api/database/embedded-maintenance.service';
import { dataSourceOptions, runMigrations } from '../../lib/db/data-source';
import { DataSource } from 'typeorm';

// The embedded Postgres serves several processes (API, worker, migrations) through one PGlite
// session. Without the guard this workload stalls: a client's transaction and another
// client's half-sent extended-protocol query wait on each other.
describe('embedded Postgres with several clients', () => {
  it('keeps each client’s statements and transactions apart', async () => {
    const db = await PGlite.create();
    await db.exec('CREATE TABLE t (id int PRIMARY KEY, v text)');
    const port = await freePort();
    const server = new PGLiteSocketServer({ db: guardExtendedProtocol(db), port, host: '127.0.0.1', maxConnections: 16 });
    await server.start();
    const pools = [0, 1, 2, 3].map(() => new Pool({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, max: 1 }));
    const mismatches: string[] = [];
    try {
      await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const pool = pools[i % pools.length];
          if (i % 2 === 0) {
            const c = await pool.connect();
            try {
              await c.query('BEGIN');
              await c.query('INSERT INTO t (id, v) VALUES ($1, $2)', [i, `v${i}`]);
              const r = await c.query<{ v: string; k: number }>(`SELECT v, ${i} AS k FROM t WHERE id = $1`, [i]);
              if (r.rows[0]?.v !== `v${i}` || r.rows[0]?.k !== i) mismatches.push(`tx ${i}: ${JSON.stringify(r.rows)}`);
              await c.query('COMMIT');
            } finally {
              c.release();
            }
          } else {
            const r = await pool.query<{ n: number; tag: string }>(`SELECT $1::int AS n, '${i}' AS tag`, [i]);
            if (r.rows[0]?.n !== i || r.rows[0]?.tag !== String(i)) mismatches.push(`query ${i}: ${JSON.stringify(r.rows)}`);
          }
        }),
      );
      expect(mismatches).toEqual([]);
      const count = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM t');
      expect(count.rows[0]?.n).toBe(100);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await server.stop();
      await db.close();
    }
  }, 120_000); // 200 statements through one PGlite: seconds when quiet, much longer on a loaded 2-core machine
});

// PGlite runs no autovacuum: the API refreshes the statistics itself, through the socket.
describe('embedded Postgres maintenance', () => {
  it('detects PGlite and vacuums and analyzes the intake tables', async () => {
    const db = await PGlite.create();
    const port = await freePort();
    const server = new PGLiteSocketServer({ db: guardExtendedProtocol(db), port, host: '127.0.0.1', maxConnections: 4 });
    await server.start();
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await runMigrations(url);
    const source = new DataSource(dataSourceOptions({ url, poolSize: 1, applicationName: 'test' }));
    await source.initialize();
    try {
      const analyzed = async () =>
        (await db.query<{ reltuples: number }>(`SELECT reltuples FROM pg_class WHERE relname = 'inbox'`)).rows[0]?.reltuples;
      expect(await analyzed()).toBe(-1); // never analyzed
      const maintenance = new EmbeddedMaintenance(source);
      expect(await maintenance.isEmbedded()).toBe(true);
      await maintenance.maintain();
      expect(await analyzed()).toBe(0);

      // Only the columns queries filter, join or sort on are sampled: not an alert's raw body or a
      // timeline entry's data (they made a refresh hold the one session for seconds).
      await source.query(
        `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity, detected_at)
         VALUES ('00000000-0000-4000-8000-000000000001', 'triage:host:web-1', 'Beacon', 'high', 'open', 'triage', '1', 'host:web-1', now())`,
      );
      await source.query(
        `INSERT INTO alerts (id, source, delivery_id, delivery_index, received_at, observed_at, title, description, severity, severity_original,
           category, entity_kind, entity_key, entity_display, fingerprint, labels, secrets, raw, rule, playbook, incident_id, disposition)
         VALUES ('00000000-0000-4000-8000-000000000002', 'generic', 'd-1', 0, now(), now(), 'Beacon', 'to a known C2', 'high', 'high',
           'host-compromise', 'host', 'web-1', 'web-1', 'f-1', '{}', '[]', '{"body": "large"}', 'everything-else', 'triage',
           '00000000-0000-4000-8000-000000000001', 'started')`,
      );
      await maintenance.maintain();
      const sampled = async (table: string) =>
        (await db.query<{ attname: string }>(`SELECT attname FROM pg_stats WHERE tablename = $1 ORDER BY attname`, [table])).rows.map((r) => r.attname);
      expect(await sampled('alerts')).toEqual(expect.arrayContaining(['incident_id', 'fingerprint', 'received_at', 'source', 'delivery_id']));
      expect((await sampled('alerts')).filter((c) => ['raw', 'labels', 'description', 'title'].includes(c))).toEqual([]);
      expect(await sampled('incidents')).toEqual(expect.arrayContaining(['workflow_id', 'status']));
      expect((await sampled('incidents')).filter((c) => ['title', 'stuck_reason'].includes(c))).toEqual([]);
    } finally {
      await source.destroy();
      await server.stop();
      await db.close();
    }
  }, 120_000);
});

// A client that hangs (SIGSTOP, a frozen VM, a debugger) inside a transaction keeps PGlite's
// one session, and pglite-socket's queue serves nobody else until it speaks again. The guard
// closes it after idleInTransactionMs of silence, the way Postgres's
// idle_in_transaction_session_timeout does; a connection idle outside a transaction stays.
describe('embedded Postgres with a client silent inside a transaction', () => {
  const IDLE_MS = 300;

  async function serve() {
    const db = await PGlite.create();
    await db.exec('CREATE TABLE t (id int PRIMARY KEY)');
    const port = await freePort();
    const lines: string[] = [];
    const logged: Array<(line: string) => void> = [];
    const log = (line: string) => {
      lines.push(line);
      logged.shift()?.(line);
    };
    const server = new PGLiteSocketServer({
      db: guardExtendedProtocol(db, { idleInTransactionMs: IDLE_MS, log }),
      port,
      host: '127.0.0.1',
      maxConnections: 8,
    });
    await server.start();
    const unwatch = guardServer(server);
    return {
      db,
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      lines,
      /** Resolves with the guard's next log line. */
      nextLine: () => new Promise<string>((resolve) => logged.push(resolve)),
      close: async () => {
        unwatch();
        await server.stop();
        await db.close();
      },
    };
  }

  /** A client that begins a transaction, inserts `id` and sends nothing more. */
  async function holdSilently(url: string, id: number) {
    const client = new Client({ connectionString: url });
    const failed = new Promise<Error & { code?: string }>((resolve) => client.on('error', resolve));
    await client.connect();
    await client.query('BEGIN');
    await client.query('INSERT INTO t (id) VALUES ($1)', [id]);
    return { client, failed };
  }

  it('closes the silent client, rolls its transaction back and lets the others go on', async () => {
    const pg = await serve();
    const other = new Client({ connectionString: pg.url });
    try {
      await other.connect();
      const silent = await holdSilently(pg.url, 1);
      // Queued behind the silent transaction: it completes only once the guard frees the session.
      const seen = await other.query<{ n: number }>('SELECT count(*)::int AS n FROM t');
      expect(seen.rows[0]?.n).toBe(0); // the silent client's insert was rolled back
      const err = await silent.failed;
      expect(err.code).toBe('25P03');
      expect(err.message).toContain('idle-in-transaction timeout');
      await expect(silent.client.query('SELECT 1')).rejects.toThrow(/not queryable|terminated/i);
      expect(pg.lines).toHaveLength(1);
      expect(pg.lines[0]).toMatch(/closed the connection from 127\.0\.0\.1:\d+: it held the database session in an open transaction for/);
      // The session is free: transactions go on as usual.
      await other.query('BEGIN');
      await other.query('INSERT INTO t (id) VALUES ($1)', [2]);
      await other.query('COMMIT');
      expect((await pg.db.query<{ id: number }>('SELECT id FROM t')).rows).toEqual([{ id: 2 }]);
    } finally {
      await other.end();
      await pg.close();
    }
  }, 60_000);

  // A client whose message starts a hold but gets no bytes back: a lone Flush (any message but
  // Sync, Query or Terminate opens an exchange, and the queue serves that client alone until its Sync),
  // with nothing pending for PGlite to flush. The guard knows a statement's sender only by the socket
  // its output goes to, so it cannot name this holder; pglite-socket's queue can: while the session is
  // held it serves the handler of the last message only. Left alone, this client blocks every other
  // one for as long as it stays silent.
  it('closes a client that holds the session without having been answered, and only that one', async () => {
    const pg = await serve();
    const other = new Client({ connectionString: pg.url });
    const otherErrors: Error[] = [];
    other.on('error', (err) => otherErrors.push(err));
    const silent = new Client({ connectionString: pg.url });
    const failed = new Promise<Error & { code?: string }>((resolve) => silent.on('error', resolve));
    try {
      await other.connect();
      await silent.connect();
      const line = pg.nextLine();
      // pg's own Connection writes the Flush message alone.
      (silent as unknown as { connection: { flush(): void } }).connection.flush();
      // Queued behind the held session: it completes only once the guard frees it.
      const seen = other.query<{ n: number }>('SELECT count(*)::int AS n FROM t');
      seen.catch(() => undefined); // awaited below, once the guard has spoken
      expect(await line).toMatch(/closed the connection from 127\.0\.0\.1:\d+: it held the database session/);
      expect((await seen).rows[0]?.n).toBe(0);
      expect((await failed).code).toBe('25P03');
      expect(pg.lines).toHaveLength(1);
      // The other client was never touched, and the session is free.
      await other.query('BEGIN');
      await other.query('INSERT INTO t (id) VALUES ($1)', [1]);
      await other.query('COMMIT');
      expect((await pg.db.query<{ id: number }>('SELECT id FROM t')).rows).toEqual([{ id: 1 }]);
      expect(otherErrors).toEqual([]);
    } finally {
      await other.end();
      await silent.end().catch(() => undefined);
      await pg.close();
    }
  }, 60_000);

  it('leaves a pool connection idle outside a transaction open, however long it is silent', async () => {
    const pg = await serve();
    const pool = new Pool({ connectionString: pg.url, max: 1, idleTimeoutMillis: 0 });
    const poolErrors: Error[] = [];
    pool.on('error', (err) => poolErrors.push(err));
    let connections = 0;
    pool.on('connect', () => connections++);
    try {
      await pool.query('SELECT 1');
      // Each round is one silent transaction the guard closes after IDLE_MS of silence; awaiting
      // the guard's line proves the check ran, with the pool's connection silent all along.
      for (let round = 1; round <= 3; round++) {
        const closed = pg.nextLine();
        const silent = await holdSilently(pg.url, round);
        expect(await closed).toMatch(/closed the connection from/);
        expect((await silent.failed).code).toBe('25P03');
      }
      const r = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM t');
      expect(r.rows[0]?.n).toBe(0);
      expect(poolErrors).toEqual([]);
      expect(connections).toBe(1); // the same connection, never closed and reopened
      expect(pg.lines).toHaveLength(3);
    } finally {
      await pool.end();
      await pg.close();
    }
  }, 60_000);

  it('does not count a statement PGlite is still running as silence', async () => {
    const pg = await serve();
    const client = new Client({ connectionString: pg.url });
    const errors: Error[] = [];
    client.on('error', (err) => errors.push(err));
    try {
      await client.connect();
      await client.query('BEGIN');
      await client.query('INSERT INTO t (id) VALUES (1)');
      // PGlite is busy on it for several times IDLE_MS: the client is waiting, not silent (a
      // guard that timed the client's socket, like pglite-socket's idleTimeout, would close it).
      await client.query(`SELECT pg_sleep(${(4 * IDLE_MS) / 1000})`);
      await client.query('COMMIT');
      expect((await pg.db.query<{ id: number }>('SELECT id FROM t')).rows).toEqual([{ id: 1 }]);
      expect(errors).toEqual([]);
      expect(pg.lines).toEqual([]);
    } finally {
      await client.end();
      await pg.close();
    }
  }, 60_000);

  it('lets a TypeORM process whose transaction was closed fail that transaction once and go on', async () => {
    const pg = await serve();
    await runMigrations(pg.url);
    const source = new DataSource(dataSourceOptions({ url: pg.url, poolSize: 1, applicationName: 'test' }));
    await source.initialize();
    const other = new Client({ connectionString: pg.url });
    try {
      await other.connect();
      const runner = source.createQueryRunner();
      await runner.startTransaction();
      await runner.query('INSERT INTO t (id) VALUES (1)');
      const closed = pg.nextLine();
      // Waits behind the silent transaction until the guard closes it.
      expect((await other.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0]?.n).toBe(0);
      await closed;
      // The process sees the error on its next use of that connection (TypeORM's listener
      // releases the broken client; nothing is thrown unhandled, which would fail this test)...
      await expect(runner.query('INSERT INTO t (id) VALUES (2)')).rejects.toThrow();
      await runner.release();
      // ...and its pool opens a new connection for the next one.
      await source.query('INSERT INTO t (id) VALUES (3)');
      expect((await pg.db.query<{ id: number }>('SELECT id FROM t')).rows).toEqual([{ id: 3 }]);
    } finally {
      await other.end();
      await source.destroy();
      await pg.close();
    }
  }, 60_000);
});
