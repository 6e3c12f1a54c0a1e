import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IncidentEntity } from '../../../lib/db/entities/incident.entity';
import { ApprovalsModule } from '../approvals/approvals.module';
import { PlaybooksModule } from '../playbooks/playbooks.module';
import { SlackBolt } from './slack.bolt';
import { SlackCommands } from './slack.commands';
import { SlackIdentity } from './slack.identity';
import { SlackInteractions } from './slack.interactions';
import { acknowledgeUnknown } from './slack.unhandled';

/** Slack: Bolt at POST /slack/events (mounted by createApiApp), approval clicks, the deny modal, `/palisade`. */
@Module({
  imports: [TypeOrmModule.forFeature([IncidentEntity]), ApprovalsModule, PlaybooksModule],
  providers: [SlackBolt, SlackIdentity, SlackInteractions, SlackCommands],
  exports: [SlackBolt],
})
export class SlackModule implements OnModuleInit {
  constructor(
    @Inject(SlackBolt) private readonly bolt: SlackBolt,
    @Inject(SlackInteractions) private readonly interactions: SlackInteractions,
    @Inject(SlackCommands) private readonly commands: SlackCommands,
  ) {}

  onModuleInit(): void {
    if (this.bolt.app && this.bolt.templates) {
      acknowledgeUnknown(this.bolt.app);
      this.interactions.register(this.bolt.app, this.bolt.templates);
      this.commands.register(this.bolt.app);
    }
    void this.bolt.announce();
  }
}
