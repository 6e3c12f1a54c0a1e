import { z } from 'zod';

/** What POST /webhooks/paging/pagerduty answers (pagerduty-webhook.ts WebhookOutcome). */
export const pagerDutyOutcomeSchema = z
  .union([
    z.object({ recorded: z.literal(true), incidentId: z.string(), event: z.string() }),
    z.object({ recorded: z.literal(false), reason: z.string() }),
  ])
  .meta({ id: 'PagerDutyWebhookOutcome' });

/** What POST /webhooks/paging/opsgenie answers (page-acknowledgement.ts WebhookOutcome). */
export const opsgenieOutcomeSchema = pagerDutyOutcomeSchema.clone().meta({ id: 'OpsgenieWebhookOutcome' });
