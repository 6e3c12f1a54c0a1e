import { HttpStatus, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { PalisadeConfig } from '../../../lib/config/env';
import { AuditService } from '../audit/audit.service';
import type { Caller, Role } from '../auth/roles';
import { ApiError } from '../common/error.filter';
import { PALISADE_CONFIG } from '../config/config.module';
import { assertUuid } from '../incidents/incidents.service';

export interface TokenView {
  id: string;
  name: string;
  role: Role;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

interface TokenRow {
  id: string;
  name: string;
  role: Role;
  created_by: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

/** How long a looked-up token is believed before Postgres is asked again (revocation on other replicas). */
const CACHE_MS = 10_000;
/** last_used_at is written at most this often per token. */
const TOUCH_MS = 60_000;

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
const view = (r: TokenRow): TokenView => ({
  id: r.id,
  name: r.name,
  role: r.role,
  createdBy: r.created_by,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

/** API tokens: random, shown once, kept only as their SHA-256. */
@Injectable()
export class TokensService implements OnApplicationBootstrap {
  private readonly log = new Logger('Tokens');
  private readonly cache = new Map<string, { caller: Caller; at: number }>();
  private readonly touched = new Map<string, number>();

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  /** PALISADE_BOOTSTRAP_TOKEN becomes an admin token the first time the engine starts (while no admin exists). */
  async onApplicationBootstrap(): Promise<void> {
    const token = this.config.api.bootstrapToken;
    if (!token) return;
    const rows = await this.db.query<{ id: string }[]>(
      `INSERT INTO api_tokens (id, name, role, token_sha256, created_by)
       SELECT $1, 'bootstrap', 'admin', $2, 'PALISADE_BOOTSTRAP_TOKEN'
       WHERE NOT EXISTS (SELECT 1 FROM api_tokens WHERE role = 'admin' AND revoked_at IS NULL)
       ON CONFLICT (token_sha256) DO NOTHING
       RETURNING id`,
      [randomUUID(), sha256(token)],
    );
    if (rows.length > 0) {
      await this.audit.record({ actor: 'PALISADE_BOOTSTRAP_TOKEN', action: 'token.created', target: `token:${rows[0].id}`, detail: { name: 'bootstrap', role: 'admin' } });
      this.log.log('PALISADE_BOOTSTRAP_TOKEN seeded the first admin token.');
    }
  }

  async create(name: string, role: Role, by: Caller): Promise<TokenView & { token: string }> {
    const token = `pal_${randomBytes(32).toString('base64url')}`;
    const [row] = await this.db.query<TokenRow[]>(
      `INSERT INTO api_tokens (id, name, role, token_sha256, created_by) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, name, role, created_by, created_at, last_used_at, revoked_at`,
      [randomUUID(), name, role, sha256(token), by.name],
    );
    await this.audit.record({ actor: by.name, action: 'token.created', target: `token:${row.id}`, detail: { name, role } });
    return { ...view(row), token };
  }

  async list(): Promise<TokenView[]> {
    const rows = await this.db.query<TokenRow[]>(
      `SELECT id, name, role, created_by, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY created_at DESC`,
    );
    return rows.map(view);
  }

  async revoke(id: string, by: Caller, reason: string | undefined): Promise<TokenView> {
    const rows = await this.db.query<TokenRow[]>(
      `WITH revoked AS (
         UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()), revoked_by = COALESCE(revoked_by, $2) WHERE id = $1
         RETURNING id, name, role, created_by, created_at, last_used_at, revoked_at, token_sha256)
       SELECT * FROM revoked`,
      [assertUuid(id, 'token'), by.name],
    );
    if (rows.length === 0) throw new ApiError(HttpStatus.NOT_FOUND, 'token_not_found', `No API token ${id}.`, 'GET /tokens lists them.');
    this.cache.clear();
    await this.audit.record({ actor: by.name, action: 'token.revoked', target: `token:${id}`, reason, detail: { name: rows[0].name, role: rows[0].role } });
    return view(rows[0]);
  }

  /** Whether a token is still valid (long-lived streams ask again now and then). */
  async isActive(tokenId: string): Promise<boolean> {
    const rows = await this.db.query<unknown[]>(`SELECT 1 FROM api_tokens WHERE id = $1 AND revoked_at IS NULL`, [tokenId]);
    return rows.length > 0;
  }

  /** The caller a presented token stands for, or null when it is unknown or revoked. */
  async authenticate(token: string): Promise<Caller | null> {
    const hash = sha256(token);
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && now - cached.at < CACHE_MS) return cached.caller;
    const [row] = await this.db.query<{ id: string; name: string; role: Role }[]>(
      `SELECT id, name, role FROM api_tokens WHERE token_sha256 = $1 AND revoked_at IS NULL`,
      [hash],
    );
    const caller = row ? { tokenId: row.id, name: row.name, role: row.role } : null;
    // Only known tokens are cached: random ones sprayed at the API cannot evict them.
    if (caller) {
      if (this.cache.size >= 10_000) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(hash, { caller, at: now });
    }
    if (caller && now - (this.touched.get(caller.tokenId) ?? 0) > TOUCH_MS) {
      this.touched.set(caller.tokenId, now);
      await this.db.query(`UPDATE api_tokens SET last_used_at = now() WHERE id = $1`, [caller.tokenId]);
    }
    return caller;
  }
}
