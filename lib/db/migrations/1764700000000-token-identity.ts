import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API tokens bound to people, and expiring. Each token records the token that made it, whether
 * its person made or claimed it (`bound_via`), and who answers for it (`principal`: its name once
 * bound, otherwise whoever made it). A claim code (kept as its SHA-256) is sent to the named
 * person; tokens expire (existing ones 90 days from now). Stream tickets let a browser's
 * EventSource open one timeline stream without a token in its URL.
 */
export class TokenIdentity1764700000000 implements MigrationInterface {
  name = 'TokenIdentity1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE api_tokens
        ADD COLUMN created_by_token uuid,
        ADD COLUMN principal text,
        ADD COLUMN bound_via text CHECK (bound_via IN ('bootstrap', 'made', 'claimed', 'gameday')),
        ADD COLUMN bound_at timestamptz,
        ADD COLUMN purpose text NOT NULL DEFAULT 'person' CHECK (purpose IN ('person', 'gameday')),
        ADD COLUMN expires_at timestamptz,
        ADD COLUMN claim_code_sha256 text,
        ADD COLUMN claim_expires_at timestamptz`);
    // Tokens made before: the bootstrap token answers for itself, every other one is its maker's.
    await q.query(`
      UPDATE api_tokens SET
        principal = CASE WHEN created_by = 'PALISADE_BOOTSTRAP_TOKEN' OR created_by = name THEN name ELSE created_by END,
        bound_via = CASE WHEN created_by = 'PALISADE_BOOTSTRAP_TOKEN' THEN 'bootstrap' END,
        expires_at = now() + interval '90 days'`);
    await q.query(`ALTER TABLE api_tokens ALTER COLUMN principal SET NOT NULL, ALTER COLUMN expires_at SET NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX api_tokens_claim_code_idx ON api_tokens (claim_code_sha256) WHERE claim_code_sha256 IS NOT NULL`);
    await q.query(`
      CREATE TABLE stream_tickets (
        ticket_sha256 text PRIMARY KEY,
        token_id uuid NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
        incident_id uuid NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX stream_tickets_expires_idx ON stream_tickets (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE stream_tickets`);
    await q.query(`DROP INDEX api_tokens_claim_code_idx`);
    await q.query(`
      ALTER TABLE api_tokens
        DROP COLUMN created_by_token, DROP COLUMN principal, DROP COLUMN bound_via, DROP COLUMN bound_at,
        DROP COLUMN purpose, DROP COLUMN expires_at, DROP COLUMN claim_code_sha256, DROP COLUMN claim_expires_at`);
  }
}
