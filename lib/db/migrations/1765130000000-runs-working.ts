import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where a new incident's run is on its way to its first wait (issue 22): `queued` from the door
 * (the column's default) until the inbox dispatcher starts its run, `working` from then (since
 * `run_state_at`), `waiting` once the run writes its timeline before it first waits (a gate, a
 * responder, a pause). The dispatcher starts no more new incidents while PALISADE_DISPATCH_RUNS_WORKING
 * are working. Incidents from before this are left NULL: their runs are long started.
 */
export class RunsWorking1765130000000 implements MigrationInterface {
  name = 'RunsWorking1765130000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE incidents ADD COLUMN run_state text, ADD COLUMN run_state_at timestamptz`);
    await q.query(`ALTER TABLE incidents ALTER COLUMN run_state SET DEFAULT 'queued'`);
    await q.query(`CREATE INDEX incidents_runs_working_idx ON incidents (run_state_at) WHERE run_state = 'working'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX incidents_runs_working_idx`);
    await q.query(`ALTER TABLE incidents DROP COLUMN run_state, DROP COLUMN run_state_at`);
  }
}
