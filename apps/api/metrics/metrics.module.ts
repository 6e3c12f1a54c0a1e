import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { PlaybookMetrics } from './playbook-metrics';

@Global()
@Module({ controllers: [MetricsController], providers: [MetricsService, PlaybookMetrics], exports: [MetricsService] })
export class MetricsModule {}
