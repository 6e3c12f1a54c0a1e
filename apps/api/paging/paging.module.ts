import { Module } from '@nestjs/common';
import { createPagingVendors } from '../../../activities/providers/registry';
import type { PalisadeConfig } from '../../../lib/config/env';
import { loadPagingPolicy } from '../../../lib/paging/policy';
import type { Capability } from '../../../lib/providers/capabilities';
import { loadProvidersConfig, type VendorOf } from '../../../lib/providers/providers-file';
import { PALISADE_CONFIG, VENDOR_ENV } from '../config/config.module';
import { OpsgeniePaging } from '../../../activities/providers/paging/opsgenie';
import { PagerDutyPaging } from '../../../activities/providers/paging/pagerduty';
import { JiraTicketing } from '../../../activities/providers/ticketing/jira';
import { OutboxSender, PAGING_VENDORS, type PagingVendors } from './outbox-sender.service';
import { PagingController } from './paging.controller';
import { SlackIncidentPost } from '../../../activities/providers/chat/slack-post';
import { createSlackClient } from '../../../activities/slack/slack-client';

/** Pages and tickets: the outbox sender, and PagerDuty's, Opsgenie's and Jira's word coming back. */
@Module({
  controllers: [PagingController],
  providers: [OutboxSender, { provide: PAGING_VENDORS, inject: [PALISADE_CONFIG, VENDOR_ENV], useFactory: pagingVendors }],
})
export class PagingModule {}

/** Webhook secrets of the paging and ticketing vendors, each a list (several during a rotation). */
export interface WebhookSecrets {
  pagerDutyWebhookSecrets: string[];
  jiraWebhookSecrets: string[];
  /** Opsgenie signs nothing: its outgoing webhook sends a shared secret in a custom header. */
  opsgenieWebhook: { header: string; secrets: string[] };
}

function pagingVendors(config: PalisadeConfig, env: Readonly<Record<string, string | undefined>>): PagingVendors & WebhookSecrets {
  const via = loadPagingPolicy(config.playbooks.pagingFile).policies.flatMap((p) => (p.page ?? []).flatMap((c) => (c.via ? [c.via] : [])));
  const vendors = createPagingVendors(loadProvidersConfig(config.playbooks.providersFile), { env }, via as VendorOf<Capability.Paging>[]);
  const pagerDuty = vendors.pagers.get('pagerduty');
  const opsgenie = vendors.pagers.get('opsgenie');
  const og = opsgenie instanceof OpsgeniePaging ? opsgenie.config : undefined;
  const jira = vendors.ticketing instanceof JiraTicketing ? vendors.ticketing.config.webhookSecret : undefined;
  return {
    ...vendors,
    chat: config.slack ? new SlackIncidentPost(createSlackClient(config.slack)) : null,
    pagerDutyWebhookSecrets: secretList(pagerDuty instanceof PagerDutyPaging ? pagerDuty.config.webhookSecret : undefined),
    jiraWebhookSecrets: secretList(jira),
    opsgenieWebhook: { header: og?.webhookHeader ?? 'X-Palisade-Webhook-Secret', secrets: secretList(og?.webhookSecret) },
  };
}

/** A secret setting's values: comma-separated during a rotation. */
function secretList(value: string | undefined): string[] {
  return value ? value.split(',').map((s) => s.trim()).filter(Boolean) : [];
}
