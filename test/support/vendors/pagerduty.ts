import { json, LoopbackVendor, Reply, type RecordedRequest, type VendorReply } from './loopback';

export interface PagerDutyAlert {
  dedupKey: string;
  routingKey: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  summary: string;
  severity: string;
  /** trigger events applied to this alert (the first opened it). */
  triggers: number;
}

const SEVERITIES = ['critical', 'error', 'warning', 'info'];

/**
 * PagerDuty's Events API v2 on loopback (POST /v2/enqueue), as its documentation describes it:
 * 202 {status, message, dedup_key}; 400 {status: "invalid event", message, errors} for a
 * malformed event or an unknown routing key; one alert per dedup key and routing key, a
 * trigger on a resolved key opening a new one, acknowledge and resolve on an unknown key dropped.
 */
export class FakePagerDuty extends LoopbackVendor {
  /** Every alert ever opened, oldest first (a re-trigger after resolve opens another). */
  readonly alerts: PagerDutyAlert[] = [];

  constructor(readonly routingKeys: string[] = ['R0UTINGKEY00000000000000000000AA']) {
    super();
  }

  /** Trigger events received (accepted or not). */
  triggers(): unknown[] {
    return this.calls('POST', '/v2/enqueue')
      .map((r) => json(r) as { event_action?: string })
      .filter((e) => e?.event_action === 'trigger');
  }

  open(dedupKey: string): PagerDutyAlert | undefined {
    return this.alerts.filter((a) => a.dedupKey === dedupKey).at(-1);
  }

  protected isToken(): boolean {
    return false;
  }

  protected errorBody(status: number, message: string): unknown {
    return status === 429 ? { status: 'throttle event', message } : { status: 'unrecognized object', message, errors: [message] };
  }

  protected throttleHeaders(): Record<string, string> {
    return { 'retry-after': '1' };
  }

  protected handle(r: RecordedRequest): VendorReply {
    if (r.method !== 'POST' || r.path !== '/v2/enqueue') throw new Reply({ status: 404, body: { status: 'not found', message: 'Not Found' } });
    let event: Record<string, any>;
    try {
      event = JSON.parse(r.body) as Record<string, any>;
    } catch {
      return invalid('Event object is invalid', ['Invalid JSON']);
    }
    const errors: string[] = [];
    if (typeof event.routing_key !== 'string' || !this.routingKeys.includes(event.routing_key)) errors.push("'routing_key' is invalid");
    if (!['trigger', 'acknowledge', 'resolve'].includes(event.event_action)) errors.push("'event_action' is invalid");
    if (event.event_action !== 'trigger' && typeof event.dedup_key !== 'string') errors.push("'dedup_key' is required for acknowledge and resolve");
    if (event.event_action === 'trigger') {
      const p = event.payload ?? {};
      if (typeof p.summary !== 'string' || p.summary.length === 0 || p.summary.length > 1024) errors.push("'payload.summary' is missing or too long");
      if (typeof p.source !== 'string' || p.source.length === 0) errors.push("'payload.source' is missing");
      if (!SEVERITIES.includes(p.severity)) errors.push("'payload.severity' is invalid");
    }
    if (errors.length > 0) return invalid('Event object is invalid', errors);

    const dedupKey: string = event.dedup_key ?? `pd-${this.alerts.length + 1}`;
    const current = this.alerts.filter((a) => a.dedupKey === dedupKey && a.routingKey === event.routing_key && a.status !== 'resolved').at(-1);
    if (event.event_action === 'trigger') {
      if (current) current.triggers++;
      else this.alerts.push({ dedupKey, routingKey: event.routing_key, status: 'triggered', summary: event.payload.summary, severity: event.payload.severity, triggers: 1 });
    } else if (current) {
      current.status = event.event_action === 'acknowledge' ? 'acknowledged' : 'resolved';
    }
    return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: dedupKey } };
  }
}

function invalid(message: string, errors: string[]): VendorReply {
  return { status: 400, body: { status: 'invalid event', message, errors } };
}
