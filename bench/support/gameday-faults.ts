// The drill harness's fault injector for game days: it owns the engine's processes (SIGKILL,
// start again, wait until ready) and the fake Slack (down: every call answered 503), and it
// reads what the fake Slack accepted for the scorecard's "delivered once" lines.
import type { FaultInjector, InfraFault, VendorDelivery, VendorLedger } from '../../lib/gamedays/faults';
import type { FakeSlack } from '../../test/support/fake-slack';
import type { DrillProcess } from '../drills/drill';

export interface HarnessParts {
  /** Named for the scorecard and refusals ("npm run gameday (drill harness)"). */
  where: string;
  worker?: DrillProcess;
  api?: DrillProcess;
  /** Temporal's history service: a process of its own on the real cluster only. */
  temporalHistory?: DrillProcess;
  slack?: FakeSlack;
}

const PROCESS_OF: Partial<Record<InfraFault, keyof Pick<HarnessParts, 'worker' | 'api' | 'temporalHistory'>>> = {
  'worker-killed': 'worker',
  'api-killed': 'api',
  'temporal-history-down': 'temporalHistory',
};

/** What each harness can break: `npm run gameday` (the drill engine) and `npm run gameday -- --cluster` (the real Temporal cluster). */
export const HARNESS_FAULTS: Record<'drill' | 'cluster', ReadonlySet<InfraFault>> = {
  drill: new Set(['worker-killed', 'api-killed', 'slack-down']),
  cluster: new Set(['worker-killed', 'api-killed', 'temporal-history-down', 'slack-down']),
};

export function harnessFaults(parts: HarnessParts): FaultInjector & VendorLedger {
  const processOf = (fault: InfraFault): DrillProcess | undefined => {
    const part = PROCESS_OF[fault];
    return part ? parts[part] : undefined;
  };
  const supports = new Set<InfraFault>((['worker-killed', 'api-killed', 'temporal-history-down'] as const).filter((f) => processOf(f)));
  if (parts.slack) supports.add('slack-down');
  return {
    where: parts.where,
    supports,
    async begin(fault) {
      if (fault === 'slack-down') return parts.slack!.fail('5xx');
      await required(processOf(fault), fault).kill('SIGKILL');
    },
    async end(fault) {
      if (fault === 'slack-down') return parts.slack!.recover();
      await required(processOf(fault), fault).start();
    },
    async slackDeliveries() {
      return parts.slack ? slackDeliveries(parts.slack) : [];
    },
  };
}

function required(p: DrillProcess | undefined, fault: InfraFault): DrillProcess {
  if (!p) throw new Error(`the harness has no process to break for ${fault}`);
  return p;
}

/** Messages the fake Slack accepted (a call it carried out, even one whose answer was then lost), keyed by their Palisade metadata. */
export function slackDeliveries(slack: FakeSlack): VendorDelivery[] {
  return slack.calls.flatMap((c) => {
    if (c.method !== 'chat.postMessage' || c.response?.ok !== true) return [];
    const meta = c.args.metadata as { event_type?: string; event_payload?: { incidentId?: string; gateId?: string; template?: string } } | undefined;
    const p = meta?.event_payload;
    if (!p?.incidentId) return [];
    const key = p.gateId ? `${p.template ?? 'approval'}:${p.gateId}` : (meta?.event_type ?? 'message');
    return [{ incidentId: p.incidentId, key, at: c.at }];
  });
}
