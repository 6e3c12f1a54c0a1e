import { ApplicationFailure } from '@temporalio/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { z } from 'zod';
import { PalisadeError } from '../../../lib/errors';
import type { Capability, ProviderCall } from '../../../lib/providers/capabilities';
import { ProviderErrorType } from '../../../lib/providers/capabilities';
import { fleetAccountSchema, fleetCredentialSchema, fleetHostSchema, fleetPatchSchema, fleetResourceSchema, fleetUsageSchema, loadFleetFile } from '../../../lib/providers/fleet-file';
import { providerError } from '../errors';
import { injectFaults, upsertFault, type FaultSpec } from './faults';
import * as rows from './rows';
import type { CallFilter, SimAccount, SimAction, SimCall, SimCredential, SimHost, SimNotification, SimResource, Sql } from './rows';

export type HostInput = Partial<z.input<typeof fleetHostSchema>> & { id: string };
export type CredentialInput = Partial<z.input<typeof fleetCredentialSchema>> & { id: string };
export type AccountInput = Partial<z.input<typeof fleetAccountSchema>> & { id: string };
export type ResourceInput = Partial<z.input<typeof fleetResourceSchema>> & { id: string };
export type { CallFilter, FaultSpec, SimAccount, SimAction, SimCall, SimCredential, SimHost, SimNotification, SimResource };

/** Rows that `seed` inserted (rows already there are left alone). */
export type SeedSummary = Record<'hosts' | 'credentials' | 'usage' | 'accounts' | 'resources' | 'patches' | 'slis', number>;

const CALL_COLUMNS = { idempotencyKey: 'idempotency_key', capability: 'capability', action: 'action', target: 'target' };
// What an add* leaves unsaid is treated like something nobody knows (as enrolled hosts are).
const HOST_DEFAULTS = { owner: 'unknown', environment: 'unknown', criticality: 'high', image: 'unknown' } as const;
const CREDENTIAL_DEFAULTS = { owner: 'unknown', type: 'generic', last4: 'xxxx' } as const;
const RESOURCE_DEFAULTS = { kind: 'generic', baseline: {} } as const;

/**
 * The `simulated` vendor's world, kept in Postgres so a worker restart, a retry or a second
 * worker sees the same state. Changing actions go through `perform` (applied once per
 * idempotency key), reads through `read`; both honour the faults a game day has set.
 */
export class SimulatedFleet {
  private readonly hangMs: number;

  /** `hangMs`: how long a `timeout` fault hangs outside an activity (inside, cancellation ends it). */
  constructor(
    readonly db: DataSource,
    opts: { hangMs?: number } = {},
  ) {
    this.hangMs = opts.hangMs ?? 10 * 60_000;
  }

  async perform<T>(call: ProviderCall, capability: Capability, action: string, target: string, apply: (manager: EntityManager) => Promise<T>): Promise<T> {
    await this.injectFaults(call, capability, action, target);
    try {
      return await this.db.transaction(async (m) => {
        // Claiming the key first makes a concurrent call with the same key wait for this one, then replay it.
        const claimed = await m.query<unknown[]>(
          `INSERT INTO sim_actions (idempotency_key, capability, action, target) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING idempotency_key`,
          [call.idempotencyKey, capability, action, target],
        );
        if (claimed.length === 0) {
          const [done] = await m.query<SimAction[]>(`SELECT capability, action, target, result FROM sim_actions WHERE idempotency_key = $1`, [call.idempotencyKey]);
          if (done.capability !== capability || done.action !== action || done.target !== target) {
            const first = `${done.capability}.${done.action} on '${done.target}'`;
            throw providerError(ProviderErrorType.Invalid, `Idempotency key '${call.idempotencyKey}' was first used for ${first}, not ${capability}.${action} on '${target}'.`);
          }
          await this.log(m, call, capability, action, target, 'replayed');
          return done.result as T;
        }
        const result = await apply(m);
        await m.query(`UPDATE sim_actions SET result = $2::jsonb WHERE idempotency_key = $1`, [call.idempotencyKey, JSON.stringify(result ?? null)]);
        await this.log(m, call, capability, action, target, 'applied');
        return result;
      });
    } catch (err) {
      await this.logFailure(call, capability, action, target, err);
      throw err;
    }
  }

  async read<T>(call: ProviderCall, capability: Capability, action: string, target: string, read: () => Promise<T>): Promise<T> {
    await this.injectFaults(call, capability, action, target);
    let value: T;
    try {
      value = await read();
    } catch (err) {
      await this.logFailure(call, capability, action, target, err);
      throw err;
    }
    await this.log(this.db, call, capability, action, target, 'read');
    return value;
  }

  // ── setup (tests, game days, the API) ─────────────────────────────────────────────────
  /** Replaces the fault for (capability, fault.action ?? '*', fault.target ?? '*'). */
  async setFault(capability: Capability, fault: FaultSpec): Promise<void> {
    await upsertFault(this.db, capability, fault);
  }

  async clearFaults(capability?: Capability): Promise<void> {
    await this.db.query(`DELETE FROM sim_faults WHERE $1::text IS NULL OR capability = $1`, [capability ?? null]);
  }

  /** Creates a host, or updates the fields given of an existing one. */
  async addHost(input: HostInput): Promise<void> {
    const existing = await this.byId<SimHost>('sim_hosts', rows.HOST_COLUMNS, input.id);
    await rows.putHost(this.db, fleetHostSchema.parse({ ...HOST_DEFAULTS, ...stripMeta(existing), ...input }), true);
  }

  async addCredential(input: CredentialInput): Promise<void> {
    const existing = await this.byId<SimCredential>('sim_credentials', rows.CREDENTIAL_COLUMNS, input.id);
    const c = fleetCredentialSchema.parse({ ...CREDENTIAL_DEFAULTS, ...stripMeta(existing), fingerprint: existing?.fingerprint ?? undefined, ...input });
    await rows.putCredential(this.db, c, true);
    for (const u of c.usage) await rows.putUsage(this.db, c.id, u, false);
  }

  async addCredentialUsage(credentialId: string, usage: z.input<typeof fleetUsageSchema>): Promise<void> {
    await rows.putUsage(this.db, credentialId, fleetUsageSchema.parse(usage), true);
  }

  /** Creates an account, or updates the fields given of an existing one (what drills did to it is kept). */
  async addAccount(input: AccountInput): Promise<void> {
    const existing = await rows.findAccount(this.db, input.id);
    const { passwordResetAt: _p, sessionsRevokedBefore: _s, lastSignIn, ...kept } = stripMeta(existing);
    await rows.putAccount(this.db, fleetAccountSchema.parse({ owner: 'unknown', ...kept, lastSignIn: lastSignIn?.toISOString(), ...input }), true);
  }

  async addResource(input: ResourceInput): Promise<void> {
    const existing = await this.byId<SimResource>('sim_resources', rows.RESOURCE_COLUMNS, input.id);
    await rows.putResource(this.db, fleetResourceSchema.parse({ ...RESOURCE_DEFAULTS, ...stripMeta(existing), ...input }), true);
  }

  /** Drift: the resource's live configuration changes, its baseline does not. */
  async setCurrentConfig(resourceId: string, settings: Record<string, unknown>): Promise<void> {
    const changed = await this.db.query<unknown[]>(
      `WITH c AS (UPDATE sim_resources SET current = $2::jsonb, updated_at = now() WHERE id = $1 RETURNING id) SELECT id FROM c`,
      [resourceId, JSON.stringify(settings)],
    );
    if (changed.length === 0) throw new PalisadeError('sim_resource_not_found', `Resource '${resourceId}' is not in the simulated fleet.`, 'Add it first (addResource or runbooks/fleet.yaml).');
  }

  async addPatch(patch: z.input<typeof fleetPatchSchema>): Promise<void> {
    await rows.putPatch(this.db, fleetPatchSchema.parse(patch), true);
  }

  async setSli(name: string, value: number): Promise<void> {
    await rows.putSli(this.db, name, value, true);
  }

  /** Loads `runbooks/fleet.yaml`, inserting only what is not there yet: state a drill changed survives a restart. */
  async seed(file: string): Promise<SeedSummary> {
    const fleet = loadFleetFile(file);
    return this.db.transaction(async (m) => ({
      hosts: await countWritten(fleet.hosts, (h) => rows.putHost(m, h, false)),
      credentials: await countWritten(fleet.credentials, (c) => rows.putCredential(m, c, false)),
      usage: await countWritten(
        fleet.credentials.flatMap((c) => c.usage.map((u) => ({ id: c.id, u }))),
        ({ id, u }) => rows.putUsage(m, id, u, false),
      ),
      accounts: await countWritten(fleet.accounts, (a) => rows.putAccount(m, a, false)),
      resources: await countWritten(fleet.resources, (r) => rows.putResource(m, r, false)),
      patches: await countWritten(fleet.patches, (p) => rows.putPatch(m, p, false)),
      slis: await countWritten(Object.entries(fleet.slis), ([name, value]) => rows.putSli(m, name, value, false)),
    }));
  }

  // ── inspection ────────────────────────────────────────────────────────────────────────
  /** By id or hostname. */
  host(idOrHostname: string): Promise<SimHost | undefined> {
    return rows.findHost(this.db, idOrHostname);
  }

  credential(id: string): Promise<SimCredential | undefined> {
    return this.byId<SimCredential>('sim_credentials', rows.CREDENTIAL_COLUMNS, id);
  }

  account(id: string): Promise<SimAccount | undefined> {
    return rows.findAccount(this.db, id);
  }

  resource(id: string): Promise<SimResource | undefined> {
    return this.byId<SimResource>('sim_resources', rows.RESOURCE_COLUMNS, id);
  }

  /** Every call, retries and faults included, oldest first. */
  calls(filter: CallFilter = {}): Promise<SimCall[]> {
    const w = rows.where({ ...filter }, CALL_COLUMNS);
    return this.db.query<SimCall[]>(`SELECT idempotency_key AS "idempotencyKey", capability, action, target, outcome, at FROM sim_calls ${w.sql} ORDER BY id`, w.params);
  }

  /** The ledger: one row per changing action applied. */
  actions(filter: CallFilter = {}): Promise<SimAction[]> {
    const w = rows.where({ ...filter }, CALL_COLUMNS);
    return this.db.query<SimAction[]>(
      `SELECT idempotency_key AS "idempotencyKey", capability, action, target, result, created_at AS "createdAt" FROM sim_actions ${w.sql} ORDER BY created_at, idempotency_key`,
      w.params,
    );
  }

  notifications(filter: { recipient?: string; kind?: string } = {}): Promise<SimNotification[]> {
    const w = rows.where(filter, { recipient: 'recipient', kind: 'kind' });
    return this.db.query<SimNotification[]>(`SELECT id, recipient, kind, subject, body, at FROM sim_notifications ${w.sql} ORDER BY at, id`, w.params);
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────
  private async byId<T>(table: string, columns: string, id: string): Promise<T | undefined> {
    const found = await this.db.query<T[]>(`SELECT ${columns} FROM ${table} WHERE id = $1`, [id]);
    return found[0];
  }

  private injectFaults(call: ProviderCall, capability: Capability, action: string, target: string): Promise<void> {
    const log = (outcome: string) => this.log(this.db, call, capability, action, target, outcome);
    return injectFaults(this.db, { capability, action, target, log, hangMs: this.hangMs });
  }

  private async log(q: Sql, call: ProviderCall, capability: Capability, action: string, target: string, outcome: string): Promise<void> {
    const values = [call.idempotencyKey, capability, action, target, outcome];
    await q.query(`INSERT INTO sim_calls (idempotency_key, capability, action, target, outcome) VALUES ($1, $2, $3, $4, $5)`, values);
  }

  /** Best effort: when the database itself failed, the original error is the one worth seeing. */
  private async logFailure(call: ProviderCall, capability: Capability, action: string, target: string, err: unknown): Promise<void> {
    const type = err instanceof ApplicationFailure ? (err.type ?? 'Error') : 'Error';
    await this.log(this.db, call, capability, action, target, `failed:${type}`).catch(() => undefined);
  }
}

/** A stored row as add* input: the columns the fleet maintains itself are dropped. */
function stripMeta<T extends object>(row: T | undefined): Partial<T> {
  if (!row) return {};
  const { updatedAt: _u, replacedBy: _r, ...rest } = row as T & { updatedAt?: unknown; replacedBy?: unknown };
  return rest as Partial<T>;
}

/** One statement at a time: a transaction's connection runs them in order anyway. */
async function countWritten<T>(items: T[], put: (item: T) => Promise<boolean>): Promise<number> {
  let written = 0;
  for (const item of items) if (await put(item)) written++;
  return written;
}
