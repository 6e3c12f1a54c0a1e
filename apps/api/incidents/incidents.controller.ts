import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AllowStreamTicket, CurrentCaller, RequireRole } from '../auth/auth.decorators';
import { ApiErrors } from '../common/openapi/api-errors';
import { ApiIdParam, ApiZodResponse } from '../common/openapi/api-decorators';
import { StreamTickets } from '../tokens/stream-tickets.service';
import { TokensService } from '../tokens/tokens.service';
import { PeopleDirectory } from '../common/people.directory';
import type { Caller } from '../auth/roles';
import { AcknowledgeIncidentDto } from './dto/acknowledge-incident.dto';
import { AssignIncidentDto, ReassignIncidentDto } from './dto/assign-incident.dto';
import { NoteIncidentDto } from './dto/note-incident.dto';
import { UpdateIncidentDto } from './dto/update-incident.dto';
import { CancelIncidentDto } from './dto/cancel-incident.dto';
import { CreateIncidentDto } from './dto/create-incident.dto';
import { ResolveIncidentDto } from './dto/resolve-incident.dto';
import { TimelineQueryDto } from './dto/timeline-query.dto';
import { ListIncidentsDto } from './dto/list-incidents.dto';
import {
  incidentAcknowledgedSchema,
  incidentAssignedSchema,
  incidentNotedSchema,
  incidentUpdatedSchema,
  incidentCancellingSchema,
  incidentDetailSchema,
  incidentListSchema,
  incidentResolvingSchema,
  incidentStartedSchema,
  redispatchedSchema,
  streamTicketSchema,
  TIMELINE_STREAM_EVENT,
  timelinePageSchema,
} from './dto/incident-responses.dto';
import { IncidentsService } from './incidents.service';
import { IncidentLinksService } from './incident-links.service';
import { LinkIncidentDto } from './dto/link-incident.dto';
import { MergeIncidentDto } from './dto/merge-incident.dto';
import { incidentLinkedSchema, incidentMergedSchema } from './dto/incident-links.dto';
import { TimelineHub } from './timeline-hub';
import { streamTimeline } from './timeline-stream';

const ID = 'The incident id (GET /incidents lists them).';
const NOT_FOUND = { 400: ['invalid_incident_id'], 404: ['incident_not_found'] } as const;
/** A stop asked of the playbook through Temporal. */
const STOP_ERRORS = { ...NOT_FOUND, 409: ['incident_closed', 'playbook_not_running'], 503: ['temporal_unavailable'] } as const;

@ApiTags('incidents')
@Controller('incidents')
export class IncidentsController {
  constructor(
    @Inject(IncidentsService) private readonly incidents: IncidentsService,
    @Inject(TokensService) private readonly tokens: TokensService,
    @Inject(StreamTickets) private readonly tickets: StreamTickets,
    @Inject(TimelineHub) private readonly hub: TimelineHub,
    @Inject(IncidentLinksService) private readonly related: IncidentLinksService,
    @Inject(PeopleDirectory) private readonly people: PeopleDirectory,
  ) {}

  @Get()
  @ApiZodResponse(200, incidentListSchema, 'A page of incidents.')
  @ApiErrors({ 400: ['invalid_request', 'invalid_cursor'] })
  @ApiOperation({ summary: 'Incidents, newest first: filter by status, severity, playbook, entity, source, time and owner (assignee=me|<person>, unassigned=true); page with ?cursor=<nextCursor>.' })
  list(@Query() query: ListIncidentsDto, @CurrentCaller() caller: Caller) {
    return this.incidents.list(query, caller);
  }

  @Post()
  @RequireRole('responder')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiZodResponse(202, incidentStartedSchema, 'The incident is recorded and its playbook started.')
  @ApiErrors({ 503: ['temporal_unavailable'] })
  @ApiOperation({
    summary: 'Report an incident by hand (temporary: alert intake through /webhooks replaces it).',
    description: 'Starts the manual-incident playbook; the incident is readable once the worker has recorded it.',
  })
  async create(@Body() dto: CreateIncidentDto, @CurrentCaller() caller: Caller) {
    const { incidentId, workflowId } = await this.incidents.create(dto, this.people.personOf(caller));
    return {
      incidentId,
      workflowId,
      links: { incident: `/incidents/${incidentId}`, timeline: `/incidents/${incidentId}/timeline` },
    };
  }

  @Get(':id')
  @ApiIdParam('id', ID)
  @ApiZodResponse(200, incidentDetailSchema, 'The incident.')
  @ApiErrors(NOT_FOUND)
  @ApiOperation({
    summary: "An incident's projection (status, playbook, severity, entity, times), with its playbook's live state while it runs.",
    description: "`live` is the workflow's state query (current step, pending gates, counts); `liveStatus` is running, closed, or unreachable (Temporal, or the playbook's worker, did not answer the state query: the projection alone, and `liveReason` says why).",
  })
  async get(@Param('id') id: string) {
    const incident = await this.incidents.describe(id);
    return { ...incident, links: await this.related.links(id) };
  }

  @Patch(':id')
  @RequireRole('responder')
  @ApiIdParam('id', ID)
  @ApiZodResponse(200, incidentUpdatedSchema, 'What changed.')
  @ApiErrors({ ...NOT_FOUND, 400: ['invalid_incident_id', 'invalid_request'] })
  @ApiOperation({
    summary: 'Change tags, severity or title by hand, with a reason: each change is on the timeline (incident.updated) with who and why.',
    description: '`tags` replaces the whole set. Severity may go up or down; a playbook still only raises it from there.',
  })
  update(@Param('id') id: string, @Body() dto: UpdateIncidentDto, @CurrentCaller() caller: Caller) {
    return this.incidents.update(id, dto, this.people.personOf(caller));
  }

  @Post(':id/acknowledge')
  @RequireRole('responder')
  @HttpCode(HttpStatus.OK)
  @ApiIdParam('id', ID)
  @ApiZodResponse(200, incidentAcknowledgedSchema, 'Who acknowledged it first, and how many pages this request acknowledges at their vendor.')
  @ApiErrors({ ...NOT_FOUND, 409: ['incident_closed'] })
  @ApiOperation({
    summary: 'Acknowledge an incident: a responder takes it; its page is acknowledged at the vendor (PagerDuty) and the timeline says who.',
    description: 'The first acknowledge counts (per paging round: a reopened incident pages and can be acknowledged again); a later one answers who was first and changes nothing.',
  })
  acknowledge(@Param('id') id: string, @Body() dto: AcknowledgeIncidentDto, @CurrentCaller() caller: Caller) {
    return this.incidents.acknowledge(id, dto, this.people.personOf(caller));
  }

  @Post(':id/assign')
  @RequireRole('responder')
  @HttpCode(HttpStatus.OK)
  @ApiIdParam('id', ID)
  @ApiZodResponse(200, incidentAssignedSchema, 'Who owns it now, and who did before.')
  @ApiErrors({ 400: ['invalid_incident_id', 'invalid_request', 'unknown_assignee', 'assignee_disabled'], 404: ['incident_not_found'], 409: ['incident_closed'] })
  @ApiOperation({ summary: 'Give an open incident to a person of runbooks/people.yaml; the timeline says who gave it to whom, and why.' })
  assign(@Param('id') id: string, @Body() dto: AssignIncidentDto, @CurrentCaller() caller: Caller) {
    return this.incidents.assign(id, dto, this.people.personOf(caller));
  }

  @Post(':id/take')
  @RequireRole('responder')
  @HttpCode(HttpStatus.OK)
  @ApiIdParam('id', ID)
  @ApiZodResponse(200, incidentAssignedSchema, 'It is yours now.')
  @ApiErrors({ ...NOT_FOUND, 403: ['unknown_person', 'person_disabled'], 409: ['incident_closed'] })
  @ApiOperation({ summary: "Take an open incident: assign it to the person the token names (a people.yaml person)." })
  take(@Param('id') id: string, @Body() dto: ReassignIncidentDto, @CurrentCaller() caller: Caller) {
    return this.incidents.take(id, dto, this.people.require(caller.name, 'token name').id);
  }

  @Post(':id/unassign')
  @RequireRole('responder')
  @HttpCode(HttpStatus.OK)
  @ApiIdParam('id', ID)
  @ApiZodResponse(200, incidentAssignedSchema, 'Nobody owns it now.')
  @ApiErrors({ ...NOT_FOUND, 409: ['incident_closed'] })
  @ApiOperation({ summary: 'Give an open incident back to nobody (it shows under unassigned=true again).' })
  unassign(@Param('id') id: string, @Body() dto: ReassignIncidentDto, @CurrentCaller() caller: Caller) {
    return this.incidents.unassign(id, dto, this.people.personOf(caller));
  }

  @Post(':id/notes')
  @RequireRole('responder')
  @HttpCode(HttpStatus.CREATED)
  @ApiIdParam('id', ID)
  @ApiZodResponse(201, incidentNotedSchema, 'The note is on the timeline.')
  @ApiErrors(NOT_FOUND)
  @ApiOperation({
    summary: 'Write a note on an incident (open or closed): on its timeline as incident.note with its author and time, and in its postmortem.',
    description: 'Markdown, kept and shown as text; secrets are redacted as in alert text. Append-only: a note is never edited or removed.',
  })
  note(@Param('id') id: string, @Body() dto: NoteIncidentDto, @CurrentCaller() caller: Caller) {
    return this.incidents.note(id, dto, this.people.personOf(caller));
  }

  @Post(':id/resolve')
  @RequireRole('responder')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiIdParam('id', ID)
  @ApiZodResponse(202, incidentResolvingSchema, 'The playbook was asked to resolve it.')
  @ApiErrors(STOP_ERRORS)
  @ApiOperation({ summary: 'Resolve an incident with a reason; its playbook records it and closes the incident.' })
  resolve(@Param('id') id: string, @Body() dto: ResolveIncidentDto, @CurrentCaller() caller: Caller) {
    return this.incidents.resolve(id, dto, this.people.personOf(caller));
  }

  @Post(':id/cancel')
  @RequireRole('responder')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiIdParam('id', ID)
  @ApiZodResponse(202, incidentCancellingSchema, 'The playbook stops: at once, or once another approver approves undoing containment.')
  @ApiErrors(STOP_ERRORS)
  @ApiOperation({ summary: 'Cancel an incident (a false positive): its playbook stops, undoes what it changed and closes the incident as cancelled.' })
  cancel(@Param('id') id: string, @Body() dto: CancelIncidentDto, @CurrentCaller() caller: Caller) {
    return this.incidents.cancel(id, dto, this.people.personOf(caller));
  }

  @Post(':id/redispatch')
  @RequireRole('admin')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiIdParam('id', ID)
  @ApiZodResponse(202, redispatchedSchema, 'How many set-aside alerts went back to the inbox.')
  @ApiErrors(NOT_FOUND)
  @ApiOperation({
    summary: "Send an incident's set-aside alerts to its playbook again.",
    description:
      'Alerts Temporal refused for good (GET /incidents/:id shows them under `dispatch`, with the error) wait until the cause is fixed; this puts them back in the inbox. Answers how many.',
  })
  redispatch(@Param('id') id: string, @CurrentCaller() caller: Caller) {
    return this.incidents.redispatch(id, this.people.personOf(caller));
  }

  @Post(':id/links')
  @RequireRole('responder')
  @HttpCode(HttpStatus.OK)
  @ApiIdParam('id', ID)
  @ApiZodResponse(200, incidentLinkedSchema, 'Linked (or already linked: `created: false`).')
  @ApiErrors({ 400: ['invalid_incident_id', 'invalid_request', 'self_link', 'named_incident_not_found'], 404: ['incident_not_found'] })
  @ApiOperation({
    summary: 'Link two incidents (related, caused-by, causes): both timelines say so, and GET /incidents/:id lists the link on both.',
  })
  link(@Param('id') id: string, @Body() dto: LinkIncidentDto, @CurrentCaller() caller: Caller) {
    return this.related.link(id, dto, this.people.personOf(caller));
  }

  @Post(':id/merge')
  @RequireRole('responder')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiIdParam('id', ID)
  @ApiZodResponse(202, incidentMergedSchema, 'Merged: its alerts moved; its playbook is stopping.')
  @ApiErrors({
    400: ['invalid_incident_id', 'invalid_request', 'self_merge', 'named_incident_not_found'],
    404: ['incident_not_found'],
    409: ['incident_closed', 'already_merged', 'survivor_closed'],
    503: ['temporal_unavailable'],
  })
  @ApiOperation({
    summary: 'Merge a duplicate into another incident: its alerts move to the survivor, its playbook stops (undoing what it did only with undo: true), and it closes pointing at the survivor.',
    description:
      "The survivor's playbook receives the alerts as merged alerts; later alerts for the duplicate's entity go to the survivor while it is open. Both timelines say so. " +
      'Sent again after a 503, it records nothing twice and asks the playbook to stop again.',
  })
  merge(@Param('id') id: string, @Body() dto: MergeIncidentDto, @CurrentCaller() caller: Caller) {
    return this.related.merge(id, dto, this.people.personOf(caller));
  }

  @Get(':id/timeline')
  @ApiProduces('application/json', 'application/x-ndjson')
  @ApiIdParam('id', ID)
  @ApiZodResponse(200, timelinePageSchema, 'JSON, or with ?format=ndjson one event per line.', {
    'X-Next-Cursor': { description: 'ndjson only: ?after= for the next page, when there is one.', required: false, schema: { type: 'integer' } },
  })
  @ApiErrors({ 400: ['invalid_incident_id', 'invalid_request'], 404: ['incident_not_found'] })
  @ApiOperation({ summary: "An incident's timeline, oldest first; page with ?after=<nextCursor>; ?format=ndjson for one event per line (next cursor in X-Next-Cursor)." })
  async timeline(@Param('id') id: string, @Query() query: TimelineQueryDto, @Res({ passthrough: true }) res: FastifyReply) {
    const page = await this.incidents.timelineOf(id, query);
    if (query.format === 'json') return page;
    void res.header('Content-Type', 'application/x-ndjson; charset=utf-8');
    if (page.nextCursor !== null) void res.header('X-Next-Cursor', String(page.nextCursor));
    return page.events.map((e) => `${JSON.stringify(e)}\n`).join('');
  }

  @Post(':id/timeline/stream-tickets')
  @HttpCode(HttpStatus.CREATED)
  @ApiIdParam('id', ID)
  @ApiZodResponse(201, streamTicketSchema, 'A ticket for one stream of this incident.')
  @ApiErrors(NOT_FOUND)
  @ApiOperation({
    summary: 'A stream ticket: opens GET /incidents/:id/timeline/stream?ticket= once, within 30 seconds, for this incident only.',
    description: 'For a browser EventSource, which cannot send an Authorization header: the API token never goes in a URL.',
  })
  async streamTicket(@Param('id') id: string, @CurrentCaller() caller: Caller) {
    await this.incidents.get(id);
    const { ticket, expiresAt } = await this.tickets.issue(caller, id);
    return { ticket, expiresAt, url: `/incidents/${id}/timeline/stream?ticket=${ticket}` };
  }

  @Get(':id/timeline/stream')
  @AllowStreamTicket()
  @ApiProduces('text/event-stream')
  @ApiIdParam('id', ID)
  @ApiResponse({ status: 200, schema: TIMELINE_STREAM_EVENT, description: 'Server-sent events: `event: timeline`, `id: <sequence>`, `data: <the event as JSON>`; `event: problem` when the stream cannot go on.' })
  @ApiErrors({ 400: ['invalid_incident_id', 'invalid_request'], 404: ['incident_not_found'], 429: ['too_many_streams'] })
  @ApiOperation({
    summary: "The timeline live, as server-sent events (event `timeline`, id = sequence); resumes after ?after= or Last-Event-ID.",
    description:
      'Authorization: Bearer <token>, or (a browser EventSource, which cannot set headers) ?ticket= from POST /incidents/:id/timeline/stream-tickets. ' +
      '429 too_many_streams past the streams a token (PALISADE_STREAMS_PER_TOKEN) or the process (PALISADE_STREAMS_MAX) may hold.',
  })
  async stream(@Param('id') id: string, @Query() query: TimelineQueryDto, @Req() req: FastifyRequest, @Res() res: FastifyReply, @CurrentCaller() caller: Caller) {
    await this.incidents.get(id); // 400/404 as JSON before the stream starts
    let release: () => void;
    try {
      release = this.hub.admit(caller);
    } catch (err) {
      void res.header('Retry-After', '10');
      throw err;
    }
    res.hijack();
    streamTimeline(req.raw, res.raw, query.after, {
      eventsAfter: (after, limit) => this.incidents.eventsAfter(id, after, limit),
      follow: (listener, onFailure) => this.hub.follow(id, listener, onFailure),
      // A token revoked or expired while its stream is open stops receiving within a few seconds.
      stillAllowed: () => this.tokens.isActive(caller.tokenId),
      onClose: release,
    });
  }
}
