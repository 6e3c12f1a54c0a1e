import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Pool } from 'pg';
import { describe, expect, it } from 'vitest';
import { guardExtendedProtocol } from '../../apps/cli/start/pglite-guard';
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
    } finally {
      await source.destroy();
      await server.stop();
      await db.close();
    }
  }, 120_000);
});
