import { Logger, Module, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IncidentEntity } from '../../../lib/db/entities/incident.entity';
import { FleetModule } from '../fleet/fleet.module';
import { PlaybooksModule } from '../playbooks/playbooks.module';
import { ApprovalsController } from './approvals.controller';
import { ApprovalsService } from './approvals.service';

/**
 * Approval gates over HTTP. NOTE: until API tokens land (issue 7), the approver is whoever
 * the request names: identities here are asserted by the caller, not proven. Issue 7 takes
 * the approver from the token in ApprovalsService.decide; nothing else changes.
 */
@Module({
  imports: [TypeOrmModule.forFeature([IncidentEntity]), PlaybooksModule, FleetModule],
  controllers: [ApprovalsController],
  providers: [ApprovalsService],
  exports: [ApprovalsService],
})
export class ApprovalsModule implements OnModuleInit {
  private readonly log = new Logger('ApprovalsModule');

  onModuleInit(): void {
    this.log.warn('Approvals over the API trust the approver the caller names until API tokens land (issue 7): expose the API only to responders.');
  }
}
