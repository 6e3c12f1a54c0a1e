import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** How often the embedded database's statistics are refreshed. */
const EVERY_MS = 60_000;
/** A refresh longer than this is logged: everything else waited on it. */
const SLOW_MS = 500;

/**
 * The embedded Postgres (PGlite) runs no autovacuum: without this its planner keeps the
 * statistics of an empty database, and once a storm leaves tens of thousands of rows in the
 * inbox the dispatcher's claim turns from a few ms into seconds (measured). Once a minute,
 * vacuum the inbox (its rows are updated twice each) and refresh the statistics of the tables
 * the door and the dispatcher read. A real Postgres does this by itself: nothing runs there.
 */
@Injectable()
export class EmbeddedMaintenance implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('EmbeddedMaintenance');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!(await this.isEmbedded())) return;
    this.timer = setInterval(() => {
      this.running ??= this.maintain().finally(() => (this.running = undefined));
    }, EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** PGlite says so in version(). */
  async isEmbedded(): Promise<boolean> {
    const [row] = await this.db.query<{ version: string }[]>(`SELECT version()`);
    return row?.version.includes('PGlite') ?? false;
  }

  async maintain(): Promise<void> {
    const t0 = Date.now();
    try {
      await this.db.query(`VACUUM (ANALYZE) inbox`);
      await this.db.query(`ANALYZE alerts, incidents, timeline_events`);
      // The single PGlite session serves nobody else meanwhile: say so when it is noticeable.
      const ms = Date.now() - t0;
      if (ms > SLOW_MS) this.log.warn(`statistics refresh held the embedded database for ${ms} ms (intake and the worker waited)`);
    } catch (err) {
      this.log.warn(`statistics refresh failed (retried in ${EVERY_MS / 1000} s): ${(err as Error).message}`);
    }
  }
}
