import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed requests already accepted (their timestamp and body digest), until their signature
 * would be too old anyway: a replay is refused by every API replica, not only the one that
 * took the original. Claimed in the transaction that stores the delivery.
 */
export class WebhookReplays1764930000000 implements MigrationInterface {
  name = 'WebhookReplays1764930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE webhook_replays (key text PRIMARY KEY, expires_at timestamptz NOT NULL)`);
    await q.query(`CREATE INDEX webhook_replays_expiry ON webhook_replays (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_replays`);
  }
}
