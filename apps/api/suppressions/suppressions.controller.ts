import { Body, Controller, Delete, Get, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CreateSuppressionDto } from './dto/create-suppression.dto';
import { CurrentCaller, RequireRole } from '../auth/auth.decorators';
import type { Caller } from '../auth/roles';
import { SuppressionsService } from './suppressions.service';

@ApiTags('suppressions')
@Controller('suppressions')
export class SuppressionsController {
  constructor(@Inject(SuppressionsService) private readonly suppressions: SuppressionsService) {}

  @Post()
  @RequireRole('admin')
  @ApiOperation({ summary: 'Open a maintenance window: matching alerts are stored and answered "suppressed".' })
  create(@Body() dto: CreateSuppressionDto, @CurrentCaller() caller: Caller) {
    return this.suppressions.create(dto, caller.name);
  }

  @Get()
  @ApiQuery({ name: 'all', required: false, description: 'Include closed and deleted windows.' })
  @ApiOperation({ summary: 'Windows open now or later, from the API and from runbooks/suppressions.yaml.' })
  list(@Query('all') all?: string) {
    return this.suppressions.list(all === 'true');
  }

  @Delete(':id')
  @RequireRole('admin')
  @ApiOperation({ summary: 'Close a window now.' })
  remove(@Param('id') id: string, @CurrentCaller() caller: Caller) {
    return this.suppressions.remove(id, caller.name);
  }
}
