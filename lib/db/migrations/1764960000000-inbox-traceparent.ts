import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The W3C traceparent of the webhook request that stored an inbox row (null with tracing off),
 * so the dispatcher's signal to Temporal continues the alert's trace in whichever replica
 * picks the row up.
 */
export class InboxTraceparent1764960000000 implements MigrationInterface {
  name = 'InboxTraceparent1764960000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE inbox ADD COLUMN traceparent text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE inbox DROP COLUMN traceparent`);
  }
}
