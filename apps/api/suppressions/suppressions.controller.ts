import { Body, Controller, Delete, Get, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPathParam, ApiZodResponse } from '../common/openapi/api-decorators';
import { ApiErrors } from '../common/openapi/api-errors';
import { CreateSuppressionDto, ListSuppressionsDto } from './dto/create-suppression.dto';
import { suppressionClosedSchema, suppressionIdSchema, suppressionListSchema, suppressionSchema } from './dto/suppression-responses.dto';
import { CurrentCaller, RequireRole } from '../auth/auth.decorators';
import type { Caller } from '../auth/roles';
import { SuppressionsService } from './suppressions.service';

@ApiTags('suppressions')
@Controller('suppressions')
export class SuppressionsController {
  constructor(@Inject(SuppressionsService) private readonly suppressions: SuppressionsService) {}

  @Post()
  @RequireRole('admin')
  @ApiZodResponse(201, suppressionSchema, 'The window, open from startsAt.')
  @ApiOperation({ summary: 'Open a maintenance window: matching alerts are stored and answered "suppressed".' })
  create(@Body() dto: CreateSuppressionDto, @CurrentCaller() caller: Caller) {
    return this.suppressions.create(dto, caller.name);
  }

  @Get()
  @ApiZodResponse(200, suppressionListSchema, 'By start time; the file\'s windows last.')
  @ApiErrors({ 400: ['invalid_request'] })
  @ApiOperation({ summary: 'Windows open now or later, from the API and from runbooks/suppressions.yaml.' })
  list(@Query() query: ListSuppressionsDto) {
    return this.suppressions.list(query.all);
  }

  @Delete(':id')
  @RequireRole('admin')
  @ApiPathParam('id', suppressionIdSchema, 'The window id (GET /suppressions lists them).')
  @ApiZodResponse(200, suppressionClosedSchema, 'The window is closed.')
  @ApiErrors({ 400: ['invalid_suppression_id'], 404: ['suppression_not_found'], 409: ['suppression_in_file'] })
  @ApiOperation({ summary: 'Close a window now.' })
  remove(@Param('id') id: string, @CurrentCaller() caller: Caller) {
    return this.suppressions.remove(id, caller.name);
  }
}
