import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Deploys: each worker version's workflow bundle (gzipped, registered by its worker at start), so
 * the API can replay open incidents on a candidate's very code before promoting it; and each
 * routing change made through the API (ramp, promote, rollback) with the version that was
 * current before it, so a rollback knows where to go back to.
 */
export class Deploys1765000000000 implements MigrationInterface {
  name = 'Deploys1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE worker_builds (
      deployment_name text NOT NULL,
      build_id text NOT NULL,
      bundle bytea NOT NULL,
      registered_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (deployment_name, build_id)
    )`);
    await q.query(`CREATE TABLE deploy_changes (
      id bigserial PRIMARY KEY,
      deployment_name text NOT NULL,
      action text NOT NULL,
      build_id text,
      previous_current text,
      ramp_percent real,
      actor text NOT NULL,
      at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX deploy_changes_by_deployment ON deploy_changes (deployment_name, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE deploy_changes`);
    await q.query(`DROP TABLE worker_builds`);
  }
}
