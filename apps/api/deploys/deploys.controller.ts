import { Body, Controller, Get, Inject, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequireRole } from '../auth/auth.decorators';
import type { Caller } from '../auth/roles';
import { ApiZodResponse } from '../common/openapi/api-decorators';
import { ApiErrors } from '../common/openapi/api-errors';
import { DeploysService } from './deploys.service';
import { PromoteDto, RampDto, RollbackDto } from './dto/deploy-requests.dto';
import { deployChangedSchema, deployStatusSchema } from './dto/deploy-responses.dto';
import { promote } from './promote';
import { rampVersion } from './ramp';
import { rollback } from './rollback';

@ApiTags('deploys')
@Controller('deploys')
export class DeploysController {
  constructor(@Inject(DeploysService) private readonly deploys: DeploysService) {}

  @Get()
  @ApiZodResponse(200, deployStatusSchema, 'The versions, where new runs go, and who runs what.')
  @ApiErrors({ 404: ['deployment_not_found'], 409: ['versioning_off'], 503: ['temporal_unavailable'] })
  @ApiOperation({ summary: "The worker deployment: its versions, the current and ramping ones, each version's pollers and running incidents." })
  status() {
    return this.deploys.status();
  }

  @Post('ramp')
  @RequireRole('admin')
  @ApiZodResponse(201, deployChangedSchema, 'The version ramps; the routing change has reached the task queues.')
  @ApiErrors({ 400: ['invalid_request'], 404: ['deployment_not_found', 'version_not_found'], 409: ['versioning_off', 'version_is_current', 'no_current_version', 'version_has_no_pollers', 'routing_refused'], 503: ['temporal_unavailable'] })
  @ApiOperation({ summary: 'Send a share of new runs to a version beside the current one (a canary).' })
  ramp(@Body() dto: RampDto, @CurrentCaller() caller: Caller) {
    return rampVersion(this.deploys, dto, caller.name);
  }

  @Post('promote')
  @RequireRole('admin')
  @ApiZodResponse(201, deployChangedSchema, 'The version is current; open AUTO_UPGRADE incidents move to it at their next task.')
  @ApiErrors({ 400: ['invalid_request'], 404: ['deployment_not_found', 'version_not_found'], 409: ['versioning_off', 'nothing_ramping', 'version_has_no_pollers', 'code_not_registered', 'replay_diverged', 'routing_refused'], 503: ['temporal_unavailable'] })
  @ApiOperation({ summary: "Make a version current (default: the ramping one), refused when an open incident does not replay on its code." })
  promote(@Body() dto: PromoteDto, @CurrentCaller() caller: Caller) {
    return promote(this.deploys, dto, caller.name);
  }

  @Post('rollback')
  @RequireRole('admin')
  @ApiZodResponse(201, deployChangedSchema, 'The ramp has ended, or the previous version is current again.')
  @ApiErrors({ 400: ['invalid_request'], 404: ['deployment_not_found'], 409: ['versioning_off', 'nothing_to_roll_back', 'version_has_no_pollers', 'routing_refused'], 503: ['temporal_unavailable'] })
  @ApiOperation({ summary: 'Undo the last deploy: end the ramp, or make the version current before the last promotion current again.' })
  rollback(@Body() dto: RollbackDto, @CurrentCaller() caller: Caller) {
    return rollback(this.deploys, dto, caller.name);
  }
}
