import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A page may go through several channels in turn (runbooks/paging.yaml `page: [...]`): each
 * notice gets its place in the chain (`channel`, 0 for the first and for tickets) and how long
 * it has to accept the page before the next is tried; the same vendor may serve two places of
 * one chain (two services), so the place joins the key. An approval gate's escalation tier may
 * page too (`ref`: `escalation:<gate>:<tier>`, '' for the incident's own page and ticket). The
 * outbox rows say which notice they are for.
 */
export class PagingChannels1764910000000 implements MigrationInterface {
  name = 'PagingChannels1764910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE paging_notices ADD COLUMN channel integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE paging_notices ADD COLUMN fallback_after_ms integer`);
    await q.query(`ALTER TABLE paging_notices ADD COLUMN ref text NOT NULL DEFAULT ''`);
    await q.query(`ALTER TABLE paging_notices DROP CONSTRAINT paging_notices_pkey`);
    await q.query(`ALTER TABLE paging_notices ADD PRIMARY KEY (incident_id, vendor, channel, ref)`);
    await q.query(`ALTER TABLE paging_outbox ADD COLUMN channel integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE paging_outbox ADD COLUMN ref text NOT NULL DEFAULT ''`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE paging_outbox DROP COLUMN ref`);
    await q.query(`ALTER TABLE paging_outbox DROP COLUMN channel`);
    await q.query(`DELETE FROM paging_notices WHERE channel > 0 OR ref <> ''`);
    await q.query(`ALTER TABLE paging_notices DROP CONSTRAINT paging_notices_pkey`);
    await q.query(`ALTER TABLE paging_notices ADD PRIMARY KEY (incident_id, vendor)`);
    await q.query(`ALTER TABLE paging_notices DROP COLUMN ref`);
    await q.query(`ALTER TABLE paging_notices DROP COLUMN fallback_after_ms`);
    await q.query(`ALTER TABLE paging_notices DROP COLUMN channel`);
  }
}
