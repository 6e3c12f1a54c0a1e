import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Query } from '@nestjs/common';
import { Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequireRole } from '../auth/auth.decorators';
import type { Caller } from '../auth/roles';
import { CreateTokenDto } from './dto/create-token.dto';
import { TokensService } from './tokens.service';

@ApiTags('tokens')
@ApiBearerAuth()
@Controller()
export class TokensController {
  constructor(@Inject(TokensService) private readonly tokens: TokensService) {}

  @Get('me')
  @ApiOperation({ summary: 'Who the presented token is, and its role.' })
  me(@CurrentCaller() caller: Caller) {
    return { name: caller.name, role: caller.role, tokenId: caller.tokenId };
  }

  @Post('tokens')
  @RequireRole('admin')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Create an API token. The token is in this answer only; Palisade keeps its SHA-256.' })
  create(@Body() dto: CreateTokenDto, @CurrentCaller() caller: Caller) {
    return this.tokens.create(dto.name, dto.role, caller);
  }

  @Get('tokens')
  @RequireRole('admin')
  @ApiOperation({ summary: 'Every token: name, role, who made it, last use, revocation (never the token).' })
  async list() {
    return { tokens: await this.tokens.list() };
  }

  @Delete('tokens/:id')
  @RequireRole('admin')
  @ApiQuery({ name: 'reason', required: false })
  @ApiOperation({ summary: 'Revoke a token at once (other API replicas within 10 s).' })
  revoke(@Param('id') id: string, @CurrentCaller() caller: Caller, @Query('reason') reason?: string) {
    return this.tokens.revoke(id, caller, reason);
  }
}
