import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A game day runs in one API process, which says it is alive every few seconds; a run whose
 * process went silent (killed, its machine gone) is marked error by any replica that looks,
 * instead of staying `running` for ever.
 */
export class GamedayHeartbeats1764950000000 implements MigrationInterface {
  name = 'GamedayHeartbeats1764950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE gamedays ADD COLUMN heartbeat_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE gamedays DROP COLUMN heartbeat_at`);
  }
}
