import type { MigrationInterface, QueryRunner } from 'typeorm';

export class IncidentsAndTimeline1763800000000 implements MigrationInterface {
  name = 'IncidentsAndTimeline1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE incidents (
        id uuid PRIMARY KEY,
        workflow_id text NOT NULL,
        title text NOT NULL,
        severity text NOT NULL,
        status text NOT NULL,
        playbook text NOT NULL,
        playbook_version text NOT NULL,
        entity text,
        alert_count integer NOT NULL DEFAULT 0,
        detected_at timestamptz NOT NULL,
        acknowledged_at timestamptz,
        contained_at timestamptz,
        resolved_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX incidents_workflow_id_idx ON incidents (workflow_id)`);
    await q.query(`
      CREATE TABLE timeline_events (
        id text PRIMARY KEY,
        incident_id uuid NOT NULL,
        sequence integer NOT NULL,
        type text NOT NULL,
        occurred_at timestamptz NOT NULL,
        actor text NOT NULL,
        summary text NOT NULL,
        data jsonb NOT NULL DEFAULT '{}'::jsonb,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX timeline_events_incident_sequence_idx ON timeline_events (incident_id, sequence)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE timeline_events`);
    await q.query(`DROP TABLE incidents`);
  }
}
