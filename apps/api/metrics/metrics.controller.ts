import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { MetricsService } from './metrics.service';

@ApiTags('metrics')
// Prometheus scrapes without a token: counts and durations only, no incident data.
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(MetricsService) private readonly metrics: MetricsService) {}

  @Get()
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, schema: { type: 'string' }, description: 'Prometheus text format 0.0.4.' })
  @ApiOperation({ summary: "The API's metrics for Prometheus (webhook latency, alerts by source and disposition, the SDK's): counts and durations, no incident data. No token needed." })
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }
}
