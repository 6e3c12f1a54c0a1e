import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentCaller, RequireRole } from '../auth/auth.decorators';
import type { Caller } from '../auth/roles';
import { ApiError } from '../common/error.filter';
import { ApiIdParam, ApiPathParam, ApiZodResponse } from '../common/openapi/api-decorators';
import { ApiErrors } from '../common/openapi/api-errors';
import { approvalsSchema, gateVerdictSchema } from './dto/approval-responses.dto';
import { VOTE_REJECTIONS } from './gate-views';
import { ApprovalsService } from './approvals.service';
import { DecideDto } from './dto/decide.dto';

const ID = 'The incident id (GET /incidents lists them).';
/** A gate id as runbooks/approvals.yaml names gates (isolate-host, widen-wave-1). */
const gateIdSchema = z.string().min(1).max(200);
/** Read from, or voted on through, the running playbook. */
const RUNNING = { 400: ['invalid_incident_id'], 404: ['incident_not_found'], 409: ['playbook_not_running'], 502: ['playbook_failed'], 503: ['temporal_unavailable'] } as const;

@ApiTags('approvals')
@Controller('incidents')
export class ApprovalsController {
  constructor(@Inject(ApprovalsService) private readonly approvals: ApprovalsService) {}

  @Get(':id/approvals')
  @ApiIdParam('id', ID)
  @ApiZodResponse(200, approvalsSchema, "The running playbook's gates (none for a playbook without gates).")
  @ApiErrors(RUNNING)
  @ApiOperation({ summary: "An incident's approval gates, waiting ones first: status, votes, quorum, deadlines and who may decide." })
  list(@Param('id') id: string) {
    return this.approvals.list(id);
  }

  @Post(':id/approvals/:gateId')
  @RequireRole('approver')
  @HttpCode(HttpStatus.OK)
  @ApiIdParam('id', ID)
  @ApiPathParam('gateId', gateIdSchema, 'The gate id (GET /incidents/{id}/approvals lists them).')
  @ApiZodResponse(200, gateVerdictSchema, 'The vote counted: the gate as it stands.')
  @ApiErrors({
    ...RUNNING,
    400: [...RUNNING[400], 'invalid_gate_id'],
    403: ['unknown_person', 'person_disabled'],
    409: [...RUNNING[409], ...VOTE_REJECTIONS, 'vote_rejected', 'fleet_not_simulated'],
  })
  @ApiOperation({
    summary: 'Approve or deny a gate. 200 with the verdict when the vote counted; 409 with the reason when it did not.',
    description:
      "The vote is counted as the person the API token names (a runbooks/people.yaml id or email); the gate's policy decides whether it counts. " +
      'A token made for someone else and not claimed counts for its maker too: 409 same_person when that would count one person twice.',
  })
  decide(@Param('id') id: string, @Param('gateId') gateId: string, @Body() dto: DecideDto, @CurrentCaller() caller: Caller) {
    if (!gateIdSchema.safeParse(gateId).success) {
      throw new ApiError(HttpStatus.BAD_REQUEST, 'invalid_gate_id', `'${gateId.slice(0, 200)}' is not a gate id.`, `GET /incidents/${id}/approvals lists the gates and their ids.`);
    }
    return this.approvals.decide(id, gateId, dto, caller);
  }
}
