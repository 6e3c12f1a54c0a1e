import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Related incidents (issue 20, item 5): links between two incidents, and a merged duplicate's
 * survivor (`incidents.duplicate_of`), by which alerts for the duplicate's entity reach the
 * survivor while it is open.
 */
export class IncidentLinks1764990000001 implements MigrationInterface {
  name = 'IncidentLinks1764990000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE incidents ADD COLUMN duplicate_of uuid REFERENCES incidents(id)`);
    await q.query(`CREATE INDEX incidents_merged_workflow_idx ON incidents (workflow_id) WHERE duplicate_of IS NOT NULL`);
    await q.query(`
      CREATE TABLE incident_links (
        incident_id uuid NOT NULL REFERENCES incidents(id),
        linked_id uuid NOT NULL REFERENCES incidents(id),
        relation text NOT NULL,
        reason text,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (incident_id, linked_id),
        CHECK (incident_id <> linked_id)
      )`);
    await q.query(`CREATE INDEX incident_links_linked_idx ON incident_links (linked_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE incident_links`);
    await q.query(`DROP INDEX incidents_merged_workflow_idx`);
    await q.query(`ALTER TABLE incidents DROP COLUMN duplicate_of`);
  }
}
