import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Routing rules' dedupe windows look up an open incident's alerts by fingerprint. */
export class AlertRefires1764100000000 implements MigrationInterface {
  name = 'AlertRefires1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX alerts_incident_fingerprint_idx ON alerts (incident_id, fingerprint, received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX alerts_incident_fingerprint_idx`);
  }
}
