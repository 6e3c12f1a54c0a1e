import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The dispatcher skips incidents whose rows another dispatcher has leased. Leased rows are few
 * (those in flight to Temporal) while pending rows can be tens of thousands after an outage or
 * a storm: index the leases so finding them never walks the backlog.
 */
export class InboxLeases1764400000000 implements MigrationInterface {
  name = 'InboxLeases1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX inbox_leased_idx ON inbox (claimed_until, incident_id) WHERE dispatched_at IS NULL AND claimed_until IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX inbox_leased_idx`);
  }
}
