import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ErrorBody } from '../../../lib/errors';
import type { Redactor } from '../../../lib/intake/redact';
import { ApiError } from '../common/error.filter';
import { REDACTOR } from '../webhooks/webhooks.tokens';
import type { LinkIncidentDto } from './dto/link-incident.dto';
import type { MergeIncidentDto } from './dto/merge-incident.dto';
import { assertUuid, IncidentsService } from './incidents.service';
import { linkIncidents, linksOf, type IncidentLink, type Linked } from './link-incidents';
import { closeUnstartedDuplicate, recordMerge } from './merge-incident';

export type Merged = {
  incidentId: string;
  into: string;
  alertsMoved: number;
  /** stopping: its playbook was asked to stop (and undo, with `undo`); closed: it had no running playbook and is resolved here; awaiting-approval: the undo waits at `gateId`. */
  status: 'stopping' | 'closed' | 'awaiting-approval';
  gateId?: string;
};

/** Related incidents: links, and merging a duplicate into the incident that stays. */
@Injectable()
export class IncidentLinksService {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(IncidentsService) private readonly incidents: IncidentsService,
    @Inject(REDACTOR) private readonly redactor: Redactor,
  ) {}

  async links(id: string): Promise<IncidentLink[]> {
    return linksOf(this.db, id);
  }

  async link(id: string, dto: LinkIncidentDto, by: string): Promise<Linked> {
    const reason = dto.reason === undefined ? null : this.redactor.redactText(dto.reason);
    return this.db.transaction((tx) => linkIncidents(tx, assertUuid(id), assertUuid(dto.incidentId), dto.relation, by, reason));
  }

  /**
   * Merges a duplicate: recorded first (its alerts move, both timelines say so), then its
   * playbook is stopped, by a resolve (nothing undone) or, with `undo`, a cancel (undone as a
   * cancel would; containment may wait for an approver). A retry after a failed stop records
   * nothing twice and asks again.
   */
  async merge(id: string, dto: MergeIncidentDto, by: string): Promise<Merged> {
    const reason = this.redactor.redactText(dto.reason);
    const recorded = await recordMerge(this.db, assertUuid(id), assertUuid(dto.into), by, reason, dto.undo);
    const base = { incidentId: id, into: dto.into, alertsMoved: recorded.alertsMoved };
    const why = `duplicate of incident ${dto.into}: ${reason}`;
    try {
      if (!dto.undo) {
        await this.incidents.resolve(id, { classification: 'duplicate', reason: why }, by);
        return { ...base, status: 'stopping' };
      }
      const cancelled = await this.incidents.cancel(id, { classification: 'duplicate', reason: why }, by);
      return cancelled.status === 'awaiting-approval' ? { ...base, status: 'awaiting-approval', gateId: cancelled.gateId } : { ...base, status: 'stopping' };
    } catch (err) {
      const code = err instanceof ApiError ? (err.getResponse() as ErrorBody).error : undefined;
      if (code === 'playbook_not_running') {
        await closeUnstartedDuplicate(this.db, id, dto.into, by);
        return { ...base, status: 'closed' };
      }
      if (code === 'incident_closed') return { ...base, status: 'closed' };
      if (code === 'temporal_unavailable') {
        throw new ApiError(
          HttpStatus.SERVICE_UNAVAILABLE,
          'temporal_unavailable',
          `The merge of incident ${id} into ${dto.into} is recorded (its alerts moved), but Temporal did not take the stop of its playbook.`,
          'Send the same merge again once Temporal answers: it records nothing twice and asks the playbook to stop again.',
        );
      }
      throw err;
    }
  }
}
