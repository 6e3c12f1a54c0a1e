import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pages and tickets: one row per incident and vendor (what was decided, what the vendor
 * answered, who acknowledged), and an outbox of what is still to be told to each vendor,
 * written in the same transaction as the projection change it reports.
 */
export class PagingOutbox1764800000000 implements MigrationInterface {
  name = 'PagingOutbox1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE paging_notices (
        incident_id uuid NOT NULL,
        vendor text NOT NULL,
        kind text NOT NULL,
        target text NOT NULL,
        policy text NOT NULL,
        generation integer NOT NULL DEFAULT 1,
        status text NOT NULL DEFAULT 'pending',
        external_id text,
        external_url text,
        alert_count integer,
        sent_at timestamptz,
        acknowledged_at timestamptz,
        acknowledged_by text,
        resolved_at timestamptz,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (incident_id, vendor)
      )`);
    await q.query(`
      CREATE TABLE paging_outbox (
        id bigserial PRIMARY KEY,
        key text NOT NULL,
        incident_id uuid NOT NULL,
        vendor text NOT NULL,
        action text NOT NULL,
        generation integer NOT NULL,
        detail jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        available_at timestamptz NOT NULL DEFAULT now(),
        attempts integer NOT NULL DEFAULT 0,
        lease uuid,
        claimed_until timestamptz,
        sent_at timestamptz,
        dead_at timestamptz,
        last_error text,
        CONSTRAINT paging_outbox_key_unique UNIQUE (key)
      )`);
    await q.query(`CREATE INDEX paging_outbox_pending_idx ON paging_outbox (id) WHERE sent_at IS NULL AND dead_at IS NULL`);
    await q.query(`CREATE INDEX paging_outbox_incident_idx ON paging_outbox (incident_id, vendor, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE paging_outbox`);
    await q.query(`DROP TABLE paging_notices`);
  }
}
