import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Alert intake: stored alerts, the dispatch inbox, suppression windows, one open incident per workflow id. */
export class AlertIntake1763900000000 implements MigrationInterface {
  name = 'AlertIntake1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE alerts (
        id uuid PRIMARY KEY,
        source text NOT NULL,
        delivery_id text NOT NULL,
        delivery_index integer NOT NULL,
        received_at timestamptz NOT NULL,
        observed_at timestamptz NOT NULL,
        title text NOT NULL,
        description text NOT NULL,
        severity text NOT NULL,
        severity_original text NOT NULL,
        category text NOT NULL,
        entity_kind text NOT NULL,
        entity_key text NOT NULL,
        entity_display text NOT NULL,
        fingerprint text NOT NULL,
        labels jsonb NOT NULL,
        secrets jsonb NOT NULL,
        raw jsonb NOT NULL,
        rule text,
        playbook text,
        incident_id uuid,
        disposition text NOT NULL,
        CONSTRAINT alerts_delivery_unique UNIQUE (source, delivery_id, delivery_index)
      )`);
    await q.query(`CREATE INDEX alerts_incident_idx ON alerts (incident_id, received_at)`);

    await q.query(`ALTER TABLE incidents ADD COLUMN sources text[] NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE incidents ADD COLUMN first_alert_at timestamptz`);
    await q.query(`ALTER TABLE incidents ADD COLUMN last_alert_at timestamptz`);
    // The door decides started/merged under this constraint: at most one open incident per workflow id.
    await q.query(`
      CREATE UNIQUE INDEX incidents_open_workflow_idx ON incidents (workflow_id)
      WHERE status NOT IN ('resolved', 'cancelled')`);

    await q.query(`
      CREATE TABLE inbox (
        id bigserial PRIMARY KEY,
        incident_id uuid NOT NULL,
        workflow_id text NOT NULL,
        alert_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        claimed_until timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        dispatched_at timestamptz
      )`);
    await q.query(`CREATE INDEX inbox_pending_idx ON inbox (id) WHERE dispatched_at IS NULL`);
    await q.query(`CREATE INDEX inbox_incident_pending_idx ON inbox (incident_id, id) WHERE dispatched_at IS NULL`);

    await q.query(`
      CREATE TABLE suppressions (
        id uuid PRIMARY KEY,
        entity_pattern text NOT NULL,
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        reason text NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE suppressions`);
    await q.query(`DROP TABLE inbox`);
    await q.query(`DROP INDEX incidents_open_workflow_idx`);
    await q.query(`ALTER TABLE incidents DROP COLUMN last_alert_at, DROP COLUMN first_alert_at, DROP COLUMN sources`);
    await q.query(`DROP TABLE alerts`);
  }
}
