import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { MoreThan, Repository } from 'typeorm';
import { IncidentEntity } from '../../../lib/db/entities/incident.entity';
import { TimelineEventEntity } from '../../../lib/db/entities/timeline-event.entity';
import type { PalisadeConfig } from '../../../lib/config/env';
import { SEARCH_ATTRIBUTE } from '../../../lib/temporal/names';
import { MANUAL_INCIDENT, manualIncidentWorkflowId, type ManualIncidentInput } from '../../../workflows/manual-incident/shared';
import { cancelSignal, resolveSignal, type ResolveRequest } from '../../../workflows/shared/messages';
import { ApiError } from '../common/error.filter';
import { PALISADE_CONFIG } from '../config/config.module';
import type { CancelIncidentDto } from './dto/cancel-incident.dto';
import type { CreateIncidentDto } from './dto/create-incident.dto';
import type { ResolveIncidentDto } from './dto/resolve-incident.dto';
import type { TimelineQueryDto } from './dto/timeline-query.dto';

@Injectable()
export class IncidentsService {
  constructor(
    @Inject(Client) private readonly temporal: Client,
    @InjectRepository(IncidentEntity) private readonly incidents: Repository<IncidentEntity>,
    @InjectRepository(TimelineEventEntity) private readonly timeline: Repository<TimelineEventEntity>,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
  ) {}

  /** Starts the manual-incident playbook; the worker writes the projection. */
  async create(dto: CreateIncidentDto): Promise<{ incidentId: string; workflowId: string }> {
    const incidentId = randomUUID();
    const workflowId = manualIncidentWorkflowId(incidentId);
    const input: ManualIncidentInput = {
      incidentId,
      title: dto.title,
      severity: dto.severity,
      entity: dto.entity ?? null,
      reportedBy: dto.reportedBy,
      detectedAt: new Date().toISOString(),
    };
    await this.temporal.workflow.start(MANUAL_INCIDENT.workflowType, {
      taskQueue: this.config.temporal.taskQueue,
      workflowId,
      args: [input],
      memo: { playbook: MANUAL_INCIDENT.playbook, playbookVersion: MANUAL_INCIDENT.version },
      typedSearchAttributes: [
        { key: SEARCH_ATTRIBUTE.playbook, value: MANUAL_INCIDENT.playbook },
        { key: SEARCH_ATTRIBUTE.playbookVersion, value: MANUAL_INCIDENT.version },
        { key: SEARCH_ATTRIBUTE.severity, value: dto.severity },
        { key: SEARCH_ATTRIBUTE.source, value: ['manual'] },
        ...(dto.entity ? [{ key: SEARCH_ATTRIBUTE.entity, value: dto.entity }] : []),
      ],
    });
    return { incidentId, workflowId };
  }

  /** Asks the incident's playbook to resolve it; the workflow records it and updates the projection. */
  async resolve(id: string, dto: ResolveIncidentDto): Promise<{ incidentId: string; status: 'resolving' }> {
    await this.stop(id, resolveSignal, dto, 'resolve');
    return { incidentId: id, status: 'resolving' };
  }

  /** Asks the incident's playbook to stop and undo what it changed (a false positive); it records it and closes the incident. */
  async cancel(id: string, dto: CancelIncidentDto): Promise<{ incidentId: string; status: 'cancelling' }> {
    await this.stop(id, cancelSignal, dto, 'cancel');
    return { incidentId: id, status: 'cancelling' };
  }

  private async stop(id: string, signal: typeof resolveSignal, request: ResolveRequest, verb: 'resolve' | 'cancel'): Promise<void> {
    const incident = await this.get(id);
    if (incident.status === 'resolved' || incident.status === 'cancelled') {
      throw new ApiError(HttpStatus.CONFLICT, 'incident_closed', `Incident ${id} is already ${incident.status}.`, 'Nothing to do; a new alert for its entity opens a new incident.');
    }
    try {
      await this.temporal.workflow.getHandle(incident.workflowId).signal(signal, { reason: request.reason, actor: request.actor, incidentId: incident.id });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        throw new ApiError(HttpStatus.CONFLICT, 'playbook_not_running', `Incident ${id} has no running playbook to ${verb} it.`, 'It may still be waiting in the inbox (see /readyz); retry shortly.');
      }
      throw err;
    }
  }

  async get(id: string): Promise<IncidentEntity> {
    const incident = await this.incidents.findOneBy({ id: assertUuid(id) });
    if (!incident) throw notFound(id);
    return incident;
  }

  async timelineOf(id: string, query: TimelineQueryDto): Promise<{ events: TimelineEventEntity[]; nextCursor: number | null }> {
    await this.get(id);
    const events = await this.timeline.find({
      where: { incidentId: id, sequence: MoreThan(query.after) },
      order: { sequence: 'ASC' },
      take: query.limit,
    });
    const last = events.at(-1);
    return { events, nextCursor: events.length === query.limit && last ? last.sequence : null };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The id as given, or 400 `invalid_incident_id` when it is not a UUID. */
export function assertUuid(id: string): string {
  if (!UUID.test(id)) {
    throw new ApiError(
      HttpStatus.BAD_REQUEST,
      'invalid_incident_id',
      `'${id}' is not an incident id.`,
      'Incident ids are UUIDs, as returned by POST /incidents or GET /incidents.',
    );
  }
  return id;
}

export function notFound(id: string): ApiError {
  return new ApiError(
    HttpStatus.NOT_FOUND,
    'incident_not_found',
    `No incident ${id}.`,
    'Check the id. A just-created incident appears within a second or two, once the worker has recorded it.',
  );
}
