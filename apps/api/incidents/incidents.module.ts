import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IncidentEntity } from '../../../lib/db/entities/incident.entity';
import { TimelineEventEntity } from '../../../lib/db/entities/timeline-event.entity';
import { PlaybooksModule } from '../playbooks/playbooks.module';
import { TokensModule } from '../tokens/tokens.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { IncidentsController } from './incidents.controller';
import { IncidentsService } from './incidents.service';
import { IncidentLinksService } from './incident-links.service';
import { StuckWatcher } from './stuck-watcher.service';
import { TimelineHub } from './timeline-hub';

@Module({
  imports: [TypeOrmModule.forFeature([IncidentEntity, TimelineEventEntity]), TokensModule, WebhooksModule, PlaybooksModule],
  controllers: [IncidentsController],
  providers: [IncidentsService, IncidentLinksService, TimelineHub, StuckWatcher],
  /** Slack's `/palisade resolve|cancel` signal the playbook through the same service. */
  exports: [IncidentsService],
})
export class IncidentsModule {}
