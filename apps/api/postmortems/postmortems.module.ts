import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { PalisadeConfig } from '../../../lib/config/env';
import { IncidentEntity } from '../../../lib/db/entities/incident.entity';
import { TimelineEventEntity } from '../../../lib/db/entities/timeline-event.entity';
import { PostmortemTemplates } from '../../../lib/postmortem/render';
import { PALISADE_CONFIG } from '../config/config.module';
import { PlaybooksModule } from '../playbooks/playbooks.module';
import { PostmortemsController } from './postmortems.controller';
import { POSTMORTEM_TEMPLATES, PostmortemsService } from './postmortems.service';
import { PostmortemReviewController } from './review/review.controller';
import { PostmortemReviewService } from './review/review.service';

/** GET /incidents/:id/postmortem: Markdown, HTML or the computed model (a broken template stops the start); /postmortems/:id: its review. */
@Module({
  imports: [TypeOrmModule.forFeature([IncidentEntity, TimelineEventEntity]), PlaybooksModule],
  controllers: [PostmortemsController, PostmortemReviewController],
  providers: [
    PostmortemsService,
    PostmortemReviewService,
    { provide: POSTMORTEM_TEMPLATES, inject: [PALISADE_CONFIG], useFactory: (config: PalisadeConfig) => new PostmortemTemplates(config.postmortemTemplatesDir) },
  ],
})
export class PostmortemsModule {}
