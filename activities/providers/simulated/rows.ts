import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { AccountInfo, Capability, ConfigSnapshot, CredentialInfo, Criticality, Environment, HostInfo, MfaState } from '../../../lib/providers/capabilities';
import { ProviderErrorType } from '../../../lib/providers/capabilities';
import type { FleetAccount, FleetCredential, FleetHost, FleetPatch, FleetResource, FleetUsage } from '../../../lib/providers/fleet-file';
import { providerError } from '../errors';

/** A DataSource or a transaction's EntityManager: both run raw SQL. */
export type Sql = Pick<EntityManager, 'query'>;

export interface SimHost {
  id: string;
  hostname: string;
  owner: string;
  environment: Environment;
  criticality: Criticality;
  tags: Record<string, string>;
  isolated: boolean;
  online: boolean;
  image: string;
  patches: string[];
  replacedBy: string | null;
  updatedAt: Date;
}

export interface SimCredential {
  id: string;
  type: string;
  fingerprint: string | null;
  last4: string;
  owner: string;
  shared: boolean;
  scope: string[];
  dependents: string[];
  status: 'active' | 'revoked';
  replacedBy: string | null;
  updatedAt: Date;
}

export interface SimAccount {
  id: string;
  displayName: string;
  owner: string;
  privileged: boolean;
  groups: string[];
  policies: string[];
  mfa: MfaState;
  lastSignIn: Date | null;
  status: 'enabled' | 'disabled';
  password: boolean;
  passwordResetAt: Date | null;
  sessions: number;
  sessionsRevokedBefore: Date | null;
  keys: { id: string; status: 'active' | 'inactive' }[];
  updatedAt: Date;
}

export interface SimResource {
  id: string;
  kind: string;
  baseline: Record<string, unknown>;
  current: Record<string, unknown>;
  quarantined: boolean;
  updatedAt: Date;
}

/** Narrows `calls()` and `actions()`; every field given must match. */
export interface CallFilter {
  idempotencyKey?: string;
  capability?: Capability;
  action?: string;
  target?: string;
}

/** One provider call as the fleet saw it; outcome is applied, replayed, read, fault:<Type> or failed:<Type>. */
export interface SimCall extends Required<Omit<CallFilter, 'capability'>> {
  capability: Capability;
  outcome: string;
  at: Date;
}

export interface SimAction extends Required<Omit<CallFilter, 'capability'>> {
  capability: Capability;
  result: unknown;
  createdAt: Date;
}

export interface SimNotification {
  id: string;
  recipient: string;
  kind: string;
  subject: string;
  body: string;
  at: Date;
}

export const HOST_COLUMNS = `id, hostname, owner, environment, criticality, tags, isolated, online, image, patches, replaced_by AS "replacedBy", updated_at AS "updatedAt"`;
export const CREDENTIAL_COLUMNS = `id, type, fingerprint, last4, owner, shared, scope, dependents, status, replaced_by AS "replacedBy", updated_at AS "updatedAt"`;
export const ACCOUNT_COLUMNS = `id, display_name AS "displayName", owner, privileged, groups, policies, mfa, last_sign_in AS "lastSignIn", status, password,
  password_reset_at AS "passwordResetAt", sessions, sessions_revoked_before AS "sessionsRevokedBefore", keys, updated_at AS "updatedAt"`;
export const RESOURCE_COLUMNS = `id, kind, baseline, current, quarantined, updated_at AS "updatedAt"`;

/** A host by id or hostname (the id wins when both match different hosts). */
export async function findHost(q: Sql, host: string): Promise<SimHost | undefined> {
  const rows = await q.query<SimHost[]>(`SELECT ${HOST_COLUMNS} FROM sim_hosts WHERE id = $1 OR hostname = $1 ORDER BY (id = $1) DESC LIMIT 1`, [host]);
  return rows[0];
}

export async function requireHost(q: Sql, host: string): Promise<SimHost> {
  const found = await findHost(q, host);
  if (!found) throw providerError(ProviderErrorType.NotFound, `Host '${host}' is not in the simulated fleet.`);
  return found;
}

/**
 * Drills send whatever host names their SIEM fixtures carry: a changing action on a host the
 * fleet has never seen enrolls it, treated as production would be (criticality high).
 */
export async function enrollHost(q: Sql, host: string): Promise<SimHost> {
  await q.query(
    `INSERT INTO sim_hosts (id, hostname, owner, environment, criticality, image) VALUES ($1, $1, 'unknown', 'unknown', 'high', 'unknown') ON CONFLICT DO NOTHING`,
    [host],
  );
  return requireHost(q, host);
}

/** A host agent that does not answer, as an EDR reports it. */
export function requireOnline(host: SimHost): void {
  if (!host.online) throw providerError(ProviderErrorType.AgentOffline, `The agent on host '${host.id}' is offline (simulated).`);
}

export function hostInfo(h: SimHost): HostInfo {
  return { hostId: h.id, hostname: h.hostname, owner: h.owner, environment: h.environment, criticality: h.criticality, known: true, tags: h.tags };
}

export async function requireCredential(q: Sql, id: string): Promise<SimCredential> {
  const rows = await q.query<SimCredential[]>(`SELECT ${CREDENTIAL_COLUMNS} FROM sim_credentials WHERE id = $1`, [id]);
  if (!rows[0]) throw providerError(ProviderErrorType.NotFound, `Credential '${id}' is not in the simulated credential store.`);
  return rows[0];
}

export function credentialInfo(c: SimCredential): CredentialInfo {
  return { credentialId: c.id, type: c.type, owner: c.owner, shared: c.shared, scope: c.scope, dependents: c.dependents, status: c.status };
}

export async function findAccount(q: Sql, id: string): Promise<SimAccount | undefined> {
  const rows = await q.query<SimAccount[]>(`SELECT ${ACCOUNT_COLUMNS} FROM sim_accounts WHERE id = $1`, [id]);
  return rows[0];
}

/** `FOR UPDATE`: a change reads the account it is about to write inside its transaction. */
export async function requireAccount(q: Sql, id: string): Promise<SimAccount> {
  const rows = await q.query<SimAccount[]>(`SELECT ${ACCOUNT_COLUMNS} FROM sim_accounts WHERE id = $1 FOR UPDATE`, [id]);
  if (!rows[0]) throw providerError(ProviderErrorType.NotFound, `Account '${id}' is not in the simulated directory.`);
  return rows[0];
}

export function accountInfo(a: SimAccount): AccountInfo {
  return {
    accountId: a.id,
    displayName: a.displayName,
    owner: a.owner,
    privileged: a.privileged,
    privilegedBy: a.privileged ? ['privileged in the simulated directory'] : [],
    groups: a.groups,
    policies: a.policies,
    mfa: a.mfa,
    lastSignIn: a.lastSignIn ? a.lastSignIn.toISOString() : null,
    status: a.status,
    known: true,
  };
}

export async function requireResource(q: Sql, id: string): Promise<SimResource> {
  const rows = await q.query<SimResource[]>(`SELECT ${RESOURCE_COLUMNS} FROM sim_resources WHERE id = $1`, [id]);
  if (!rows[0]) throw providerError(ProviderErrorType.NotFound, `Resource '${id}' is not in the simulated fleet.`);
  return rows[0];
}

export function snapshot(r: SimResource, which: 'baseline' | 'current'): ConfigSnapshot {
  return { resourceId: r.id, kind: r.kind, settings: r[which], at: new Date().toISOString() };
}

/** Stable, short vendor-style ids derived from the idempotency key. */
export function shortHash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 10);
}

/** `ON CONFLICT` for setup writes: tests and game days overwrite, seeding never does. */
function onConflict(overwrite: boolean, key: string, columns: string[]): string {
  return overwrite ? `ON CONFLICT (${key}) DO UPDATE SET ${columns.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}` : 'ON CONFLICT DO NOTHING';
}

/** Each put returns true when it wrote a row. */
export async function putHost(q: Sql, h: FleetHost, overwrite: boolean): Promise<boolean> {
  const columns = ['hostname', 'owner', 'environment', 'criticality', 'tags', 'isolated', 'online', 'image', 'patches', 'updated_at'];
  const rows = await q.query<unknown[]>(
    `INSERT INTO sim_hosts (id, ${columns.join(', ')}) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10::jsonb, now())
     ${onConflict(overwrite, 'id', columns)} RETURNING id`,
    [h.id, h.hostname ?? h.id, h.owner, h.environment, h.criticality, JSON.stringify(h.tags), h.isolated, h.online, h.image, JSON.stringify(h.patches)],
  );
  return rows.length > 0;
}

export async function putCredential(q: Sql, c: Omit<FleetCredential, 'usage'>, overwrite: boolean): Promise<boolean> {
  const columns = ['type', 'fingerprint', 'last4', 'owner', 'shared', 'scope', 'dependents', 'status', 'updated_at'];
  const rows = await q.query<unknown[]>(
    `INSERT INTO sim_credentials (id, ${columns.join(', ')}) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, now())
     ${onConflict(overwrite, 'id', columns)} RETURNING id`,
    [c.id, c.type, c.fingerprint ?? null, c.last4, c.owner, c.shared, JSON.stringify(c.scope), JSON.stringify(c.dependents), c.status],
  );
  return rows.length > 0;
}

export async function putAccount(q: Sql, a: FleetAccount, overwrite: boolean): Promise<boolean> {
  const columns = ['display_name', 'owner', 'privileged', 'groups', 'policies', 'mfa', 'last_sign_in', 'status', 'password', 'sessions', 'keys', 'updated_at'];
  const rows = await q.query<unknown[]>(
    `INSERT INTO sim_accounts (id, ${columns.join(', ')}) VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9, $10, $11, $12::jsonb, now())
     ${onConflict(overwrite, 'id', columns)} RETURNING id`,
    [a.id, a.displayName ?? a.id, a.owner, a.privileged, JSON.stringify(a.groups), JSON.stringify(a.policies), a.mfa, a.lastSignIn ?? null, a.status, a.password, a.sessions, JSON.stringify(a.keys)],
  );
  return rows.length > 0;
}

/** Usage rows have no natural key: when not overwriting, an identical row is not added twice. */
export async function putUsage(q: Sql, credentialId: string, u: FleetUsage, overwrite: boolean): Promise<boolean> {
  const rows = await q.query<unknown[]>(
    `INSERT INTO sim_credential_usage (credential_id, at, action, source_ip, unusual)
     SELECT $1::text, $2::timestamptz, $3::text, $4::text, $5::boolean WHERE $6::boolean OR NOT EXISTS (
       SELECT 1 FROM sim_credential_usage WHERE credential_id = $1 AND at = $2 AND action = $3 AND source_ip = $4)
     RETURNING id`,
    [credentialId, u.at, u.action, u.sourceIp, u.unusual, overwrite],
  );
  return rows.length > 0;
}

export async function putResource(q: Sql, r: FleetResource, overwrite: boolean): Promise<boolean> {
  const columns = ['kind', 'baseline', 'current', 'quarantined', 'updated_at'];
  const rows = await q.query<unknown[]>(
    `INSERT INTO sim_resources (id, ${columns.join(', ')}) VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, now()) ${onConflict(overwrite, 'id', columns)} RETURNING id`,
    [r.id, r.kind, JSON.stringify(r.baseline), JSON.stringify(r.current ?? r.baseline), r.quarantined],
  );
  return rows.length > 0;
}

export async function putPatch(q: Sql, p: FleetPatch, overwrite: boolean): Promise<boolean> {
  const rows = await q.query<unknown[]>(
    `INSERT INTO sim_patches (id, breaks_sli, degraded_value) VALUES ($1, $2, $3) ${onConflict(overwrite, 'id', ['breaks_sli', 'degraded_value'])} RETURNING id`,
    [p.id, p.breaksSli ?? null, p.degradedValue ?? null],
  );
  return rows.length > 0;
}

export async function putSli(q: Sql, name: string, value: number, overwrite: boolean): Promise<boolean> {
  const rows = await q.query<unknown[]>(`INSERT INTO sim_slis (name, value) VALUES ($1, $2) ${onConflict(overwrite, 'name', ['value'])} RETURNING name`, [name, value]);
  return rows.length > 0;
}

/** `WHERE` for an inspection filter: only the fields given, each an equality. */
export function where(filter: Record<string, string | undefined>, columns: Record<string, string>): { sql: string; params: string[] } {
  const params: string[] = [];
  const clauses: string[] = [];
  for (const [field, column] of Object.entries(columns)) {
    const value = filter[field];
    if (value === undefined) continue;
    params.push(value);
    clauses.push(`${column} = $${params.length}`);
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}
