import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
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
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Approve or deny a gate. 200 with the verdict when the vote counted; 409 with the reason when it did not.',
    description: 'The approver is asserted by the caller until API tokens land (issue 7).',
  })
  decide(@Param('id') id: string, @Param('gateId') gateId: string, @Body() dto: DecideDto) {
    return this.approvals.decide(id, gateId, dto);
  }
}
