import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { PalisadeConfig } from '../../../lib/config/env';
import { loadSuppressions, type SuppressionWindow } from '../../../lib/intake/suppressions';
import { AuditService } from '../audit/audit.service';
import { ApiError } from '../common/error.filter';
import { PALISADE_CONFIG } from '../config/config.module';
import type { CreateSuppressionDto } from './dto/create-suppression.dto';
import { suppressionIdSchema } from './dto/suppression-responses.dto';

export interface SuppressionView {
  id: string;
  entityPattern: string;
  startsAt: string;
  endsAt: string;
  reason: string;
  createdBy: string;
  origin: 'api' | 'file';
}

interface Row {
  id: string;
  entity_pattern: string;
  starts_at: Date;
  ends_at: Date;
  reason: string;
  created_by: string;
}

@Injectable()
export class SuppressionsService {
  /** Windows from runbooks/suppressions.yaml, read once at start. */
  readonly fromFile: SuppressionWindow[];

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(PALISADE_CONFIG) config: PalisadeConfig,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {
    this.fromFile = loadSuppressions(config.intake.suppressionsFile);
  }

  async create(dto: CreateSuppressionDto, createdBy: string): Promise<SuppressionView> {
    const id = randomUUID();
    const [row] = await this.db.query<Row[]>(
      `INSERT INTO suppressions (id, entity_pattern, starts_at, ends_at, reason, created_by)
       VALUES ($1, $2, COALESCE($3::timestamptz, now()), $4, $5, $6)
       RETURNING id, entity_pattern, starts_at, ends_at, reason, created_by`,
      [id, dto.entityPattern, dto.startsAt ?? null, dto.endsAt, dto.reason, createdBy],
    );
    await this.audit.record({ actor: createdBy, action: 'suppression.opened', target: `suppression:${id}`, reason: dto.reason, detail: { entityPattern: dto.entityPattern, endsAt: dto.endsAt } });
    return view(row);
  }

  /** Windows open now or later (with `all`, closed and deleted ones too). */
  async list(all: boolean): Promise<SuppressionView[]> {
    const rows = await this.db.query<Row[]>(
      `SELECT id, entity_pattern, starts_at, ends_at, reason, created_by FROM suppressions
       ${all ? '' : 'WHERE deleted_at IS NULL AND ends_at >= now()'} ORDER BY starts_at`,
    );
    const file = this.fromFile
      .filter((w) => all || w.endsAt >= new Date())
      .map((w, i) => ({
        id: `file:${i + 1}`,
        entityPattern: w.entityPattern,
        startsAt: w.startsAt.toISOString(),
        endsAt: w.endsAt.toISOString(),
        reason: w.reason,
        createdBy: w.createdBy,
        origin: 'file' as const,
      }));
    return [...rows.map(view), ...file];
  }

  async remove(id: string, by: string): Promise<{ id: string; deleted: true }> {
    if (!suppressionIdSchema.safeParse(id).success) {
      throw new ApiError(HttpStatus.BAD_REQUEST, 'invalid_suppression_id', `'${id}' is not a suppression id.`, 'Suppression ids are UUIDs, or file:<n> for runbooks/suppressions.yaml; GET /suppressions lists them.');
    }
    if (id.startsWith('file:')) {
      throw new ApiError(HttpStatus.CONFLICT, 'suppression_in_file', `Suppression ${id} comes from runbooks/suppressions.yaml.`, 'Remove it from the file and restart.');
    }
    const rows = await this.db.query<unknown[]>(
      // A CTE, so TypeORM returns the rows (a bare UPDATE … RETURNING answers [rows, count]).
      `WITH closed AS (UPDATE suppressions SET deleted_at = now() WHERE id::text = $1 AND deleted_at IS NULL RETURNING id)
       SELECT id FROM closed`,
      [id],
    );
    if (rows.length === 0) {
      throw new ApiError(HttpStatus.NOT_FOUND, 'suppression_not_found', `No active suppression ${id}.`, 'GET /suppressions lists them.');
    }
    await this.audit.record({ actor: by, action: 'suppression.closed', target: `suppression:${id}` });
    return { id, deleted: true };
  }
}

function view(r: Row): SuppressionView {
  return {
    id: r.id,
    entityPattern: r.entity_pattern,
    startsAt: r.starts_at.toISOString(),
    endsAt: r.ends_at.toISOString(),
    reason: r.reason,
    createdBy: r.created_by,
    origin: 'api',
  };
}
