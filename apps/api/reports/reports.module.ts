import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IncidentEntity } from '../../../lib/db/entities/incident.entity';
import { ReportMetrics } from './report-metrics';
import { ReportsController } from './reports.controller';
import { ReportsService } from './reports.service';

/** GET /reports/…: measures over many incidents (issue 20, item 7). */
@Module({ imports: [TypeOrmModule.forFeature([IncidentEntity])], controllers: [ReportsController], providers: [ReportsService, ReportMetrics], exports: [ReportsService] })
export class ReportsModule {}
