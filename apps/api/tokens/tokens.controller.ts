import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { PalisadeConfig } from '../../../lib/config/env';
import { durationMs, humanDuration } from '../../../lib/duration';
import { CurrentCaller, RequireRole } from '../auth/auth.decorators';
import type { Caller } from '../auth/roles';
import { ApiError } from '../common/error.filter';
import { ApiErrors } from '../common/openapi/api-errors';
import { ApiIdParam, ApiZodResponse } from '../common/openapi/api-decorators';
import { PALISADE_CONFIG } from '../config/config.module';
import { FleetSetupService } from '../fleet/fleet-setup.service';
import { ClaimTokenDto, CreateTokenDto, RevokeTokenQueryDto } from './dto/create-token.dto';
import { claimedTokenSchema, createdTokenSchema, meSchema, tokenListSchema, tokenSchema } from './dto/token-responses.dto';
import { GAMEDAY_MAX_MS, TokensService } from './tokens.service';

@ApiTags('tokens')
@Controller()
export class TokensController {
  constructor(
    @Inject(TokensService) private readonly tokens: TokensService,
    @Inject(FleetSetupService) private readonly fleet: FleetSetupService,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
  ) {}

  @Get('me')
  @ApiZodResponse(200, meSchema, 'The token presented.')
  @ApiOperation({ summary: 'Who the presented token is: its role, whether it is bound to its person, who answers for it, when it expires.' })
  me(@CurrentCaller() caller: Caller) {
    const { name, role, tokenId, bound, principal, purpose, expiresAt, createdBy } = caller;
    return { name, role, tokenId, bound, principal, purpose, expiresAt, createdBy };
  }

  @Post('tokens')
  @RequireRole('admin')
  @HttpCode(HttpStatus.CREATED)
  @ApiZodResponse(201, createdTokenSchema, 'The new token, and the only time its secret is shown.')
  @ApiErrors({ 409: ['fleet_not_simulated'] })
  @ApiOperation({
    summary: 'Create an API token. The token is in this answer only; Palisade keeps its SHA-256.',
    description:
      'A token made for someone else is its maker’s too until the person claims it with the code Palisade sends them in Slack (`claim` says where it went). ' +
      '`purpose: gameday` (the game-day exception) is refused with 409 fleet_not_simulated while a real vendor serves any capability.',
  })
  create(@Body() dto: CreateTokenDto, @CurrentCaller() caller: Caller) {
    const max = dto.purpose === 'gameday' ? GAMEDAY_MAX_MS : this.config.api.tokenMaxTtlMs;
    const expiresInMs = dto.expiresIn === undefined ? undefined : durationMs(dto.expiresIn);
    if (expiresInMs !== undefined && (expiresInMs > max || expiresInMs < 1_000)) {
      throw new ApiError(
        HttpStatus.BAD_REQUEST,
        'invalid_request',
        `expiresIn: ${dto.expiresIn} is ${expiresInMs < 1_000 ? 'shorter than a second' : `longer than a ${dto.purpose === 'gameday' ? 'game-day ' : ''}token may last (${maxText(max)})`}.`,
        `Ask for at most ${maxText(max)}${dto.purpose === 'gameday' ? '' : ' (PALISADE_TOKEN_MAX_TTL)'}, and make a new token when it expires.`,
      );
    }
    if (dto.purpose === 'gameday') this.fleet.assertSimulated();
    return this.tokens.create(dto.name, dto.role, caller, { expiresInMs, purpose: dto.purpose });
  }

  @Post('tokens/claim')
  @HttpCode(HttpStatus.OK)
  @ApiZodResponse(200, claimedTokenSchema, 'The token, now its person’s, under a new secret shown only here.')
  @ApiErrors({ 400: ['claim_code_invalid'], 403: ['person_disabled'] })
  @ApiOperation({
    summary: 'Claim the presented token with the code Palisade sent its person in Slack: it becomes theirs, under a new secret (in this answer only); the old one stops working.',
  })
  claim(@Body() dto: ClaimTokenDto, @CurrentCaller() caller: Caller) {
    return this.tokens.claim(caller, dto.code);
  }

  @Get('tokens')
  @RequireRole('admin')
  @ApiZodResponse(200, tokenListSchema, 'Newest first.')
  @ApiOperation({ summary: 'Every token: name, role, who made it, whether its person made or claimed it, expiry, last use, revocation (never the token).' })
  async list() {
    return { tokens: await this.tokens.list() };
  }

  @Delete('tokens/:id')
  @RequireRole('admin')
  @ApiIdParam('id', 'The token id (GET /tokens lists them).')
  @ApiZodResponse(200, tokenSchema, 'The token, revoked (revoking it again changes nothing).')
  @ApiErrors({ 400: ['invalid_token_id', 'invalid_request'], 404: ['token_not_found'] })
  @ApiOperation({ summary: 'Revoke a token at once (other API replicas within a second).' })
  revoke(@Param('id') id: string, @CurrentCaller() caller: Caller, @Query() query: RevokeTokenQueryDto) {
    return this.tokens.revoke(id, caller, query.reason);
  }
}

/** "365d" for 365 days, "24h" for a day: as an operator writes it. */
function maxText(ms: number): string {
  return ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : humanDuration(ms);
}
