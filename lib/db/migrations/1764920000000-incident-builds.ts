import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The build (the worker's version: a hash of the workflow code) each incident's run started on,
 * and the one running it now, as the run reports them (Worker Versioning moves an open run to a
 * new build); null for runs from before builds were recorded.
 */
export class IncidentBuilds1764920000000 implements MigrationInterface {
  name = 'IncidentBuilds1764920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE incidents ADD COLUMN started_build text, ADD COLUMN running_build text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE incidents DROP COLUMN running_build, DROP COLUMN started_build`);
  }
}
