import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The `simulated` vendor's world: hosts, credentials, resources, patches and SLIs with real
 * state, the ledger that makes changing actions idempotent, a log of every call (retries
 * included) and the faults game days inject.
 */
export class SimulatedFleet1764000000000 implements MigrationInterface {
  name = 'SimulatedFleet1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sim_hosts (
        id text PRIMARY KEY,
        hostname text NOT NULL UNIQUE,
        owner text NOT NULL,
        environment text NOT NULL,
        criticality text NOT NULL,
        tags jsonb NOT NULL DEFAULT '{}',
        isolated boolean NOT NULL DEFAULT false,
        online boolean NOT NULL DEFAULT true,
        image text NOT NULL,
        patches jsonb NOT NULL DEFAULT '[]',
        replaced_by text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE sim_credentials (
        id text PRIMARY KEY,
        type text NOT NULL,
        fingerprint text UNIQUE,
        last4 text NOT NULL,
        owner text NOT NULL,
        shared boolean NOT NULL DEFAULT false,
        scope jsonb NOT NULL DEFAULT '[]',
        dependents jsonb NOT NULL DEFAULT '[]',
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
        replaced_by text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE sim_credential_usage (
        id bigserial PRIMARY KEY,
        credential_id text NOT NULL,
        at timestamptz NOT NULL,
        action text NOT NULL,
        source_ip text NOT NULL,
        unusual boolean NOT NULL DEFAULT false
      )`);
    await q.query(`CREATE INDEX sim_credential_usage_idx ON sim_credential_usage (credential_id, at)`);
    await q.query(`
      CREATE TABLE sim_resources (
        id text PRIMARY KEY,
        kind text NOT NULL,
        baseline jsonb NOT NULL,
        current jsonb NOT NULL,
        quarantined boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE TABLE sim_patches (id text PRIMARY KEY, breaks_sli text, degraded_value double precision)`);
    await q.query(`CREATE TABLE sim_slis (name text PRIMARY KEY, value double precision NOT NULL)`);
    // result stays NULL only inside the transaction that claimed the key.
    await q.query(`
      CREATE TABLE sim_actions (
        idempotency_key text PRIMARY KEY,
        capability text NOT NULL,
        action text NOT NULL,
        target text NOT NULL,
        result jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE sim_calls (
        id bigserial PRIMARY KEY,
        idempotency_key text NOT NULL,
        capability text NOT NULL,
        action text NOT NULL,
        target text NOT NULL,
        outcome text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX sim_calls_key_idx ON sim_calls (idempotency_key)`);
    // '*' matches every action or target; a target-scoped fault lets one drill (or test) fail one host only.
    await q.query(`
      CREATE TABLE sim_faults (
        capability text NOT NULL,
        action text NOT NULL DEFAULT '*',
        target text NOT NULL DEFAULT '*',
        error_rate double precision NOT NULL DEFAULT 0,
        latency_ms integer NOT NULL DEFAULT 0,
        timeout boolean NOT NULL DEFAULT false,
        offline boolean NOT NULL DEFAULT false,
        throttle boolean NOT NULL DEFAULT false,
        fail_next integer NOT NULL DEFAULT 0,
        PRIMARY KEY (capability, action, target)
      )`);
    await q.query(`
      CREATE TABLE sim_notifications (
        id text PRIMARY KEY,
        recipient text NOT NULL,
        kind text NOT NULL,
        subject text NOT NULL,
        body text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['sim_notifications', 'sim_faults', 'sim_calls', 'sim_actions', 'sim_slis', 'sim_patches', 'sim_resources', 'sim_credential_usage', 'sim_credentials', 'sim_hosts']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
