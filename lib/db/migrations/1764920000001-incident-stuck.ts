import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An incident whose run is stuck: its workflow task keeps failing (a change without patched(),
 * a bug), so it moves no further until a fixed worker takes it. Set and cleared by the API's
 * stuck watcher (apps/api/incidents/stuck-watcher.service.ts).
 */
export class IncidentStuck1764920000001 implements MigrationInterface {
  name = 'IncidentStuck1764920000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE incidents ADD COLUMN stuck_since timestamptz, ADD COLUMN stuck_reason text`);
    await q.query(`CREATE INDEX incidents_stuck ON incidents (stuck_since) WHERE stuck_since IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX incidents_stuck`);
    await q.query(`ALTER TABLE incidents DROP COLUMN stuck_reason, DROP COLUMN stuck_since`);
  }
}
