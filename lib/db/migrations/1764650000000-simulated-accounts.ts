import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The simulated fleet's accounts (the `identity` capability): who owns each, whether it is
 * privileged, its MFA, open sessions, password and long-lived keys, so a takeover drill can
 * revoke, deactivate, disable and reset them and a test can see that it happened.
 */
export class SimulatedAccounts1764650000000 implements MigrationInterface {
  name = 'SimulatedAccounts1764650000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sim_accounts (
        id text PRIMARY KEY,
        display_name text NOT NULL,
        owner text NOT NULL,
        privileged boolean NOT NULL DEFAULT false,
        groups jsonb NOT NULL DEFAULT '[]',
        policies jsonb NOT NULL DEFAULT '[]',
        mfa text NOT NULL DEFAULT 'unknown' CHECK (mfa IN ('enabled', 'disabled', 'unknown')),
        last_sign_in timestamptz,
        status text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
        password boolean NOT NULL DEFAULT true,
        password_reset_at timestamptz,
        sessions integer NOT NULL DEFAULT 0,
        sessions_revoked_before timestamptz,
        keys jsonb NOT NULL DEFAULT '[]',
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sim_accounts`);
  }
}
