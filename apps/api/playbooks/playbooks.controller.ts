import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { StartRunDto } from './dto/start-run.dto';
import { CurrentCaller, RequireRole } from '../auth/auth.decorators';
import { ApiErrors } from '../common/openapi/api-errors';
import { ApiZodResponse } from '../common/openapi/api-decorators';
import { playbookListSchema, runStartedSchema } from './dto/playbook-responses.dto';
import type { Caller } from '../auth/roles';
import { PlaybooksService } from './playbooks.service';

@ApiTags('playbooks')
@Controller('playbooks')
export class PlaybooksController {
  constructor(@Inject(PlaybooksService) private readonly playbooks: PlaybooksService) {}

  @Get()
  @ApiZodResponse(200, playbookListSchema, 'Every playbook.')
  @ApiOperation({ summary: 'Every playbook: version, what it does, whether it can be started by hand and the JSON schema of its params.' })
  list() {
    return this.playbooks.list();
  }

  @Post(':name/runs')
  @RequireRole('responder')
  @HttpCode(HttpStatus.ACCEPTED)
  // The document has one path per playbook that can be started by hand, with its params (playbook-runs.openapi.ts).
  @ApiZodResponse(202, runStartedSchema, 'The incident is open and its run started.')
  @ApiErrors({
    400: ['invalid_params'],
    403: ['unknown_person', 'person_disabled'],
    409: ['incident_already_open', 'playbook_still_running'],
    503: ['temporal_unavailable'],
  })
  @ApiOperation({
    summary: 'Start a playbook by hand: opens an incident for the entity its params name and starts the run.',
    description: 'The params are checked against the playbook\'s own schema; one incident is open per playbook and entity, whoever opened it.',
  })
  async start(@Param('name') name: string, @Body() dto: StartRunDto, @CurrentCaller() caller: Caller) {
    const { incidentId, workflowId } = await this.playbooks.start(name, dto, caller.name);
    const incident = `/incidents/${incidentId}`;
    return { incidentId, workflowId, links: { incident, timeline: `${incident}/timeline`, approvals: `${incident}/approvals` } };
  }
}
