import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IncidentEntity } from '../../../lib/db/entities/incident.entity';
import { ApprovalsModule } from '../approvals/approvals.module';
import { IncidentsModule } from '../incidents/incidents.module';
import { PlaybooksModule } from '../playbooks/playbooks.module';
import { TokensModule } from '../tokens/tokens.module';
import { TokensService } from '../tokens/tokens.service';
import { SlackBolt } from './slack.bolt';
import { SlackClaimCourier } from './slack.claims';
import { SlackCommands } from './slack.commands';
import { SlackIdentity } from './slack.identity';
import { SlackInteractions } from './slack.interactions';
import { acknowledgeUnknown } from './slack.unhandled';

/** Slack: Bolt at POST /slack/events (mounted by createApiApp), approval clicks, the deny modal, `/palisade`, tokens' claim codes. */
@Module({
  imports: [TypeOrmModule.forFeature([IncidentEntity]), ApprovalsModule, IncidentsModule, PlaybooksModule, TokensModule],
  providers: [SlackBolt, SlackIdentity, SlackInteractions, SlackCommands, SlackClaimCourier],
  exports: [SlackBolt],
})
export class SlackModule implements OnModuleInit {
  constructor(
    @Inject(SlackBolt) private readonly bolt: SlackBolt,
    @Inject(SlackInteractions) private readonly interactions: SlackInteractions,
    @Inject(SlackCommands) private readonly commands: SlackCommands,
    @Inject(TokensService) private readonly tokens: TokensService,
    @Inject(SlackClaimCourier) private readonly claims: SlackClaimCourier,
  ) {}

  onModuleInit(): void {
    if (this.bolt.app && this.bolt.templates) {
      acknowledgeUnknown(this.bolt.app);
      this.interactions.register(this.bolt.app, this.bolt.templates);
      this.commands.register(this.bolt.app);
      this.tokens.useClaimCourier(this.claims);
    }
    void this.bolt.announce();
  }
}
