import { Controller, HttpCode, HttpStatus, Inject, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators';
import { ApiError } from '../common/error.filter';
import { ApiZodResponse } from '../common/openapi/api-decorators';
import { ApiErrors } from '../common/openapi/api-errors';
import { opsgenieOutcomeSchema, pagerDutyOutcomeSchema } from './paging-responses.dto';
import { PAGING_VENDORS, type PagingVendors } from './outbox-sender.service';
import { opsgenieSecretValid, recordOpsgenieAction } from './opsgenie-webhook';
import { pagerDutySignatureValid, recordPagerDutyEvent } from './pagerduty-webhook';

/** What the pagers' webhooks are checked with (paging.module.ts reads them from runbooks/providers.yaml). */
export interface PagingWebhookSecrets {
  pagerDutyWebhookSecrets: string[];
  opsgenieWebhook: { header: string; secrets: string[] };
}

@ApiTags('webhooks')
// PagerDuty proves itself with X-PagerDuty-Signature (settings.pagerduty.webhookSecretEnv);
// Opsgenie with a shared secret in a custom header (settings.opsgenie.webhookSecretEnv).
@Public()
@Controller('webhooks/paging')
export class PagingController {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(PAGING_VENDORS) private readonly vendors: PagingVendors & PagingWebhookSecrets,
  ) {}

  @Post('pagerduty')
  @HttpCode(HttpStatus.OK)
  @ApiZodResponse(200, pagerDutyOutcomeSchema, 'Whether the event was acted on (an acknowledgement or resolution of a page Palisade sent), and why not.')
  @ApiErrors({ 400: ['invalid_payload'], 401: ['source_not_configured', 'invalid_signature'] })
  @ApiOperation({ summary: "PagerDuty v3 webhooks: an acknowledgement of a Palisade page marks the incident acknowledged, with who did it, on its timeline." })
  async pagerDuty(@Req() req: Request) {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const secrets = this.vendors.pagerDutyWebhookSecrets;
    if (secrets.length === 0) {
      throw new ApiError(
        HttpStatus.UNAUTHORIZED,
        'source_not_configured',
        'PagerDuty webhooks are refused: no signing secret is configured.',
        'Set settings.pagerduty.webhookSecretEnv in runbooks/providers.yaml to the variable holding the webhook subscription\'s secret.',
      );
    }
    const header = req.headers['x-pagerduty-signature'];
    if (!pagerDutySignatureValid(raw, Array.isArray(header) ? header.join(',') : header, secrets)) {
      throw new ApiError(
        HttpStatus.UNAUTHORIZED,
        'invalid_signature',
        'X-PagerDuty-Signature is missing or matches no v1 HMAC-SHA256 of the body under the configured secret.',
        "Send the body exactly as PagerDuty signed it, and give Palisade the subscription's current secret (settings.pagerduty.webhookSecretEnv).",
      );
    }
    return recordPagerDutyEvent(this.db, jsonBody(raw, 'Point a PagerDuty v3 webhook subscription at this URL; it sends {"event": {...}}.'));
  }

  @Post('opsgenie')
  @HttpCode(HttpStatus.OK)
  @ApiZodResponse(200, opsgenieOutcomeSchema, 'Whether the action was acted on (an acknowledgement or close of an alert Palisade created), and why not.')
  @ApiErrors({ 400: ['invalid_payload'], 401: ['source_not_configured', 'missing_token', 'invalid_token'] })
  @ApiOperation({ summary: 'Opsgenie (or Jira Service Management Operations) outgoing webhooks: an acknowledgement of a Palisade alert marks the incident acknowledged, with who did it, on its timeline.' })
  async opsgenie(@Req() req: Request) {
    const { header, secrets } = this.vendors.opsgenieWebhook;
    if (secrets.length === 0) {
      throw new ApiError(
        HttpStatus.UNAUTHORIZED,
        'source_not_configured',
        'Opsgenie webhooks are refused: no shared secret is configured.',
        "Set settings.opsgenie.webhookSecretEnv in runbooks/providers.yaml to the variable holding the secret the outgoing webhook integration sends in its custom header.",
      );
    }
    const presented = req.headers[header.toLowerCase()];
    const value = Array.isArray(presented) ? presented[0] : presented;
    if (!value) {
      throw new ApiError(HttpStatus.UNAUTHORIZED, 'missing_token', `The ${header} header is missing.`, `Add a custom header ${header} with the shared secret to the outgoing webhook integration in Opsgenie.`);
    }
    if (!opsgenieSecretValid(value, secrets)) {
      throw new ApiError(HttpStatus.UNAUTHORIZED, 'invalid_token', `The ${header} header does not match the configured secret.`, `Give the integration's custom header ${header} the value of the variable settings.opsgenie.webhookSecretEnv names.`);
    }
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    return recordOpsgenieAction(this.db, jsonBody(raw, 'Point an Opsgenie outgoing webhook integration at this URL; it sends {"action": ..., "alert": {...}}.'));
  }
}

/** The raw body as JSON, or 400 invalid_payload with the hint for its sender. */
function jsonBody(raw: Buffer, hint: string): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new ApiError(HttpStatus.BAD_REQUEST, 'invalid_payload', 'The body is not JSON.', hint);
  }
}
