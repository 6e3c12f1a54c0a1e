import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.decorators';
import { ApiZodResponse } from '../common/openapi/api-decorators';
import { liveSchema, notReadySchema, readySchema } from './dto/health-responses.dto';
import { HealthService } from './health.service';

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(@Inject(HealthService) private readonly health: HealthService) {}

  @Get('healthz')
  @ApiZodResponse(200, liveSchema, 'The API process is up.')
  @ApiOperation({ summary: 'Liveness: the API process is up.' })
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiZodResponse(200, readySchema, 'Ready: Postgres, Temporal and a worker answer; `degraded` when the inbox is far behind (checks.inbox says by how much; the door still takes alerts).')
  @ApiZodResponse(503, notReadySchema, 'Not ready: the checks say what is missing.')
  @ApiOperation({ summary: 'Readiness: Postgres answers, Temporal answers and a worker polls the task queue.' })
  async readyz(@Res({ passthrough: true }) res: FastifyReply): Promise<object> {
    const { ready, degraded, checks, inbox, stuck } = await this.health.readiness();
    // Degraded stays 200: the door must keep storing alerts, so a load balancer keeps sending them.
    if (ready) return { status: degraded ? 'degraded' : 'ready', checks, inbox, stuck };
    void res.status(HttpStatus.SERVICE_UNAVAILABLE);
    const failing = Object.entries(checks)
      .filter(([name, c]) => !c.ok && name !== 'inbox')
      .map(([name, c]) => `${name} (${c.detail})`);
    return {
      error: 'not_ready',
      message: `Palisade is not ready: ${failing.join('; ')}.`,
      hint: 'Wait for start-up to finish; if it persists, check that Postgres, Temporal and the worker are running.',
      checks,
      inbox,
      stuck,
    };
  }
}
