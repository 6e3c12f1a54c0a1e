import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiIdParam, ApiZodResponse } from '../common/openapi/api-decorators';
import { ApiErrors } from '../common/openapi/api-errors';
import { AlertQueryDto } from './dto/alert-query.dto';
import { alertSchema } from './dto/alert-responses.dto';
import { AlertsService } from './alerts.service';

@ApiTags('alerts')
@Controller('alerts')
export class AlertsController {
  constructor(@Inject(AlertsService) private readonly alerts: AlertsService) {}

  @Get(':id')
  @ApiIdParam('id', 'The alert id (POST /webhooks/<source> answers it).')
  @ApiZodResponse(200, alertSchema, 'The alert, normalized or as OCSF (?format=ocsf).')
  @ApiErrors({ 400: ['invalid_alert_id', 'invalid_request'], 404: ['alert_not_found'] })
  @ApiOperation({ summary: 'A stored alert: normalized (default), or as an OCSF Detection Finding (class 2004) with ?format=ocsf.' })
  get(@Param('id') id: string, @Query() query: AlertQueryDto) {
    return query.format === 'ocsf' ? this.alerts.getOcsf(id) : this.alerts.get(id);
  }
}
