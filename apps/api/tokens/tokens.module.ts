import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from '../auth/auth.guard';
import { FleetModule } from '../fleet/fleet.module';
import { PlaybooksModule } from '../playbooks/playbooks.module';
import { StreamTickets } from './stream-tickets.service';
import { TokensController } from './tokens.controller';
import { TokensService } from './tokens.service';

/** API tokens, who they are bound to, stream tickets, and the guard every route goes through. */
@Module({
  imports: [PlaybooksModule, FleetModule],
  controllers: [TokensController],
  providers: [TokensService, StreamTickets, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [TokensService, StreamTickets],
})
export class TokensModule {}
