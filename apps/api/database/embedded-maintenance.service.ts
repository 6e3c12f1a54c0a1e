import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** How often the embedded database's statistics are refreshed. */
const EVERY_MS = 60_000;
/** A refresh statement longer than this is logged: everything else waited on it. */
const SLOW_MS = 500;

/**
 * One refresh, a statement per table so the door's group commits get in between (PGlite runs
 * one statement at a time for everyone). Only the columns the door's, the dispatcher's and the
 * lists' queries filter, join or sort on are analyzed: an alert's raw body, labels and text and
 * a timeline entry's data and summary are large and never in a WHERE, and sampling them was most
 * of a refresh that held the database 1.5 s with 60,000 alerts stored, every minute (issue 22:
 * the storm's p99 at 1,000/s). Each statement now takes 0.1 to 0.2 s there.
 */
export const REFRESH = [
  `VACUUM (ANALYZE) inbox`,
  `ANALYZE alerts (incident_id, source, delivery_id, fingerprint, received_at, disposition)`,
  `ANALYZE incidents (workflow_id, status, run_state, run_state_at, duplicate_of, stuck_since, playbook, severity, entity, assignee, detected_at)`,
  `ANALYZE timeline_events (incident_id, type, sequence, occurred_at)`,
];

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
      for (const statement of REFRESH) {
        const t1 = Date.now();
        await this.db.query(statement);
        // The single PGlite session serves nobody else meanwhile: say so when it is noticeable.
        const ms = Date.now() - t1;
        if (ms > SLOW_MS) this.log.warn(`${statement.split(' (')[0]} held the embedded database for ${ms} ms (intake and the worker waited)`);
      }
      this.log.debug(`statistics refreshed in ${Date.now() - t0} ms`);
    } catch (err) {
      this.log.warn(`statistics refresh failed (retried in ${EVERY_MS / 1000} s): ${(err as Error).message}`);
    }
  }
}
