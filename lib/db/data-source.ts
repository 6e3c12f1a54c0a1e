import { DataSource, type DataSourceOptions } from 'typeorm';
import { IncidentEntity } from './entities/incident.entity';
import { TimelineEventEntity } from './entities/timeline-event.entity';
import { migrations } from './migrations';

export const entities = [IncidentEntity, TimelineEventEntity];

export interface DatabaseOptions {
  url: string;
  /** Connections in the pool. The embedded PGlite serves one statement at a time: keep it at 1 there. */
  poolSize?: number;
  applicationName?: string;
}

export function dataSourceOptions(opts: DatabaseOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: opts.url,
    entities,
    migrations,
    migrationsRun: false,
    synchronize: false,
    uuidExtension: 'pgcrypto',
    applicationName: opts.applicationName ?? 'palisade',
    extra: { max: opts.poolSize ?? 10, connectionTimeoutMillis: 5_000 },
  };
}

export function createDataSource(opts: DatabaseOptions): DataSource {
  return new DataSource(dataSourceOptions(opts));
}

/** Applies the committed migrations that have not run yet; returns their names. */
export async function runMigrations(url: string): Promise<string[]> {
  const ds = createDataSource({ url, poolSize: 1, applicationName: 'palisade-migrations' });
  await ds.initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}
