import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Game days run through POST /gamedays: what ran, who asked, how it ended and its scorecard. */
export class Gamedays1764300000000 implements MigrationInterface {
  name = 'Gamedays1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE gamedays (
        id uuid PRIMARY KEY,
        scenario text NOT NULL,
        status text NOT NULL CHECK (status IN ('running', 'passed', 'failed', 'error')),
        requested_by text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        events jsonb NOT NULL DEFAULT '[]',
        scorecard jsonb,
        error text
      )`);
    await q.query(`CREATE INDEX gamedays_started_at_idx ON gamedays (started_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE gamedays`);
  }
}
