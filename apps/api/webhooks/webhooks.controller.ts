import { Controller, HttpStatus, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SOURCES } from '../../../lib/intake/alert';
import { Public } from '../auth/auth.decorators';
import { ApiErrors } from '../common/openapi/api-errors';
import { ApiZodResponse } from '../common/openapi/api-decorators';
import { webhookAcceptedSchema } from './dto/webhook-responses.dto';
import { IntakeService } from './intake.service';

@ApiTags('webhooks')
// Each source proves itself with its own secret or signature (PALISADE_WEBHOOK_SECRET_<SOURCE>, SNS).
@Public()
@Controller('webhooks')
export class WebhooksController {
  constructor(@Inject(IntakeService) private readonly intake: IntakeService) {}

  @Post(':source')
  // The document has one path per source (webhooks.openapi.ts): each its own authentication and body.
  @ApiParam({ name: 'source', enum: SOURCES })
  @ApiBody({ required: true, schema: {} })
  @ApiZodResponse(202, webhookAcceptedSchema, 'Stored: every alert of the delivery, or none (then an error).')
  @ApiErrors({ 400: ['empty_body', 'malformed_json', 'invalid_payload'], 415: ['unsupported_content_type'], 503: ['storage_unavailable'] })
  @ApiOperation({
    summary: 'Receive an alert from a SIEM.',
    description:
      'Answers 202 only once the alert is stored: {alertIds, incidentId, disposition: started|merged|suppressed|duplicate}; ' +
      'a body with several findings answers {alertIds, alerts: [{alertId, incidentId, disposition}]}.',
  })
  async receive(@Param('source') source: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) res: FastifyReply) {
    const answer = await this.intake.receive({
      source,
      rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      contentType: req.headers['content-type'],
      headers: flatten(req.headers),
      query: flatten(req.query as Record<string, unknown>),
    });
    void res.status(answer.status === 202 ? HttpStatus.ACCEPTED : HttpStatus.OK);
    return answer.body;
  }
}

function flatten(values: Record<string, unknown>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(values)) {
    out[k.toLowerCase()] = Array.isArray(v) ? (typeof v[0] === 'string' ? v[0] : undefined) : typeof v === 'string' ? v : undefined;
  }
  return out;
}
