import { Controller, Get, HttpStatus, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiError } from '../common/error.filter';
import { AlertsService } from './alerts.service';

@ApiTags('alerts')
@Controller('alerts')
export class AlertsController {
  constructor(@Inject(AlertsService) private readonly alerts: AlertsService) {}

  @Get(':id')
  @ApiQuery({ name: 'format', required: false, enum: ['palisade', 'ocsf'] })
  @ApiOperation({ summary: 'A stored alert: normalized (default), or as an OCSF Detection Finding (class 2004) with ?format=ocsf.' })
  get(@Param('id') id: string, @Query('format') format = 'palisade') {
    if (format === 'ocsf') return this.alerts.getOcsf(id);
    if (format === 'palisade') return this.alerts.get(id);
    throw new ApiError(HttpStatus.BAD_REQUEST, 'invalid_format', `Unknown format '${format}'.`, 'Use ?format=palisade (default) or ?format=ocsf.');
  }
}
