import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { StartRunDto } from './dto/start-run.dto';
import { CurrentCaller, RequireRole } from '../auth/auth.decorators';
import type { Caller } from '../auth/roles';
import { PlaybooksService } from './playbooks.service';

@ApiTags('playbooks')
@Controller('playbooks')
export class PlaybooksController {
  constructor(@Inject(PlaybooksService) private readonly playbooks: PlaybooksService) {}

  @Get()
  @ApiOperation({ summary: 'Every playbook: version, what it does, whether it can be started by hand and the JSON schema of its params.' })
  list() {
    return this.playbooks.list();
  }

  @Post(':name/runs')
  @RequireRole('responder')
  @HttpCode(HttpStatus.ACCEPTED)
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
