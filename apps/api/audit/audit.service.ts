import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface AuditEntry {
  actor: string;
  action: string;
  target: string;
  reason?: string;
  detail?: Record<string, unknown>;
}

/** Mutating calls that have no incident timeline to land on (tokens, suppressions). */
@Injectable()
export class AuditService {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.db.query(`INSERT INTO audit_log (actor, action, target, reason, detail) VALUES ($1, $2, $3, $4, $5)`, [
      entry.actor,
      entry.action,
      entry.target,
      entry.reason ?? null,
      JSON.stringify(entry.detail ?? {}),
    ]);
  }

  async recent(limit = 100): Promise<(AuditEntry & { id: string; at: Date })[]> {
    return this.db.query(`SELECT id::text, at, actor, action, target, reason, detail FROM audit_log ORDER BY id DESC LIMIT $1`, [limit]);
  }
}
