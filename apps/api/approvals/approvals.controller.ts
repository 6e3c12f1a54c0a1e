import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequireRole } from '../auth/auth.decorators';
import type { Caller } from '../auth/roles';
import { ApprovalsService } from './approvals.service';
import { DecideDto } from './dto/decide.dto';

@ApiTags('approvals')
@Controller('incidents')
export class ApprovalsController {
  constructor(@Inject(ApprovalsService) private readonly approvals: ApprovalsService) {}

  @Get(':id/approvals')
  @ApiOperation({ summary: "An incident's approval gates, waiting ones first: status, votes, quorum, deadlines and who may decide." })
  list(@Param('id') id: string) {
    return this.approvals.list(id);
  }

  @Post(':id/approvals/:gateId')
  @RequireRole('approver')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Approve or deny a gate. 200 with the verdict when the vote counted; 409 with the reason when it did not.',
    description:
      "The vote is counted as the person the API token names (a runbooks/people.yaml id or email); the gate's policy decides whether it counts. " +
      'A token made for someone else and not claimed counts for its maker too: 409 same_person when that would count one person twice.',
  })
  decide(@Param('id') id: string, @Param('gateId') gateId: string, @Body() dto: DecideDto, @CurrentCaller() caller: Caller) {
    return this.approvals.decide(id, gateId, dto, caller);
  }
}
