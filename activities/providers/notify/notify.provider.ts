import type { Notification, NotificationReceipt, ProviderCall } from '../../../lib/providers/capabilities';

/** Tells people things: owners, on-call groups, pagers (email, PagerDuty, Slack, the simulated outbox). */
export interface NotifyProvider {
  send(call: ProviderCall, message: Notification): Promise<NotificationReceipt>;
}
