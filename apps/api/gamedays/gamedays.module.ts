import { Module } from '@nestjs/common';
import { FleetModule } from '../fleet/fleet.module';
import { TokensModule } from '../tokens/tokens.module';
import { GamedaysController } from './gamedays.controller';
import { GamedaysService } from './gamedays.service';

/** POST /gamedays, GET /gamedays/:id: game days run by the API itself (lib/gamedays). */
@Module({ imports: [TokensModule, FleetModule], controllers: [GamedaysController], providers: [GamedaysService] })
export class GamedaysModule {}
