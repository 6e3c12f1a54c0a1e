import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Who owns an incident (a person's id in runbooks/people.yaml; null: nobody yet), and what an incident is tagged with. */
export class IncidentAssignee1764970000000 implements MigrationInterface {
  name = 'IncidentAssignee1764970000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE incidents ADD COLUMN assignee text`);
    await q.query(`ALTER TABLE incidents ADD COLUMN tags text[] NOT NULL DEFAULT '{}'`);
    // "My incidents" and the assignment rule's least-loaded pick read the open ones by assignee.
    await q.query(`CREATE INDEX incidents_open_assignee_idx ON incidents (assignee) WHERE status NOT IN ('resolved', 'cancelled')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX incidents_open_assignee_idx`);
    await q.query(`ALTER TABLE incidents DROP COLUMN tags`);
    await q.query(`ALTER TABLE incidents DROP COLUMN assignee`);
  }
}
