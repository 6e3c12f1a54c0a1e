import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The inbox learns three things:
 * - `dead_at`, `dead_reason`: rows Temporal refused for good (an argument it will never
 *   accept) are set aside, visibly, instead of being retried for ever behind every later alert
 *   of their entity; an operator sends them again once the cause is fixed.
 * - `lease`: the claim that holds a row, so a dispatcher that lost its claim (the incident
 *   closed meanwhile and took its rows back) cannot mark them dispatched.
 * - `incidents.recorded_inbox_id`, `closed_run_id`: the last inbox row an incident's run
 *   recorded before it closed, and that run. Rows after it reached the incident too late and
 *   reopen it (or join the entity's open incident) instead of being shelved; a signal that
 *   lands on the run that closed it is sent again (see lib/db/late-alerts.ts).
 */
export class InboxDeadLetters1764500000000 implements MigrationInterface {
  name = 'InboxDeadLetters1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE inbox ADD COLUMN dead_at timestamptz, ADD COLUMN dead_reason text, ADD COLUMN lease uuid`);
    await q.query(`ALTER TABLE incidents ADD COLUMN recorded_inbox_id bigint, ADD COLUMN closed_run_id text`);
    await q.query(`CREATE INDEX inbox_dead_idx ON inbox (incident_id) WHERE dead_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX inbox_dead_idx`);
    await q.query(`ALTER TABLE incidents DROP COLUMN recorded_inbox_id, DROP COLUMN closed_run_id`);
    await q.query(`ALTER TABLE inbox DROP COLUMN dead_at, DROP COLUMN dead_reason, DROP COLUMN lease`);
  }
}
