import { SlackActionId } from '../../lib/slack/actions';
import type { FakeSlack, SlackCall } from '../../test/support/fake-slack';
import { until } from './stats';

/** The users test/support/slack.ts's SLACK_USERS gives the fake Slack (that file needs vitest, so not imported): alice by her people.yaml id, bob by email. */
export const SLACK_USERS = [
  { id: 'U0ALICE01', name: 'alice', email: 'alice@example.com' },
  { id: 'U0BOB0001', name: 'bob', email: 'bob@example.com' },
];
/** Who clicks Approve, and whose requests the incidents are (four-eyes lets alice decide bob's). */
export const CLICKER = SLACK_USERS[0];
export const REQUESTED_BY = 'bob';
/** The gate a host-compromise incident on a host nobody enrolled opens, needing one approver. */
export const GATE = 'isolate-host';

export interface Posted {
  channel: string;
  ts: string;
  approve: { action_id: string; value: string };
}

/** Reads FakeSlack's calls as they arrive: gate requests by incident, decided messages by ts, ephemeral answers to the clicker. */
export class SlackWatch {
  readonly gates = new Map<string, Posted>();
  readonly decided = new Map<string, SlackCall>();
  readonly ephemerals: string[] = [];
  private read = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly slack: FakeSlack) {
    this.timer = setInterval(() => this.scan(), 5);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private scan(): void {
    const calls = this.slack.calls;
    for (; this.read < calls.length; this.read++) {
      const c = calls[this.read];
      if (c.fault || !c.response?.ok) continue;
      if (c.method === 'chat.postMessage') {
        const meta = c.args.metadata?.event_payload as { incidentId?: string; gateId?: string; template?: string } | undefined;
        if (meta?.incidentId && meta.gateId === GATE && meta.template === 'approval') {
          const actions = (c.args.blocks as any[] | undefined)?.find((b) => b.type === 'actions');
          const approve = (actions?.elements ?? []).find((e: any) => String(e.action_id).startsWith(SlackActionId.Approve));
          if (approve) this.gates.set(meta.incidentId, { channel: c.response.channel, ts: c.response.ts, approve });
        }
      } else if (c.method === 'chat.update' && !this.decided.has(String(c.args.ts)) && JSON.stringify(c.args.blocks).includes(`Approved by ${CLICKER.name}`)) {
        this.decided.set(String(c.args.ts), c);
      } else if (c.method === 'chat.postEphemeral' && c.args.user === CLICKER.id) {
        this.ephemerals.push(String(c.args.text));
      }
    }
  }

  /** Resolves when every incident's gate request reached Slack. */
  async allPosted(incidents: string[], timeoutMs: number): Promise<void> {
    await until(
      () => `the ${GATE} requests of ${incidents.length} incidents in Slack (${incidents.filter((id) => this.gates.has(id)).length} posted)`,
      () => (incidents.every((id) => this.gates.has(id)) ? true : undefined),
      timeoutMs,
      50,
    );
  }
}
