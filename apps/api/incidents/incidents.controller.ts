import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { AllowQueryToken, CurrentCaller, RequireRole } from '../auth/auth.decorators';
import { TokensService } from '../tokens/tokens.service';
import type { Caller } from '../auth/roles';
import { CancelIncidentDto } from './dto/cancel-incident.dto';
import { CreateIncidentDto } from './dto/create-incident.dto';
import { ResolveIncidentDto } from './dto/resolve-incident.dto';
import { TimelineQueryDto } from './dto/timeline-query.dto';
import { ListIncidentsDto } from './dto/list-incidents.dto';
import { IncidentsService } from './incidents.service';
import { streamTimeline } from './timeline-stream';

@ApiTags('incidents')
@ApiBearerAuth()
@Controller('incidents')
export class IncidentsController {
  constructor(
    @Inject(IncidentsService) private readonly incidents: IncidentsService,
    @Inject(TokensService) private readonly tokens: TokensService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Incidents, newest first: filter by status, severity, playbook, entity, source and time; page with ?cursor=<nextCursor>.' })
  list(@Query() query: ListIncidentsDto) {
    return this.incidents.list(query);
  }

  @Post()
  @RequireRole('responder')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Report an incident by hand (temporary: alert intake through /webhooks replaces it).',
    description: 'Starts the manual-incident playbook; the incident is readable once the worker has recorded it.',
  })
  async create(@Body() dto: CreateIncidentDto, @CurrentCaller() caller: Caller) {
    const { incidentId, workflowId } = await this.incidents.create(dto, caller.name);
    return {
      incidentId,
      workflowId,
      links: { incident: `/incidents/${incidentId}`, timeline: `/incidents/${incidentId}/timeline` },
    };
  }

  @Get(':id')
  @ApiOperation({
    summary: "An incident's projection (status, playbook, severity, entity, times), with its playbook's live state while it runs.",
    description: "`live` is the workflow's state query (current step, pending gates, counts); `liveStatus` is running, closed, or unreachable (Temporal did not answer: the projection alone).",
  })
  get(@Param('id') id: string) {
    return this.incidents.describe(id);
  }

  @Post(':id/resolve')
  @RequireRole('responder')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Resolve an incident with a reason; its playbook records it and closes the incident.' })
  resolve(@Param('id') id: string, @Body() dto: ResolveIncidentDto, @CurrentCaller() caller: Caller) {
    return this.incidents.resolve(id, dto, caller.name);
  }

  @Post(':id/cancel')
  @RequireRole('responder')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Cancel an incident (a false positive): its playbook stops, undoes what it changed and closes the incident as cancelled.' })
  cancel(@Param('id') id: string, @Body() dto: CancelIncidentDto, @CurrentCaller() caller: Caller) {
    return this.incidents.cancel(id, dto, caller.name);
  }

  @Post(':id/redispatch')
  @RequireRole('admin')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: "Send an incident's set-aside alerts to its playbook again.",
    description:
      'Alerts Temporal refused for good (GET /incidents/:id shows them under `dispatch`, with the error) wait until the cause is fixed; this puts them back in the inbox. Answers how many.',
  })
  redispatch(@Param('id') id: string, @CurrentCaller() caller: Caller) {
    return this.incidents.redispatch(id, caller.name);
  }

  @Get(':id/timeline')
  @ApiProduces('application/json', 'application/x-ndjson')
  @ApiOperation({ summary: "An incident's timeline, oldest first; page with ?after=<nextCursor>; ?format=ndjson for one event per line (next cursor in X-Next-Cursor)." })
  async timeline(@Param('id') id: string, @Query() query: TimelineQueryDto, @Res({ passthrough: true }) res: Response) {
    const page = await this.incidents.timelineOf(id, query);
    if (query.format === 'json') return page;
    res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    if (page.nextCursor !== null) res.setHeader('X-Next-Cursor', String(page.nextCursor));
    return page.events.map((e) => `${JSON.stringify(e)}\n`).join('');
  }

  @Get(':id/timeline/stream')
  @AllowQueryToken()
  @ApiProduces('text/event-stream')
  @ApiOperation({
    summary: "The timeline live, as server-sent events (event `timeline`, id = sequence); resumes after ?after= or Last-Event-ID.",
    description: 'A browser EventSource cannot set headers: pass the token as ?access_token=.',
  })
  async stream(@Param('id') id: string, @Query() query: TimelineQueryDto, @Req() req: Request, @Res() res: Response, @CurrentCaller() caller: Caller) {
    await this.incidents.get(id); // 400/404 as JSON before the stream starts
    streamTimeline(req, res, query.after, {
      eventsAfter: (after, limit) => this.incidents.eventsAfter(id, after, limit),
      // A token revoked while its stream is open stops receiving within a few seconds.
      stillAllowed: () => this.tokens.isActive(caller.tokenId),
    });
  }
}
