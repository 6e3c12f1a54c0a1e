import { HttpStatus, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { PalisadeConfig } from '../../../lib/config/env';
import { humanDuration } from '../../../lib/duration';
import type { Person } from '../../../lib/people';
import { AuditService } from '../audit/audit.service';
import type { Caller, Role, TokenBinding } from '../auth/roles';
import { ApiError } from '../common/error.filter';
import { disabled, PeopleDirectory } from '../common/people.directory';
import { PALISADE_CONFIG } from '../config/config.module';
import { assertUuid } from '../incidents/incidents.service';
import type { ClaimCourier, ClaimDelivery } from './claim-courier';

export interface TokenView {
  id: string;
  name: string;
  role: Role;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  expiresAt: Date;
  bound: TokenBinding;
  principal: string;
  purpose: Caller['purpose'];
}

interface TokenRow {
  id: string;
  name: string;
  role: Role;
  created_by: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  expires_at: Date;
  bound_via: Exclude<TokenBinding, false> | null;
  principal: string;
  purpose: Caller['purpose'];
}

/** The answer to a presented token. */
export type Authenticated = { caller: Caller } | { expired: { name: string; at: Date } } | undefined;

export interface CreateOptions {
  /** Shorter than the default lifetime (ms); never longer than the maximum. */
  expiresInMs?: number;
  /** `gameday`: the game-day exception (the caller checked the fleet is simulated). */
  purpose?: Caller['purpose'];
}

const COLUMNS = 'id, name, role, created_by, created_at, last_used_at, revoked_at, expires_at, bound_via, principal, purpose';
/** How long a looked-up token is believed before Postgres is asked again (revocation on other replicas). */
const CACHE_MS = 1_000;
/** last_used_at is written at most this often per token. */
const TOUCH_MS = 60_000;
/** How long the person a token names has to claim it. */
const CLAIM_MS = 24 * 3_600_000;
/** A game-day token lasts a game day, not a quarter. */
export const GAMEDAY_MAX_MS = 24 * 3_600_000;

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const newToken = () => `pal_${randomBytes(32).toString('base64url')}`;
const view = (r: TokenRow): TokenView => ({
  id: r.id,
  name: r.name,
  role: r.role,
  createdBy: r.created_by,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
  expiresAt: r.expires_at,
  bound: r.bound_via ?? false,
  principal: r.principal,
  purpose: r.purpose,
});
const callerOf = (r: TokenRow): Caller => ({
  tokenId: r.id,
  name: r.name,
  role: r.role,
  bound: r.bound_via ?? false,
  principal: r.principal,
  createdBy: r.created_by,
  purpose: r.purpose,
  expiresAt: r.expires_at,
});

/**
 * API tokens: random, shown once, kept only as their SHA-256, expiring. A token made for
 * someone else answers to its maker until the person it names claims it with the code Palisade
 * sends them (README "Tokens and roles").
 */
@Injectable()
export class TokensService implements OnApplicationBootstrap {
  private readonly log = new Logger('Tokens');
  private readonly cache = new Map<string, { row: TokenRow; at: number }>();
  private readonly touched = new Map<string, number>();
  private readonly active = new Map<string, { ok: boolean; at: number }>();
  private courier: ClaimCourier | undefined;

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(PeopleDirectory) private readonly people: PeopleDirectory,
  ) {}

  /** Slack, when connected, carries claim codes to people. */
  useClaimCourier(courier: ClaimCourier): void {
    this.courier = courier;
  }

  /**
   * PALISADE_BOOTSTRAP_TOKEN becomes an admin token while no valid (unrevoked, unexpired) admin
   * token exists. A value used before is never seeded again: rotate by setting a new one.
   */
  async onApplicationBootstrap(): Promise<void> {
    const token = this.config.api.bootstrapToken;
    if (!token) return;
    const rows = await this.db.query<{ id: string }[]>(
      `INSERT INTO api_tokens (id, name, role, token_sha256, created_by, principal, bound_via, bound_at, expires_at)
       SELECT $1, 'bootstrap', 'admin', $2, 'PALISADE_BOOTSTRAP_TOKEN', 'bootstrap', 'bootstrap', now(), now() + $3 * interval '1 millisecond'
       WHERE NOT EXISTS (SELECT 1 FROM api_tokens WHERE role = 'admin' AND revoked_at IS NULL AND expires_at > now())
       ON CONFLICT (token_sha256) DO NOTHING
       RETURNING id`,
      [randomUUID(), sha256(token), this.config.api.tokenTtlMs],
    );
    if (rows.length > 0) {
      await this.audit.record({ actor: 'PALISADE_BOOTSTRAP_TOKEN', action: 'token.created', target: `token:${rows[0].id}`, detail: { name: 'bootstrap', role: 'admin' } });
      this.log.log(`PALISADE_BOOTSTRAP_TOKEN seeded the first admin token (valid ${humanDuration(this.config.api.tokenTtlMs)}).`);
      return;
    }
    const [seen] = await this.db.query<{ revoked_at: Date | null; expires_at: Date }[]>(`SELECT revoked_at, expires_at FROM api_tokens WHERE token_sha256 = $1`, [sha256(token)]);
    if (seen && (seen.revoked_at || seen.expires_at <= new Date())) {
      this.log.warn(`PALISADE_BOOTSTRAP_TOKEN was ${seen.revoked_at ? 'revoked' : 'expired'} and is never seeded again: if no admin token is left, set a new value and restart (README "Tokens and roles").`);
    }
  }

  async create(name: string, role: Role, by: Caller, opts: CreateOptions = {}): Promise<TokenView & { token: string; claim: ClaimDelivery }> {
    const purpose = opts.purpose ?? 'person';
    const lifetime = Math.min(opts.expiresInMs ?? this.config.api.tokenTtlMs, purpose === 'gameday' ? GAMEDAY_MAX_MS : this.config.api.tokenMaxTtlMs);
    // Bound when it is a game-day token, or when its person made it with a token of their own.
    const bound: TokenBinding = purpose === 'gameday' ? 'gameday' : by.bound && by.name === name ? 'made' : false;
    const token = newToken();
    const person = bound ? undefined : this.people.find(name);
    const code = person ? `palc_${randomBytes(32).toString('base64url')}` : undefined;
    const [row] = await this.db.query<TokenRow[]>(
      `INSERT INTO api_tokens (id, name, role, token_sha256, created_by, created_by_token, principal, bound_via, bound_at, purpose, expires_at, claim_code_sha256, claim_expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $8::text IS NULL THEN NULL ELSE now() END, $9, now() + $10 * interval '1 millisecond', $11, now() + $12 * interval '1 millisecond')
       RETURNING ${COLUMNS}`,
      [randomUUID(), name, role, sha256(token), by.name, by.tokenId, bound ? name : by.principal, bound || null, purpose, lifetime, code ? sha256(code) : null, CLAIM_MS],
    );
    await this.audit.record({ actor: by.name, action: 'token.created', target: `token:${row.id}`, detail: { name, role, purpose, bound, expiresAt: row.expires_at } });
    const claim: ClaimDelivery = bound ? { status: 'not_needed' } : !person || !code ? { status: 'not_a_person' } : await this.sendClaimCode(row, person, code);
    return { ...view(row), token, claim };
  }

  /**
   * The person a token names claims it with the code Palisade sent them: the token is theirs
   * from now on, under a new secret (the one its maker saw stops working at once here, on other
   * replicas within a second).
   */
  async claim(caller: Caller, code: string): Promise<TokenView & { token: string }> {
    const person = this.people.find(caller.name);
    if (person?.disabled) throw disabled(person);
    const token = newToken();
    const [row] = person
      ? await this.db.query<TokenRow[]>(
          `WITH claimed AS (
             UPDATE api_tokens SET token_sha256 = $3, bound_via = 'claimed', bound_at = now(), principal = name, claim_code_sha256 = NULL, claim_expires_at = NULL
             WHERE id = $1 AND claim_code_sha256 = $2 AND claim_expires_at > now() AND bound_via IS NULL AND revoked_at IS NULL AND expires_at > now()
             RETURNING ${COLUMNS})
           SELECT * FROM claimed`,
          [caller.tokenId, sha256(code), sha256(token)],
        )
      : [];
    if (!row || !person) {
      throw new ApiError(
        HttpStatus.BAD_REQUEST,
        'claim_code_invalid',
        `This claim code does not claim the token '${caller.name}' (${caller.tokenId.slice(0, 8)}): it is wrong, used, older than a day, or for another token${person ? '' : ' (and this token names nobody in runbooks/people.yaml)'}.`,
        'Send the code Palisade sent you in Slack, with the token it names (Authorization: Bearer <that token>); a code works once. An admin can make a new token if it expired.',
      );
    }
    this.cache.clear();
    await this.audit.record({ actor: person.id, action: 'token.claimed', target: `token:${row.id}`, detail: { name: row.name, role: row.role } });
    return { ...view(row), token };
  }

  async list(): Promise<TokenView[]> {
    const rows = await this.db.query<TokenRow[]>(`SELECT ${COLUMNS} FROM api_tokens ORDER BY created_at DESC`);
    return rows.map(view);
  }

  async revoke(id: string, by: Caller, reason: string | undefined): Promise<TokenView> {
    const rows = await this.db.query<TokenRow[]>(
      `WITH revoked AS (
         UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()), revoked_by = COALESCE(revoked_by, $2), claim_code_sha256 = NULL WHERE id = $1
         RETURNING ${COLUMNS})
       SELECT * FROM revoked`,
      [assertUuid(id, 'token'), by.name],
    );
    if (rows.length === 0) throw new ApiError(HttpStatus.NOT_FOUND, 'token_not_found', `No API token ${id}.`, 'GET /tokens lists them.');
    this.cache.clear();
    this.active.delete(id);
    await this.audit.record({ actor: by.name, action: 'token.revoked', target: `token:${id}`, reason, detail: { name: rows[0].name, role: rows[0].role } });
    return view(rows[0]);
  }

  /** Whether a token is still valid (long-lived streams ask again now and then); one answer per token every few seconds. */
  async isActive(tokenId: string): Promise<boolean> {
    const known = this.active.get(tokenId);
    if (known && Date.now() - known.at < 5_000) return known.ok;
    const rows = await this.db.query<unknown[]>(`SELECT 1 FROM api_tokens WHERE id = $1 AND revoked_at IS NULL AND expires_at > now()`, [tokenId]);
    this.active.set(tokenId, { ok: rows.length > 0, at: Date.now() });
    if (this.active.size > 10_000) this.active.delete(this.active.keys().next().value!);
    return rows.length > 0;
  }

  /** The caller a valid token id stands for (a redeemed stream ticket names one). */
  async callerById(tokenId: string): Promise<Authenticated> {
    const [row] = await this.db.query<TokenRow[]>(`SELECT ${COLUMNS} FROM api_tokens WHERE id = $1 AND revoked_at IS NULL`, [tokenId]);
    return row ? this.judge(row) : undefined;
  }

  /** The caller a presented token stands for; `expired` when it is past its time; undefined when unknown or revoked. */
  async authenticate(token: string): Promise<Authenticated> {
    const hash = sha256(token);
    const now = Date.now();
    const cached = this.cache.get(hash);
    let row = cached && now - cached.at < CACHE_MS ? cached.row : undefined;
    if (!row) {
      [row] = await this.db.query<TokenRow[]>(`SELECT ${COLUMNS} FROM api_tokens WHERE token_sha256 = $1 AND revoked_at IS NULL`, [hash]);
      // Only known tokens are cached: random ones sprayed at the API cannot evict them.
      if (row) {
        if (this.cache.size >= 10_000) this.cache.delete(this.cache.keys().next().value!);
        this.cache.set(hash, { row, at: now });
      }
    }
    if (!row) return undefined;
    const judged = this.judge(row);
    if (judged && 'caller' in judged && now - (this.touched.get(row.id) ?? 0) > TOUCH_MS) {
      this.touched.set(row.id, now);
      await this.db.query(`UPDATE api_tokens SET last_used_at = now() WHERE id = $1`, [row.id]);
    }
    return judged;
  }

  private judge(row: TokenRow): Authenticated {
    return new Date(row.expires_at).getTime() <= Date.now() ? { expired: { name: row.name, at: new Date(row.expires_at) } } : { caller: callerOf(row) };
  }

  private async sendClaimCode(row: TokenRow, person: Person, code: string): Promise<ClaimDelivery> {
    const expiresAt = new Date(Date.now() + CLAIM_MS);
    const forget = async (reason: string): Promise<ClaimDelivery> => {
      await this.db.query(`UPDATE api_tokens SET claim_code_sha256 = NULL WHERE id = $1`, [row.id]);
      return { status: 'not_sent', reason };
    };
    if (!this.courier) return forget('Slack is not connected, so the claim code cannot reach them: the token stays its maker’s (README "Tokens and roles").');
    const text = [
      `${row.created_by} made a Palisade API token for you: ${row.id.slice(0, 8)} (${row.role}), valid until ${new Date(row.expires_at).toISOString()}.`,
      `Until you claim it, what it does is counted as ${row.created_by}'s too: it cannot make up a quorum with another token they made.`,
      `Claim it within a day with that token: \`palisade token claim ${code}\` (or POST /tokens/claim {"code": "${code}"}). You get a new secret; the one ${row.created_by} saw stops working.`,
      'If you did not ask for this token, tell your security team.',
    ].join('\n');
    try {
      return { status: 'sent', to: await this.courier.send(person, text), expiresAt };
    } catch (err) {
      this.log.warn(`Claim code for token ${row.id} not sent to ${person.id}: ${(err as Error).message}`);
      return forget(`Slack did not take the message (${(err as Error).message}): the token stays its maker’s; make it again once Slack answers.`);
    }
  }
}
