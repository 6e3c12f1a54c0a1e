import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequireRole } from '../auth/auth.decorators';
import type { Caller } from '../auth/roles';
import { ApiIdParam, ApiZodResponse } from '../common/openapi/api-decorators';
import { ApiErrors } from '../common/openapi/api-errors';
import { gamedaySchema, gamedayStartedSchema } from './dto/gameday-responses.dto';
import { SimulatedFleetOnly } from '../fleet/simulated-only.guard';
import { StartGamedayDto } from './dto/start-gameday.dto';
import { GamedaysService } from './gamedays.service';

@ApiTags('gamedays')
@Controller('gamedays')
export class GamedaysController {
  constructor(@Inject(GamedaysService) private readonly gamedays: GamedaysService) {}

  @Post()
  @RequireRole('admin')
  // A game day approves gates: whatever its scenario sets up, it runs on the simulated fleet only.
  @UseGuards(SimulatedFleetOnly)
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiZodResponse(202, gamedayStartedSchema, 'The game day runs in the background.')
  @ApiErrors({ 400: ['gameday_invalid'], 404: ['gameday_not_found'], 409: ['fleet_not_simulated', 'gameday_fault_unsupported'] })
  @ApiOperation({
    summary: 'Run a game day (runbooks/gamedays/<scenario>.yaml) in the background against this engine; GET /gamedays/:id follows it.',
    description:
      '409 fleet_not_simulated while any capability is served by a real vendor (runbooks/providers.yaml), whether or not the scenario sets up a fleet; 409 gameday_fault_unsupported for a scenario with infrastructure faults (worker-killed, slack-down...), which only the drill harness (npm run gameday) can produce.',
  })
  start(@Body() dto: StartGamedayDto, @CurrentCaller() caller: Caller) {
    return this.gamedays.start(dto.scenario, caller);
  }

  @Get(':id')
  @ApiIdParam('id', 'The game day id (POST /gamedays answers it).')
  @ApiZodResponse(200, gamedaySchema, 'The game day.')
  @ApiErrors({ 404: ['gameday_not_found'] })
  @ApiOperation({ summary: 'A game day: running, passed, failed (an SLO failed) or error; its progress events and, once finished, its scorecard.' })
  get(@Param('id') id: string) {
    return this.gamedays.get(id);
  }
}
