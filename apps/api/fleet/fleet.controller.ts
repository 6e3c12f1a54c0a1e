import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { ApiZodResponse } from '../common/openapi/api-decorators';
import { fleetSchema } from './dto/fleet-responses.dto';
import { FleetService } from './fleet.service';

@ApiTags('fleet')
@Controller('fleet')
export class FleetController {
  constructor(@Inject(FleetService) private readonly fleet: FleetService) {}

  @Get()
  @ApiZodResponse(200, fleetSchema, 'The simulated fleet.')
  @ApiOperation({
    summary: "The simulated fleet's state: hosts (isolated, patched, replaced), credentials (active, revoked), accounts (disabled, sessions revoked, keys deactivated, password reset), resources (drifted, quarantined), active faults, and the last 50 provider calls.",
  })
  overview() {
    return this.fleet.overview();
  }

  // Prometheus scrapes without a token: simulated numbers only, no incident data.
  @Public()
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, schema: { type: 'string' }, description: 'Prometheus text format 0.0.4.' })
  @ApiOperation({
    summary:
      'The simulated SLIs in Prometheus text format, for a real Prometheus to scrape: palisade_sim_sli{sli, host, hostname} per SLI and host in service, palisade_sim_sli_baseline{sli} per SLI. No token needed.',
  })
  metrics(): Promise<string> {
    return this.fleet.metrics();
  }
}
