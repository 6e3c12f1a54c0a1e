import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ZodValidationPipe } from 'nestjs-zod';
import type { PalisadeConfig } from '../../lib/config/env';
import type { Catalogue } from '../../lib/playbooks/catalogue';
import { AlertsModule } from './alerts/alerts.module';
import { AuditModule } from './audit/audit.module';
import { TokensModule } from './tokens/tokens.module';
import { PostmortemsModule } from './postmortems/postmortems.module';
import { WebModule } from './web/web.module';
import { ApprovalsModule } from './approvals/approvals.module';
import { ErrorFilter } from './common/error.filter';
import { NoNulPipe } from './common/no-nul.pipe';
import { FleetModule } from './fleet/fleet.module';
import { GamedaysModule } from './gamedays/gamedays.module';
import { ConfigModule } from './config/config.module';
import { RedactionModule } from './common/redaction.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { IncidentsModule } from './incidents/incidents.module';
import { MetricsModule } from './metrics/metrics.module';
import { PlaybooksModule } from './playbooks/playbooks.module';
import { SlackModule } from './slack/slack.module';
import { SuppressionsModule } from './suppressions/suppressions.module';
import { TemporalModule } from './temporal/temporal.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { PagingModule } from './paging/paging.module';
import { DeploysModule } from './deploys/deploys.module';
import { ReportsModule } from './reports/reports.module';
import { SlaModule } from './sla/sla.module';

@Module({})
export class AppModule {
  static forRoot(config: PalisadeConfig, env: Readonly<Record<string, string | undefined>>, catalogue: Catalogue): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config, env, catalogue), RedactionModule, DatabaseModule, TemporalModule, AuditModule, TokensModule, MetricsModule, HealthModule, AlertsModule, IncidentsModule, PlaybooksModule, ApprovalsModule, SuppressionsModule, WebhooksModule, PagingModule, FleetModule, SlackModule, PostmortemsModule, GamedaysModule, DeploysModule, ReportsModule, SlaModule, WebModule],
      providers: [
        { provide: APP_PIPE, useClass: ZodValidationPipe },
        { provide: APP_PIPE, useClass: NoNulPipe },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }
}
