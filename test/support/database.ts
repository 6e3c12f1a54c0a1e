import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, inject } from 'vitest';
import { createDataSource } from '../../lib/db/data-source';
import { createDatabase } from '../setup/postgres';

/**
 * A database of the calling file's own, migrated (a copy of the suite's template database),
 * open for its tests and dropped after them: for tests of the store's SQL without an engine.
 * Call it in a describe block; the answer gives the open data source once beforeAll has run.
 */
export function ownDatabase(name: string, poolSize = 2): () => DataSource {
  let db: DataSource | undefined;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const created = await createDatabase(inject('postgresAdminUrl'), `palisade_${name}_${randomUUID().replaceAll('-', '')}`, inject('templateDatabase'));
    drop = created.drop;
    db = createDataSource({ url: created.url, poolSize });
    await db.initialize();
  });
  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });
  return () => {
    if (!db) throw new Error(`the database ${name} is not open: call ownDatabase() in a describe block and use it inside its tests`);
    return db;
  };
}
