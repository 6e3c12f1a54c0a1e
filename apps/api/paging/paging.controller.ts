import { Controller, HttpCode, HttpStatus, Inject, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest as Request } from 'fastify';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators';
import { ApiError } from '../common/error.filter';
import { ApiZodResponse } from '../common/openapi/api-decorators';
import { ApiErrors } from '../common/openapi/api-errors';
import { opsgenieOutcomeSchema, pagerDutyOutcomeSchema } from './paging-responses.dto';
import { PAGING_VENDORS, type PagingVendors } from './outbox-sender.service';
import { opsgenieSecretValid, recordOpsgenieAction } from './opsgenie-webhook';
import { pagerDutySignatureValid, recordPagerDutyEvent } from './pagerduty-webhook';
import { jiraSignatureValid, recordJiraEvent } from './jira-webhook';
import type { WebhookSecrets } from './paging.module';

@ApiTags('webhooks')
// PagerDuty proves itself with X-PagerDuty-Signature (settings.pagerduty.webhookSecretEnv), Jira
// with X-Hub-Signature (settings.jira.webhookSecretEnv), Opsgenie with a shared secret in a custom
// header (settings.opsgenie.webhookSecretEnv).
@Public()
@Controller('webhooks/paging')
export class PagingController {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(PAGING_VENDORS) private readonly vendors: PagingVendors & WebhookSecrets,
  ) {}

  @Post('pagerduty')
  @HttpCode(HttpStatus.OK)
  @ApiZodResponse(200, pagerDutyOutcomeSchema, 'Whether the event was acted on (an acknowledgement or resolution of a page Palisade sent), and why not.')
  @ApiErrors({ 400: ['invalid_payload'], 401: ['source_not_configured', 'invalid_signature'] })
  @ApiOperation({ summary: "PagerDuty v3 webhooks: an acknowledgement of a Palisade page marks the incident acknowledged, with who did it, on its timeline." })
  async pagerDuty(@Req() req: Request) {
    const header = req.headers['x-pagerduty-signature'];
    const body = verifiedJson(req, {
      secrets: this.vendors.pagerDutyWebhookSecrets,
      valid: (raw, secrets) => pagerDutySignatureValid(raw, Array.isArray(header) ? header.join(',') : header, secrets),
      notConfigured: [
        'PagerDuty webhooks are refused: no signing secret is configured.',
        "Set settings.pagerduty.webhookSecretEnv in runbooks/providers.yaml to the variable holding the webhook subscription's secret.",
      ],
      invalid: [
        'X-PagerDuty-Signature is missing or matches no v1 HMAC-SHA256 of the body under the configured secret.',
        "Send the body exactly as PagerDuty signed it, and give Palisade the subscription's current secret (settings.pagerduty.webhookSecretEnv).",
      ],
      notJsonHint: 'Point a PagerDuty v3 webhook subscription at this URL; it sends {"event": {...}}.',
    });
    return recordPagerDutyEvent(this.db, body);
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
        'Set settings.opsgenie.webhookSecretEnv in runbooks/providers.yaml to the variable holding the secret the outgoing webhook integration sends in its custom header.',
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

  @Post('jira')
  @HttpCode(HttpStatus.OK)
  @ApiZodResponse(200, pagerDutyOutcomeSchema, "Whether the event was recorded (a status change of a ticket Palisade opened), and why not.")
  @ApiErrors({ 400: ['invalid_payload'], 401: ['source_not_configured', 'invalid_signature'] })
  @ApiOperation({ summary: "Jira Cloud admin webhooks: a status change of an incident's ticket is on its timeline (a ticket moved to done does not resolve the incident)." })
  async jira(@Req() req: Request) {
    const header = req.headers['x-hub-signature'];
    const body = verifiedJson(req, {
      secrets: this.vendors.jiraWebhookSecrets,
      valid: (raw, secrets) => jiraSignatureValid(raw, Array.isArray(header) ? header[0] : header, secrets),
      notConfigured: [
        'Jira webhooks are refused: no webhook secret is configured.',
        'Register the webhook with a secret in Jira (System → WebHooks) and set settings.jira.webhookSecretEnv in runbooks/providers.yaml to the variable holding it.',
      ],
      invalid: [
        'X-Hub-Signature is missing or is not sha256=<HMAC-SHA256 of the body> under the configured secret.',
        "Send the body exactly as Jira signed it, and give Palisade the webhook's current secret (settings.jira.webhookSecretEnv).",
      ],
      notJsonHint: 'Point a Jira admin webhook (event: issue updated) at this URL; it sends JSON.',
    });
    const delivery = req.headers['x-atlassian-webhook-identifier'];
    return recordJiraEvent(this.db, body, typeof delivery === 'string' && delivery.length <= 200 ? delivery : undefined);
  }
}

/** A vendor's signed webhook: 401 without a configured secret or with a wrong signature, 400 when not JSON; else the parsed body. */
function verifiedJson(
  req: Request,
  o: { secrets: string[]; valid: (raw: Buffer, secrets: string[]) => boolean; notConfigured: [string, string]; invalid: [string, string]; notJsonHint: string },
): unknown {
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  if (o.secrets.length === 0) throw new ApiError(HttpStatus.UNAUTHORIZED, 'source_not_configured', ...o.notConfigured);
  if (!o.valid(raw, o.secrets)) throw new ApiError(HttpStatus.UNAUTHORIZED, 'invalid_signature', ...o.invalid);
  return jsonBody(raw, o.notJsonHint);
}

/** The raw body as JSON, or 400 invalid_payload with the hint for its sender. */
function jsonBody(raw: Buffer, hint: string): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new ApiError(HttpStatus.BAD_REQUEST, 'invalid_payload', 'The body is not JSON.', hint);
  }
}
