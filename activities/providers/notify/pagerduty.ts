import type { Notification, NotificationReceipt, ProviderCall } from '../../../lib/providers/capabilities';
import type { PagerDutyPaging } from '../paging/pagerduty';
import type { NotifyProvider } from './notify.provider';

/**
 * A playbook's notices as PagerDuty events. A page or an escalation joins the incident's own
 * page (dedup key = the incident id, so nobody is paged twice for one incident); an owner's
 * notice is an `info` event of its own, keyed by the step so a retried step sends it once.
 * The recipient names a service (settings.pagerduty.services), else the default service.
 */
export class PagerDutyNotify implements NotifyProvider {
  constructor(private readonly pagerDuty: PagerDutyPaging) {}

  async send(call: ProviderCall, message: Notification): Promise<NotificationReceipt> {
    const urgent = message.kind !== 'notify';
    const receipt = await this.pagerDuty.send({
      action: 'trigger',
      dedupKey: urgent ? call.incidentId : call.idempotencyKey,
      service: message.to,
      summary: message.subject,
      source: 'palisade',
      severity: message.kind === 'page' ? 'critical' : message.kind === 'escalate' ? 'high' : 'low',
      details: { body: message.body, kind: message.kind, to: message.to, incidentId: call.incidentId },
    });
    return { messageId: `pagerduty:${receipt.dedupKey}`, at: new Date().toISOString() };
  }
}
