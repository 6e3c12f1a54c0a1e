import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Postmortem review (issue 20, item 9): what responders write on an incident's postmortem, one
 * row per revision (draft → in review → published; a published revision is never written
 * again, a later edit starts the next revision), and who signed each revision off and when.
 */
export class PostmortemReview1764990000000 implements MigrationInterface {
  name = 'PostmortemReview1764990000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE postmortem_revisions (
        incident_id uuid NOT NULL REFERENCES incidents(id),
        revision integer NOT NULL CHECK (revision > 0),
        state text NOT NULL CHECK (state IN ('draft', 'in_review', 'published')),
        content jsonb NOT NULL,
        last_action_item integer NOT NULL DEFAULT 0,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        edited_by text,
        edited_at timestamptz,
        submitted_by text,
        submitted_at timestamptz,
        published_at timestamptz,
        PRIMARY KEY (incident_id, revision)
      )`);
    await q.query(`
      CREATE TABLE postmortem_signoffs (
        incident_id uuid NOT NULL,
        revision integer NOT NULL,
        reviewer text NOT NULL,
        note text,
        signed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (incident_id, revision, reviewer),
        FOREIGN KEY (incident_id, revision) REFERENCES postmortem_revisions (incident_id, revision)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE postmortem_signoffs`);
    await q.query(`DROP TABLE postmortem_revisions`);
  }
}
