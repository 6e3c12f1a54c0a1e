import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { FleetService } from './fleet.service';

@ApiTags('fleet')
@Controller('fleet')
export class FleetController {
  constructor(@Inject(FleetService) private readonly fleet: FleetService) {}

  @Get()
  @ApiOperation({
    summary: "The simulated fleet's state: hosts (isolated, patched, replaced), credentials (active, revoked), resources (drifted, quarantined), active faults, and the last 50 provider calls.",
  })
  overview() {
    return this.fleet.overview();
  }
}
