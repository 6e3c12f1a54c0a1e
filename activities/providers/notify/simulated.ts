import { Capability, type Notification, type NotificationReceipt, type ProviderCall } from '../../../lib/providers/capabilities';
import type { SimulatedFleet } from '../simulated/fleet';
import { shortHash } from '../simulated/rows';
import type { NotifyProvider } from './notify.provider';

/** An outbox in Postgres (sim_notifications): drills and tests read what would have been sent. */
export class SimulatedNotify implements NotifyProvider {
  constructor(private readonly fleet: SimulatedFleet) {}

  send(call: ProviderCall, message: Notification): Promise<NotificationReceipt> {
    return this.fleet.perform(call, Capability.Notify, 'send', message.to, async (m) => {
      await m.query(`INSERT INTO sim_notifications (id, recipient, kind, subject, body) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`, [
        call.idempotencyKey,
        message.to,
        message.kind,
        message.subject,
        message.body,
      ]);
      return { messageId: `sim-msg-${shortHash(call.idempotencyKey)}`, at: new Date().toISOString() };
    });
  }
}
