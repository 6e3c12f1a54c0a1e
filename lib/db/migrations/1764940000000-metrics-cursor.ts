import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How far the API replicas, together, have folded finished steps and gates into their
 * histograms: each batch of timeline events is taken by one replica, so the histograms summed
 * across replicas count every event once. Starts now: history is not replayed into metrics.
 */
export class MetricsCursor1764940000000 implements MigrationInterface {
  name = 'MetricsCursor1764940000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE metrics_cursors (name text PRIMARY KEY, at timestamptz NOT NULL, id text NOT NULL DEFAULT '')`);
    await q.query(`INSERT INTO metrics_cursors (name, at) VALUES ('timeline', now())`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE metrics_cursors`);
  }
}
