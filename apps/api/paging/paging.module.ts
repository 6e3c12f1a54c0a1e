import { Module } from '@nestjs/common';
import { createPagingVendors } from '../../../activities/providers/registry';
import type { PalisadeConfig } from '../../../lib/config/env';
import { loadProvidersConfig } from '../../../lib/providers/providers-file';
import { PALISADE_CONFIG, VENDOR_ENV } from '../config/config.module';
import { OpsgeniePaging } from '../../../activities/providers/paging/opsgenie';
import { PagerDutyPaging } from '../../../activities/providers/paging/pagerduty';
import { OutboxSender, PAGING_VENDORS, type PagingVendors } from './outbox-sender.service';
import { PagingController, type PagingWebhookSecrets } from './paging.controller';

/** Pages and tickets: the outbox sender, and PagerDuty's and Opsgenie's acknowledgements coming back. */
@Module({
  controllers: [PagingController],
  providers: [OutboxSender, { provide: PAGING_VENDORS, inject: [PALISADE_CONFIG, VENDOR_ENV], useFactory: pagingVendors }],
})
export class PagingModule {}

function pagingVendors(config: PalisadeConfig, env: Readonly<Record<string, string | undefined>>): PagingVendors & PagingWebhookSecrets {
  const vendors = createPagingVendors(loadProvidersConfig(config.playbooks.providersFile), { env });
  const pd = vendors.paging instanceof PagerDutyPaging ? vendors.paging.config : undefined;
  const og = vendors.paging instanceof OpsgeniePaging ? vendors.paging.config : undefined;
  return {
    ...vendors,
    pagerDutyWebhookSecrets: secretList(pd?.webhookSecret),
    opsgenieWebhook: { header: og?.webhookHeader ?? 'X-Palisade-Webhook-Secret', secrets: secretList(og?.webhookSecret) },
  };
}

/** A secret setting's values: comma-separated during a rotation. */
function secretList(value: string | undefined): string[] {
  return value ? value.split(',').map((s) => s.trim()).filter(Boolean) : [];
}
