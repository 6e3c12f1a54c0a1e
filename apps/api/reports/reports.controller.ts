import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiZodResponse } from '../common/openapi/api-decorators';
import { ApiErrors } from '../common/openapi/api-errors';
import { FalsePositivesQueryDto, ResponseTimesQueryDto } from './dto/report-query.dto';
import { falsePositivesSchema, responseTimesSchema } from './dto/report-responses.dto';
import { ReportsService } from './reports.service';

const PERIOD_ERRORS = { 400: ['invalid_request', 'invalid_period', 'period_too_large'] } as const;

@ApiTags('reports')
@Controller('reports')
export class ReportsController {
  constructor(@Inject(ReportsService) private readonly reports: ReportsService) {}

  @Get('response-times')
  @ApiZodResponse(200, responseTimesSchema, 'Time to detect, acknowledge, contain and resolve: count, mean, median and p90 per group.')
  @ApiErrors(PERIOD_ERRORS)
  @ApiOperation({
    summary: 'MTTD, MTTA, MTTC and MTTR over the incidents detected in a period, per playbook, severity, source, day or week.',
    description:
      "Each incident's durations are its postmortem's (from the first alert observed), so a game day's scorecard and this report agree. " +
      'An incident counts in a measure once it reached that milestone. Percentiles interpolate between the two nearest values.',
  })
  responseTimes(@Query() query: ResponseTimesQueryDto) {
    return this.reports.responseTimes(query);
  }

  @Get('false-positives')
  @ApiZodResponse(200, falsePositivesSchema, 'False-positive rate per routing rule and per vendor rule.')
  @ApiErrors(PERIOD_ERRORS)
  @ApiOperation({
    summary: 'False-positive rate per routing rule and per vendor rule, over the closed incidents detected in a period, from their classifications.',
    description: 'Incidents classified test or duplicate are left out; an incident counts once per rule, however many of its alerts the rule sent.',
  })
  falsePositives(@Query() query: FalsePositivesQueryDto) {
    return this.reports.falsePositives(query);
  }
}
