import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Post, Query, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireRole } from '../auth/auth.decorators';
import { ApiZodResponse } from '../common/openapi/api-decorators';
import { ApiErrors } from '../common/openapi/api-errors';
import { AddAccountDto, AddCredentialDto, AddHostsDto, AddResourceDto, ClearFaultsQueryDto, SetFaultDto } from './dto/fleet-setup.dto';
import { faultSetSchema, faultsClearedSchema, fleetItemSchema, fleetSetupSchema, hostsAddedSchema } from './dto/fleet-responses.dto';
import { FleetSetupService } from './fleet-setup.service';
import { SimulatedFleetOnly } from './simulated-only.guard';

/**
 * Game days set up the simulated fleet and break it on purpose through these (admin only, and
 * only while every capability is simulated: SimulatedFleetOnly).
 */
@ApiTags('fleet')
@Controller('fleet')
@UseGuards(SimulatedFleetOnly)
@ApiErrors({ 409: ['fleet_not_simulated'] })
export class FleetSetupController {
  constructor(@Inject(FleetSetupService) private readonly setup: FleetSetupService) {}

  @Get('setup')
  @RequireRole('admin')
  @ApiZodResponse(200, fleetSetupSchema, 'Every capability is simulated: a game day may run here.')
  @ApiOperation({ summary: 'Whether a game day may run here: 200 while every capability is simulated, 409 fleet_not_simulated naming the real vendors otherwise.' })
  check() {
    return { simulated: true };
  }

  @Post('hosts')
  @RequireRole('admin')
  @HttpCode(HttpStatus.OK)
  @ApiZodResponse(200, hostsAddedSchema, 'How many hosts were added or updated.')
  @ApiOperation({ summary: 'Add simulated hosts, or update the fields given of existing ones.' })
  addHosts(@Body() dto: AddHostsDto) {
    return this.setup.addHosts(dto);
  }

  @Post('credentials')
  @RequireRole('admin')
  @HttpCode(HttpStatus.OK)
  @ApiZodResponse(200, fleetItemSchema, 'The credential is in the fleet.')
  @ApiErrors({ 409: ['fleet_not_simulated', 'secret_in_use'] })
  @ApiOperation({ summary: 'Add a simulated credential; its secret is fingerprinted with the redaction key (as a leak would be) and not kept.' })
  addCredential(@Body() dto: AddCredentialDto) {
    return this.setup.addCredential(dto);
  }

  @Post('accounts')
  @RequireRole('admin')
  @HttpCode(HttpStatus.OK)
  @ApiZodResponse(200, fleetItemSchema, 'The account is in the fleet.')
  @ApiErrors({ 409: ['fleet_not_simulated'] })
  @ApiOperation({ summary: 'Add a simulated account, or start an existing one over (enabled, its sessions and keys as given).' })
  addAccount(@Body() dto: AddAccountDto) {
    return this.setup.addAccount(dto);
  }

  @Post('resources')
  @RequireRole('admin')
  @HttpCode(HttpStatus.OK)
  @ApiZodResponse(200, fleetItemSchema, 'The resource is in the fleet.')
  @ApiOperation({ summary: 'Add a simulated resource; a `current` that differs from `baseline` starts it drifted.' })
  addResource(@Body() dto: AddResourceDto) {
    return this.setup.addResource(dto);
  }

  @Post('faults')
  @RequireRole('admin')
  @HttpCode(HttpStatus.OK)
  @ApiZodResponse(200, faultSetSchema, 'The fault is set (* where the spec names no action or target).')
  @ApiOperation({ summary: 'Set a fault for a capability (or one action / target of it), replacing the one there.' })
  setFault(@Body() dto: SetFaultDto) {
    return this.setup.setFault(dto);
  }

  @Delete('faults')
  @RequireRole('admin')
  @ApiZodResponse(200, faultsClearedSchema, 'How many faults were cleared.')
  @ApiErrors({ 400: ['invalid_request'] })
  @ApiOperation({ summary: 'Clear the faults matching capability / action / target (none given: every fault).' })
  clearFaults(@Query() query: ClearFaultsQueryDto) {
    return this.setup.clearFaults(query);
  }
}
