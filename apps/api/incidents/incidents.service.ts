import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { MoreThan, Repository } from 'typeorm';
import { IncidentEntity } from '../../../lib/db/entities/incident.entity';
import { TimelineEventEntity } from '../../../lib/db/entities/timeline-event.entity';
import type { PalisadeConfig } from '../../../lib/config/env';
import { runStartOptions } from '../../../lib/temporal/run-start';
import { boundedKey } from '../../../lib/intake/entity-key';
import type { Catalogue } from '../../../lib/playbooks/catalogue';
import type { PlaybookInput } from '../../../workflows/shared/input';
import { cancelSignal, resolveSignal, stateQuery, type IncidentState, type ResolveRequest } from '../../../workflows/shared/messages';
import { AuditService } from '../audit/audit.service';
import { isUuid } from '../common/openapi/schemas';
import { isTemporalUnreachable, noStateQuery, TEMPORAL_DEADLINE_MS, temporalUnavailable, unreadStateReason } from '../common/temporal-errors';
import { LogThrottle } from '../common/log-throttle';
import type { Redactor } from '../../../lib/intake/redact';
import { ApiError, incidentNotFound } from '../common/error.filter';
import { REDACTOR } from '../webhooks/webhooks.tokens';
import { CATALOGUE, PALISADE_CONFIG } from '../config/config.module';
import { InboxDispatcher } from '../webhooks/inbox-dispatcher.service';
import type { IncidentDispatch } from '../webhooks/inbox-store';
import { milestonesOf } from '../../../lib/postmortem/times';
import type { SlaPolicy } from '../../../lib/sla/policy';
import { judge, nextClock, type SlaClock } from '../../../lib/sla/status';
import { SLA_POLICY } from '../sla/sla.tokens';
import { acknowledgeIncident, type Acknowledged } from './acknowledge';
import { setAssignee, type Assigned } from './assign';
import { addNote, type Noted } from './note';
import { updateIncident, type FieldChange } from './update';
import type { UpdateIncidentDto } from './dto/update-incident.dto';
import type { NoteIncidentDto } from './dto/note-incident.dto';
import { PeopleDirectory } from '../common/people.directory';
import type { Caller } from '../auth/roles';
import type { AssignIncidentDto, ReassignIncidentDto } from './dto/assign-incident.dto';
import type { AcknowledgeIncidentDto } from './dto/acknowledge-incident.dto';
import type { CancelIncidentDto } from './dto/cancel-incident.dto';
import type { CreateIncidentDto } from './dto/create-incident.dto';
import type { ResolveIncidentDto } from './dto/resolve-incident.dto';
import type { ListIncidentsDto } from './dto/list-incidents.dto';
import type { TimelineQueryDto } from './dto/timeline-query.dto';

/** The playbook an incident reported by hand (POST /incidents) runs: workflows/manual-incident/. */
const MANUAL_INCIDENT = 'manual-incident';

/** How long GET /incidents/:id waits for the playbook's live state before answering without it. */
const LIVE_DEADLINE_MS = 2_000;

const log = new Logger('IncidentsService');

/** What GET /incidents/:id says of the playbook's live state: `liveReason` says why it could not be read (null when it could). */
type Live = { live: IncidentState | null; liveStatus: 'running' | 'closed' | 'unreachable'; liveReason: string | null };

@Injectable()
export class IncidentsService {
  constructor(
    @Inject(Client) private readonly temporal: Client,
    @InjectRepository(IncidentEntity) private readonly incidents: Repository<IncidentEntity>,
    @InjectRepository(TimelineEventEntity) private readonly timeline: Repository<TimelineEventEntity>,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
    @Inject(InboxDispatcher) private readonly inbox: InboxDispatcher,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(REDACTOR) private readonly redactor: Redactor,
    @Inject(CATALOGUE) private readonly catalogue: Catalogue,
    @Inject(SLA_POLICY) private readonly sla: SlaPolicy,
    @Inject(PeopleDirectory) private readonly people: PeopleDirectory,
  ) {}

  /** A page refreshed every few seconds asks again and again: its worker's failure is logged once a minute per incident, and when it changes. */
  private readonly queryFailures = new LogThrottle();

  /**
   * Records the incident and starts the manual-incident playbook, on the runner every playbook
   * uses (it waits for a responder to resolve or cancel it). The projection row goes in first
   * (the worker's own insert then changes nothing), so the incident is readable as soon as this
   * answers; if Temporal does not take the run, the row is removed again.
   */
  async create(dto: CreateIncidentDto, reportedBy: string): Promise<{ incidentId: string; workflowId: string }> {
    const playbook = this.catalogue.require(MANUAL_INCIDENT, 'POST /incidents');
    const incidentId = randomUUID();
    const workflowId = `${MANUAL_INCIDENT}:${incidentId}`;
    // What people type is redacted before it reaches Temporal history.
    const title = this.redactor.redactText(dto.title);
    const named = dto.entity ? boundedKey(this.redactor.redactText(dto.entity)) : undefined;
    const input: PlaybookInput = {
      incidentId,
      playbook: playbook.name,
      playbookVersion: playbook.version,
      // A reported incident is its own entity unless the reporter named one (free text: kept as typed).
      entityKey: named ?? `incident:${incidentId}`,
      entity: { kind: 'resource', key: named ?? incidentId, display: named ?? title },
      title,
      severity: dto.severity,
      source: 'manual',
      detectedAt: new Date().toISOString(),
      requestedBy: reportedBy,
      params: {},
      timelineSequence: 0,
    };
    await this.incidents.insert({
      id: incidentId,
      workflowId,
      title: input.title,
      severity: input.severity,
      status: 'open',
      playbook: playbook.name,
      playbookVersion: playbook.version,
      entity: input.entityKey,
      detectedAt: new Date(input.detectedAt),
    });
    try {
      await this.temporal.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () =>
        this.temporal.workflow.start(playbook.workflowType, {
          taskQueue: this.config.temporal.taskQueue,
          workflowId,
          args: [input],
          ...runStartOptions({ incidentId, playbook: playbook.name, playbookVersion: playbook.version, severity: dto.severity, entityKey: input.entityKey, sources: ['manual'] }),
        }),
      );
    } catch (err) {
      // A start that timed out may have landed all the same: then the incident is real.
      if (await this.started(workflowId)) return { incidentId, workflowId };
      // No run, no incident.
      await this.incidents.delete({ id: incidentId });
      if (isTemporalUnreachable(err)) throw temporalUnavailable('Temporal did not take the incident, so none was recorded.', 'Report it again once Temporal is back (GET /readyz shows whether it answers).');
      throw err;
    }
    return { incidentId, workflowId };
  }

  /** Whether a run exists under this workflow id after a start whose answer was lost (a manual incident's id is its own). */
  private async started(workflowId: string): Promise<boolean> {
    try {
      await this.temporal.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => this.temporal.workflow.getHandle(workflowId).describe());
      return true;
    } catch {
      return false;
    }
  }

  /** Asks the incident's playbook to resolve it; the workflow records it and updates the projection. */
  /** A responder takes the incident: on the timeline, and its page acknowledged at the vendor (apps/api/incidents/acknowledge.ts). */
  async acknowledge(id: string, dto: AcknowledgeIncidentDto, actor: string): Promise<Acknowledged> {
    return acknowledgeIncident(this.incidents.manager.connection, assertUuid(id), actor, dto.note === undefined ? undefined : this.redactor.redactText(dto.note));
  }

  // Who acts (`by`, `actor`, `author`, `person`) is a person's people.yaml id, resolved once where
  // the request came in: PeopleDirectory.personOf for an API token, SlackIdentity for a Slack user.

  /** Gives the incident to a person people.yaml knows (apps/api/incidents/assign.ts). */
  async assign(id: string, dto: AssignIncidentDto, by: string): Promise<Assigned> {
    const person = this.people.find(dto.assignee);
    if (!person) {
      throw new ApiError(HttpStatus.BAD_REQUEST, 'unknown_assignee', `assignee: '${dto.assignee}' is not a person Palisade knows.`, 'Name a person of runbooks/people.yaml by their id or email (GET /incidents?assignee=<id> lists what they own).');
    }
    if (person.disabled) {
      throw new ApiError(HttpStatus.BAD_REQUEST, 'assignee_disabled', `assignee: ${person.id} is disabled in runbooks/people.yaml.`, 'Give it to someone on the rota, or ask an admin to remove `disabled: true` from their entry.');
    }
    return setAssignee(this.incidents.manager.connection, assertUuid(id), { assignee: person.id, by, reason: this.redacted(dto.reason), how: 'assign' });
  }

  /** The person takes the incident (a person people.yaml knows: a script's token owns nothing, its caller checks that). */
  async take(id: string, dto: ReassignIncidentDto, person: string): Promise<Assigned> {
    return setAssignee(this.incidents.manager.connection, assertUuid(id), { assignee: person, by: person, reason: this.redacted(dto.reason), how: 'take' });
  }

  async unassign(id: string, dto: ReassignIncidentDto, by: string): Promise<Assigned> {
    return setAssignee(this.incidents.manager.connection, assertUuid(id), { assignee: null, by, reason: this.redacted(dto.reason), how: 'unassign' });
  }

  /** A note on the timeline, redacted as alert text is (apps/api/incidents/note.ts). */
  async note(id: string, dto: NoteIncidentDto, author: string): Promise<Noted> {
    return addNote(this.incidents.manager.connection, assertUuid(id), { text: this.redactor.redactText(dto.text), author });
  }

  /** Tags, severity, title by hand, each change on the timeline (apps/api/incidents/update.ts); the title and reason redacted. */
  async update(id: string, dto: UpdateIncidentDto, by: string): Promise<{ incidentId: string; changes: FieldChange[] }> {
    const edit = { tags: dto.tags, severity: dto.severity, title: dto.title === undefined ? undefined : this.redactor.redactText(dto.title) };
    return updateIncident(this.incidents.manager.connection, assertUuid(id), edit, by, this.redactor.redactText(dto.reason));
  }

  private redacted(text: string | undefined): string | undefined {
    return text === undefined ? undefined : this.redactor.redactText(text);
  }

  async resolve(id: string, dto: ResolveIncidentDto, actor: string): Promise<{ incidentId: string; status: 'resolving' }> {
    await this.stop(id, resolveSignal, { reason: dto.reason, actor, classification: dto.classification }, 'resolve');
    return { incidentId: id, status: 'resolving' };
  }

  /**
   * Asks the incident's playbook to stop and undo what it changed (a false positive); it
   * records it and closes the incident. When that would undo containment (release an isolated
   * host), the undo first waits for another approver at the gate named in the answer.
   */
  async cancel(
    id: string,
    dto: CancelIncidentDto,
    actor: string,
  ): Promise<{ incidentId: string; status: 'cancelling' } | { incidentId: string; status: 'awaiting-approval'; gateId: string; undo: string[]; message: string }> {
    const incident = await this.get(id);
    const { live } = await this.live(incident);
    await this.stop(id, cancelSignal, { reason: dto.reason, actor, classification: dto.classification ?? 'false_positive' }, 'cancel');
    if (!live?.undo) return { incidentId: id, status: 'cancelling' };
    return {
      incidentId: id,
      status: 'awaiting-approval',
      gateId: live.undo.gateId,
      undo: live.undo.steps,
      message: `The playbook stopped. Undoing containment (${live.undo.steps.join(', ')}) waits for another approver at gate ${live.undo.gateId}; until then nothing is undone.`,
    };
  }

  private async stop(id: string, signal: typeof resolveSignal, request: ResolveRequest, verb: 'resolve' | 'cancel'): Promise<void> {
    const incident = await this.get(id);
    if (incident.status === 'resolved' || incident.status === 'cancelled') {
      throw new ApiError(HttpStatus.CONFLICT, 'incident_closed', `Incident ${id} is already ${incident.status}.`, 'Nothing to do; a new alert for its entity opens a new incident.');
    }
    try {
      await this.temporal.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () =>
        this.temporal.workflow.getHandle(incident.workflowId).signal(signal, { reason: this.redactor.redactText(request.reason), actor: request.actor, incidentId: incident.id, classification: request.classification }),
      );
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        throw new ApiError(HttpStatus.CONFLICT, 'playbook_not_running', `Incident ${id} has no running playbook to ${verb} it.`, 'It may still be waiting in the inbox (see /readyz); retry shortly.');
      }
      if (isTemporalUnreachable(err)) throw temporalUnavailable(`Temporal did not take the ${verb} of incident ${id}: nothing changed.`);
      throw err;
    }
  }

  /** Incidents newest first, filtered; the cursor is the last one's id (ties on detectedAt broken by id). */
  async list(q: ListIncidentsDto, caller: Pick<Caller, 'name'>): Promise<{ incidents: (IncidentEntity & { sla: SlaClock | null })[]; nextCursor: string | null }> {
    const qb = this.incidents.createQueryBuilder('i');
    if (q.assignee) qb.andWhere('i.assignee = :assignee', { assignee: q.assignee === 'me' ? this.people.personOf(caller) : this.people.nameOf(q.assignee) });
    if (q.unassigned !== undefined) qb.andWhere(q.unassigned ? 'i.assignee IS NULL' : 'i.assignee IS NOT NULL');
    if (q.status) qb.andWhere('i.status IN (:...status)', { status: q.status });
    if (q.severity) qb.andWhere('i.severity IN (:...severity)', { severity: q.severity });
    if (q.playbook) qb.andWhere('i.playbook IN (:...playbook)', { playbook: q.playbook });
    if (q.entity) qb.andWhere(`i.entity LIKE :entity ESCAPE '\\'`, { entity: likePattern(q.entity) });
    if (q.source) qb.andWhere(':source = ANY(i.sources)', { source: q.source });
    if (q.since) qb.andWhere('i.detected_at >= :since', { since: q.since });
    if (q.until) qb.andWhere('i.detected_at < :until', { until: q.until });
    if (q.cursor) {
      const cursorId = decodeCursor(q.cursor);
      if (!(await this.incidents.existsBy({ id: cursorId }))) {
        throw new ApiError(HttpStatus.BAD_REQUEST, 'invalid_cursor', 'The incident this cursor points after no longer exists.', 'Start again from the newest page (leave cursor out).');
      }
      qb.andWhere('(i.detected_at, i.id) < (SELECT c.detected_at, c.id FROM incidents c WHERE c.id = :cursorId)', { cursorId });
    }
    const rows = await qb.orderBy('i.detected_at', 'DESC').addOrderBy('i.id', 'DESC').limit(q.limit + 1).getMany();
    const page = rows.slice(0, q.limit);
    const now = new Date();
    return { incidents: page.map((i) => ({ ...i, sla: this.clock(i, now) })), nextCursor: rows.length > q.limit ? encodeCursor(page.at(-1)!.id) : null };
  }

  /** An open incident's next SLA target (runbooks/sla.yaml) and the time left to it; null when closed or none applies. */
  private clock(incident: IncidentEntity, now: Date): SlaClock | null {
    if (incident.status === 'resolved' || incident.status === 'cancelled') return null;
    return nextClock(judge(this.sla, incident, milestonesOf(incident, []).times, now), now);
  }

  /**
   * The projection, with the playbook's live `state` while it runs and its alerts not yet
   * handed to the playbook (`dispatch`). When Temporal does not answer in time the
   * projection alone is returned, flagged `liveStatus: 'unreachable'`, with why in `liveReason`.
   */
  async describe(id: string): Promise<IncidentEntity & { sla: SlaClock | null; dispatch: IncidentDispatch } & Live> {
    const incident = await this.get(id);
    const [live, dispatch] = await Promise.all([this.live(incident), this.inbox.incidentDispatch(id)]);
    return { ...incident, sla: this.clock(incident, new Date()), ...live, dispatch };
  }

  private async live(incident: IncidentEntity): Promise<Live> {
    if (incident.status === 'resolved' || incident.status === 'cancelled') return { live: null, liveStatus: 'closed', liveReason: null };
    const handle = this.temporal.workflow.getHandle(incident.workflowId);
    try {
      const live = await this.temporal.withDeadline(Date.now() + LIVE_DEADLINE_MS, async () => {
        const { status } = await handle.describe();
        // undefined: it runs, but keeps no state to query (a playbook without gates, e.g. manual-incident).
        return status.name === 'RUNNING' ? handle.query(stateQuery).catch((err: unknown) => noStateQuery(err) ?? undefined) : null;
      });
      this.queryFailures.forget(incident.id);
      if (live === undefined) return { live: null, liveStatus: 'running', liveReason: null };
      return live && live.incidentId === incident.id ? { live, liveStatus: 'running', liveReason: null } : { live: null, liveStatus: 'closed', liveReason: null };
    } catch (err) {
      // Not started yet (still in the inbox) reads as "not running"; anything else as Temporal unreachable.
      if (err instanceof WorkflowNotFoundError) return { live: null, liveStatus: 'closed', liveReason: null };
      // Its worker failed the query (a handler that throws, a run it cannot replay): not "no state", which would hide its gates.
      const { reason, workerFailed } = unreadStateReason(err, LIVE_DEADLINE_MS);
      if (workerFailed && this.queryFailures.shouldLog(incident.id, reason)) log.warn(`Incident ${incident.id}: ${reason}`);
      return { live: null, liveStatus: 'unreachable', liveReason: reason };
    }
  }

  /** Sends the incident's set-aside alerts to its playbook again, once their cause is fixed (admin). */
  async redispatch(id: string, actor: string): Promise<{ incidentId: string; requeued: number }> {
    await this.get(id);
    const requeued = await this.inbox.redispatch(id);
    await this.audit.record({ actor, action: 'incident.redispatch', target: id, detail: { requeued } });
    return { incidentId: id, requeued };
  }

  async get(id: string): Promise<IncidentEntity> {
    const incident = await this.incidents.findOneBy({ id: assertUuid(id) });
    if (!incident) throw incidentNotFound(id, 'just-created');
    return incident;
  }

  async timelineOf(id: string, query: Pick<TimelineQueryDto, 'after' | 'limit'>): Promise<{ events: TimelineEventEntity[]; nextCursor: number | null }> {
    await this.get(id);
    const events = await this.eventsAfter(id, query.after, query.limit);
    const last = events.at(-1);
    return { events, nextCursor: events.length === query.limit && last ? last.sequence : null };
  }

  /** The sequence of the incident's last event (0 when it has none). */
  async latestSequence(id: string): Promise<number> {
    const [row] = await this.timeline.query<{ max: string | null }[]>(`SELECT max(sequence) AS max FROM timeline_events WHERE incident_id = $1`, [id]);
    return Number(row?.max ?? 0);
  }

  /** Events of an incident after a sequence number, oldest first (the incident is known to exist). */
  eventsAfter(id: string, after: number, limit: number): Promise<TimelineEventEntity[]> {
    return this.timeline.find({ where: { incidentId: id, sequence: MoreThan(after) }, order: { sequence: 'ASC' }, take: limit });
  }
}

/** The id as given, or 400 `invalid_<what>_id` when it is not a UUID. */
export function assertUuid(id: string, what: 'incident' | 'token' = 'incident'): string {
  if (!isUuid(id)) {
    throw new ApiError(
      HttpStatus.BAD_REQUEST,
      `invalid_${what}_id`,
      `'${id}' is not ${what === 'incident' ? 'an incident' : 'a token'} id.`,
      what === 'incident' ? 'Incident ids are UUIDs, as returned by POST /incidents or GET /incidents.' : 'Token ids are UUIDs, as listed by GET /tokens.',
    );
  }
  return id;
}

/** An entity pattern (`*` wildcard) as a LIKE pattern. */
function likePattern(pattern: string): string {
  return pattern.replace(/[\\%_]/g, (c) => `\\${c}`).replaceAll('*', '%');
}

const encodeCursor = (id: string) => Buffer.from(id).toString('base64url');

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isUuid(id)) {
    throw new ApiError(HttpStatus.BAD_REQUEST, 'invalid_cursor', 'The cursor is not one this API gave out.', 'Pass nextCursor from the previous page unchanged, or leave it out to start from the newest.');
  }
  return id;
}
