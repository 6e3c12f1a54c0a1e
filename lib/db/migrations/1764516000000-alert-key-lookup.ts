import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Finds earlier deliveries of one vendor alert by its identity (a GitHub secret-scanning alert:
 * repository and number), so the door reuses what it knew of the alert's secret.
 */
export class AlertKeyLookup1764516000000 implements MigrationInterface {
  name = 'AlertKeyLookup1764516000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX alerts_source_fingerprint_idx ON alerts (source, fingerprint, received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX alerts_source_fingerprint_idx`);
  }
}
