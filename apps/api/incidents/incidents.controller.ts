import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CancelIncidentDto } from './dto/cancel-incident.dto';
import { CreateIncidentDto } from './dto/create-incident.dto';
import { ResolveIncidentDto } from './dto/resolve-incident.dto';
import { TimelineQueryDto } from './dto/timeline-query.dto';
import { IncidentsService } from './incidents.service';

@ApiTags('incidents')
@Controller('incidents')
export class IncidentsController {
  constructor(@Inject(IncidentsService) private readonly incidents: IncidentsService) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Report an incident by hand (temporary: alert intake through /webhooks replaces it).',
    description: 'Starts the manual-incident playbook; the incident is readable once the worker has recorded it.',
  })
  async create(@Body() dto: CreateIncidentDto) {
    const { incidentId, workflowId } = await this.incidents.create(dto);
    return {
      incidentId,
      workflowId,
      links: { incident: `/incidents/${incidentId}`, timeline: `/incidents/${incidentId}/timeline` },
    };
  }

  @Get(':id')
  @ApiOperation({ summary: "An incident's projection: status, playbook, severity, entity, times." })
  get(@Param('id') id: string) {
    return this.incidents.get(id);
  }

  @Post(':id/resolve')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Resolve an incident with a reason; its playbook records it and closes the incident.' })
  resolve(@Param('id') id: string, @Body() dto: ResolveIncidentDto) {
    return this.incidents.resolve(id, dto);
  }

  @Post(':id/cancel')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Cancel an incident (a false positive): its playbook stops, undoes what it changed and closes the incident as cancelled.' })
  cancel(@Param('id') id: string, @Body() dto: CancelIncidentDto) {
    return this.incidents.cancel(id, dto);
  }

  @Get(':id/timeline')
  @ApiOperation({ summary: "An incident's timeline, oldest first; page with ?after=<nextCursor>." })
  timeline(@Param('id') id: string, @Query() query: TimelineQueryDto) {
    return this.incidents.timelineOf(id, query);
  }
}
