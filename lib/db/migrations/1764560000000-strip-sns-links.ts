import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Alerts stored from Amazon SNS kept the whole envelope, with its UnsubscribeURL (which SNS
 * honours without authentication: anyone who reads the alert could stop the feed) and, for
 * confirmations, its SubscribeURL. The door now keeps the message without them; this removes
 * them from the alerts stored before.
 */
export class StripSnsLinks1764560000000 implements MigrationInterface {
  name = 'StripSnsLinks1764560000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE alerts SET raw = raw - 'UnsubscribeURL' - 'SubscribeURL'
      WHERE jsonb_typeof(raw) = 'object' AND (raw ? 'UnsubscribeURL' OR raw ? 'SubscribeURL')`);
  }

  async down(): Promise<void> {
    // The links are gone for good, as intended.
  }
}
