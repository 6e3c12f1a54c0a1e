import { ActivityFailure, ApplicationFailure, CancellationScope, condition, isCancellation, log, proxyActivities, TimeoutFailure } from '@temporalio/workflow';
import type { FallbackNotifierActivities } from '../../activities/notify/fallback-webhook.activities';
import type { PostedMessage, SlackActivities } from '../../activities/slack/slack.activities';
import type { GateState } from '../../lib/approvals/gate';
import { durationMs } from '../../lib/duration';
import type { ApprovalMessage } from '../../lib/slack/approval-view';
import { SlackFailure } from '../../lib/slack/failures';
import type { IncidentRun } from './incident-run';
import { RETRY } from './retry';

/** Until the gate's `unreachableAfter`: Slack is retried with backoff, then someone is told. */
const urgent = (unreachableAfter: string) =>
  proxyActivities<SlackActivities>({ startToCloseTimeout: '10s', scheduleToCloseTimeout: durationMs(unreachableAfter), retry: RETRY.slack });
/** After that, as long as the gate waits: a minute apart at most, cancelled when the gate closes. */
const patient = proxyActivities<SlackActivities>({ startToCloseTimeout: '10s', retry: RETRY.slack });
/** Re-rendering a posted message: worth a minute of retries, never worth holding anything up. */
const updates = proxyActivities<SlackActivities>({ startToCloseTimeout: '10s', scheduleToCloseTimeout: '1m', retry: RETRY.slack });
const fallbackNotifier = proxyActivities<FallbackNotifierActivities>({
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: ['FallbackRefused'] },
});

const waiting = (gate: GateState) => gate.status === 'open' || gate.status === 'paused';
/** What a message shows changed: its status, its votes, its tier, what it needs. */
const revision = (gate: GateState) => `${gate.status}|${gate.votes.length}|${gate.tier}|${gate.needed}`;

/**
 * Keeps an approval gate's Slack messages in step with the gate, beside the gate's wait and
 * never in its way (a gate is decided by people or its fallback, never by Slack's state):
 * 1. Post the request to the policy's channel. If Slack cannot be reached within the policy's
 *    `unreachableAfter`: say so on the timeline, call the fallback notifier, and keep trying
 *    quietly until the gate closes; a late request is brought up to date at once (votes cast
 *    through the API meanwhile).
 * 2. On every vote, escalation and the decision, re-render every message posted for the gate
 *    (buttons go once it is decided); post each escalation to its tier's channel, mentioning
 *    its group, and the fallback once nobody decided.
 */
export async function slackCourier(run: IncidentRun, gate: GateState): Promise<void> {
  const slack = gate.policy.slack;
  if (!slack) {
    await run.timeline.record('note', `Slack is connected, but the policy of ${gate.step} names no Slack channel: decide through the API`, { data: { gateId: gate.id } });
    return;
  }
  const message = (): ApprovalMessage => ({ incident: incidentOf(run), gate: { ...gate, votes: [...gate.votes] } });
  let unreachable = false;
  const outage = async (what: string, err: unknown) => {
    // Once the gate is decided nobody needs telling: a late failure must not page anyone.
    if (unreachable || !waiting(gate)) return;
    unreachable = true;
    const reason = describe(err);
    await run.timeline.record('slack.unreachable', `Slack could not be used to ${what} (${reason}): the gate stays open; decide through the API or the incident page`, {
      data: { gateId: gate.id, channel: slack.channel, reason },
    });
    try {
      const { sent } = await fallbackNotifier['notify.slackUnreachable']({
        event: 'slack.unreachable',
        incident: incidentOf(run),
        gate: { id: gate.id, step: gate.step, summary: gate.summary, deadline: gate.deadline, expiresAt: gate.expiresAt },
        reason,
      });
      if (sent) await run.timeline.record('slack.fallback-notified', `Fallback notifier told that ${gate.step} waits for a decision`, { data: { gateId: gate.id } });
    } catch (err2) {
      await run.timeline.record('note', `The fallback notifier could not be reached either (${describe(err2)})`, { data: { gateId: gate.id } });
    }
  };

  // 1. The request, unless an earlier run of this incident posted it (the run continued as new
  // at this gate): then the message is followed from where that run left it.
  const earlier = gate.slack;
  let seen = earlier ? '' : revision(gate);
  let request: PostedMessage | undefined = earlier ? { ...earlier, template: 'approval' } : undefined;
  if (!request) {
    try {
      request = await urgent(slack.unreachableAfter)['slack.requestApproval'](message());
    } catch (err) {
      if (isCancellation(err)) throw err;
      await outage(`ask for ${gate.step}`, err);
      if (refused(err)) return;
      seen = revision(gate);
      request = await whileWaiting(gate, () => patient['slack.requestApproval'](message()));
      if (!request) return;
    }
    gate.slack = { channel: request.channel, ts: request.ts };
    await run.timeline.record('slack.posted', `Approval request for ${gate.step} posted to ${slack.channel}${unreachable ? ' (Slack answers again)' : ''}`, {
      data: { gateId: gate.id, channel: request.channel, ts: request.ts },
    });
  }
  const posted: PostedMessage[] = [request];

  // 2. Keep it current.
  let tiersPosted = earlier ? gate.tier : 0;
  let fallbackPosted = earlier !== undefined && (gate.status === 'expired' || gate.status === 'paused');
  for (;;) {
    // Idle until the gate changes: the run may hand over to a new one here (it follows the message on).
    await run.idleBeside(() => condition(() => revision(gate) !== seen));
    seen = revision(gate);
    while (tiersPosted < gate.tier) {
      tiersPosted += 1;
      const tier = gate.policy.escalation[tiersPosted - 1];
      const channel = tier.slack?.channel ?? slack.channel;
      try {
        const escalation = await urgent(slack.unreachableAfter)['slack.postMessage'](channel, 'escalation', message());
        posted.push(escalation);
        await run.timeline.record('slack.escalated', `Escalation for ${gate.step} posted to ${channel}${tier.slack?.mention ? `, mentioning ${tier.slack.mention}` : ''}`, {
          data: { gateId: gate.id, tier: tiersPosted, channel, mention: tier.slack?.mention ?? null, ts: escalation.ts },
        });
      } catch (err) {
        if (isCancellation(err)) throw err;
        await outage(`post the escalation of ${gate.step}`, err);
      }
    }
    if ((gate.status === 'expired' || gate.status === 'paused') && !fallbackPosted) {
      fallbackPosted = true;
      const last = gate.policy.escalation.at(-1)?.slack?.channel ?? slack.channel;
      try {
        const fallback = await urgent(slack.unreachableAfter)['slack.postMessage'](last, 'fallback', message());
        await run.timeline.record('slack.fallback-posted', `Fallback of ${gate.step} (${gate.policy.fallback}) posted to ${last}`, { data: { gateId: gate.id, channel: last, ts: fallback.ts } });
      } catch (err) {
        if (isCancellation(err)) throw err;
        await outage(`post the fallback of ${gate.step}`, err);
      }
    }
    for (const m of posted) {
      try {
        await updates['slack.updateMessage'](m, message());
      } catch (err) {
        if (isCancellation(err)) throw err;
        log.warn('Slack message not updated', { gateId: gate.id, channel: m.channel, ts: m.ts, error: describe(err) });
      }
    }
    if (!waiting(gate) && revision(gate) === seen) return;
  }
}

/** Runs `attempt` until it answers or the gate closes (then cancels it): undefined if the gate closed first. */
async function whileWaiting<T>(gate: GateState, attempt: () => Promise<T>): Promise<T | undefined> {
  const scope = new CancellationScope();
  try {
    const outcome = await scope.run(() => Promise.race([attempt().then((value) => ({ value })), condition(() => !waiting(gate)).then(() => undefined)]));
    return outcome?.value;
  } finally {
    scope.cancel();
  }
}

function incidentOf(run: IncidentRun): ApprovalMessage['incident'] {
  const { input, state } = run;
  return { id: input.incidentId, title: input.title, severity: state.severity ?? input.severity, entity: input.entity.display, playbook: run.playbook.name };
}

function cause(err: unknown): unknown {
  return err instanceof ActivityFailure ? err.cause : err;
}

/** Slack said no, or the message could not be rendered: retrying will not help. */
function refused(err: unknown): boolean {
  const c = cause(err);
  return c instanceof ApplicationFailure && (c.nonRetryable || c.type === SlackFailure.Refused);
}

function describe(err: unknown): string {
  const c = cause(err);
  if (c instanceof TimeoutFailure) return c.cause instanceof Error ? `no answer in time; last: ${describe(c.cause)}` : 'no answer in time';
  return c instanceof Error ? c.message : String(c);
}
