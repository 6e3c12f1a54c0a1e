import { Module } from '@nestjs/common';
import { createPagingVendors } from '../../../activities/providers/registry';
import type { PalisadeConfig } from '../../../lib/config/env';
import { loadPagingPolicy } from '../../../lib/paging/policy';
import type { Capability } from '../../../lib/providers/capabilities';
import { loadProvidersConfig, type VendorOf } from '../../../lib/providers/providers-file';
import { PALISADE_CONFIG, VENDOR_ENV } from '../config/config.module';
import { PagerDutyPaging } from '../../../activities/providers/paging/pagerduty';
import { JiraTicketing } from '../../../activities/providers/ticketing/jira';
import { OutboxSender, PAGING_VENDORS, type PagingVendors } from './outbox-sender.service';
import { PagingController } from './paging.controller';

/** Pages and tickets: the outbox sender, and PagerDuty's acknowledgements coming back. */
@Module({
  controllers: [PagingController],
  providers: [OutboxSender, { provide: PAGING_VENDORS, inject: [PALISADE_CONFIG, VENDOR_ENV], useFactory: pagingVendors }],
})
export class PagingModule {}

/** Webhook signing secrets of the paging and ticketing vendors, each a list (several during a rotation). */
export interface WebhookSecrets {
  pagerDutyWebhookSecrets: string[];
  jiraWebhookSecrets: string[];
}

const list = (secret: string | undefined) => (secret ? secret.split(',').map((s) => s.trim()).filter(Boolean) : []);

function pagingVendors(config: PalisadeConfig, env: Readonly<Record<string, string | undefined>>): PagingVendors & WebhookSecrets {
  const via = loadPagingPolicy(config.playbooks.pagingFile).policies.flatMap((p) => (p.page ?? []).flatMap((c) => (c.via ? [c.via] : [])));
  const vendors = createPagingVendors(loadProvidersConfig(config.playbooks.providersFile), { env }, via as VendorOf<Capability.Paging>[]);
  const pagerDuty = vendors.pagers.get('pagerduty');
  const secret = pagerDuty instanceof PagerDutyPaging ? pagerDuty.config.webhookSecret : undefined;
  const jira = vendors.ticketing instanceof JiraTicketing ? vendors.ticketing.config.webhookSecret : undefined;
  return { ...vendors, pagerDutyWebhookSecrets: list(secret), jiraWebhookSecrets: list(jira) };
}
