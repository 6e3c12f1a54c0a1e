import { Inject, Injectable, Logger } from '@nestjs/common';
import type { App, BlockAction, ButtonAction, ViewSubmitAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { performance } from 'node:perf_hooks';
import type { GateDecision } from '../../../lib/approvals/gate';
import type { ErrorBody } from '../../../lib/errors';
import { APPROVE_ACTION, DENY_REASON_INPUT, SlackActionId, SlackViewId, decodeGateRef, encodeGateRef, type GateRef } from '../../../lib/slack/actions';
import type { SlackTemplates } from '../../../lib/slack/templates';
import { ApprovalsService } from '../approvals/approvals.service';
import { ApiError } from '../common/error.filter';
import { MetricsService } from '../metrics/metrics.service';
import { ANSWER_WITHIN_MS, arrival } from './slack.bolt';
import { SlackCommands } from './slack.commands';
import { SlackIdentity } from './slack.identity';
import type { SlackIncidentAction } from './slack.incident-actions';

/** Where a click came from: who, in which channel, on which message. */
interface Clicker {
  slackUserId: string;
  channel: string | undefined;
}

/** What a clicker reads when their click did not count, by error code (the validator's sentence comes first). */
const SLACK_HINTS: Record<string, string> = {
  not_allowed: 'Ask one of the people it names, or an admin to change runbooks/approvals.yaml.',
  own_request: 'Four-eyes: another approver must decide.',
  already_voted: 'Your vote is counted; the step waits for another approver.',
  same_person: 'Another approver must decide.',
  already_decided: 'Nothing to do: the message shows who decided.',
  expired: 'Too late: the incident timeline shows what the fallback did.',
  unknown_gate: 'This message is not about a gate this incident has.',
  invalid_choice: 'Use one of the Approve buttons.',
  playbook_not_running: 'Nothing to decide any more: the incident timeline has the whole story.',
  incident_not_found: 'This message names an incident Palisade does not have.',
  temporal_unavailable: 'Your vote may not have counted. The message changes when it does; otherwise click again in a minute.',
  playbook_failed: "Your vote did not count: the incident's playbook is failing on its worker. Tell whoever runs Palisade (the worker's logs say why); the incident page shows its gates.",
  unknown_person: 'Ask an admin to add your Slack user id (or your email) to runbooks/people.yaml.',
  person_disabled: 'If that is a mistake, ask an admin to re-enable you in runbooks/people.yaml.',
  identity_unverified: 'Click again in a moment, or decide through the API or the incident page.',
  stale_request: 'Use the newest message about this step, or the incident page.',
};

type VoteResult = { counted: true; outcome: string; approvals: number; needed: number } | { counted: false; code: string; text: string };

/**
 * Approve, Deny and "Deny with reason" in Slack. Each click is acknowledged at once (Slack
 * allows 3 seconds), then runs the gate's `decide` Update as the person behind the Slack user.
 * A vote that counts changes the message (the playbook re-renders it); one that does not is
 * answered with an ephemeral message giving the reason, and lands on the incident's timeline.
 */
@Injectable()
export class SlackInteractions {
  private readonly log = new Logger('Slack');

  constructor(
    @Inject(ApprovalsService) private readonly approvals: ApprovalsService,
    @Inject(SlackIdentity) private readonly identity: SlackIdentity,
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @Inject(SlackCommands) private readonly commands: SlackCommands,
  ) {}

  register(app: App, templates: SlackTemplates): void {
    app.action<BlockAction<ButtonAction>>(APPROVE_ACTION, async ({ ack, body, action, client, context }) => {
      await ack();
      await this.click(client, body, action, 'approve', arrival(context));
    });
    app.action<BlockAction<ButtonAction>>(SlackActionId.Deny, async ({ ack, body, action, client, context }) => {
      await ack();
      await this.click(client, body, action, 'deny', arrival(context));
    });
    app.action<BlockAction<ButtonAction>>(SlackActionId.DenyWithReason, async ({ ack, body, action, client }) => {
      await ack();
      const ref = decodeGateRef(action.value);
      const channel = channelOf(body);
      const clicker = { slackUserId: body.user.id, channel };
      if (!ref?.requestedAt) {
        await this.tell(client, clicker, ref ? OLDER_BUTTON : NOT_OURS);
        return;
      }
      const gate = await this.approvals
        .gates(ref.incidentId)
        .then((gates) => gates.find((g) => g.id === ref.gateId))
        .catch(() => undefined);
      if (gate && gate.requestedAt !== ref.requestedAt) {
        await this.tell(client, clicker, `This message is about an earlier request for '${gate.step}': the incident was reopened and asked again. ${SLACK_HINTS.stale_request}`);
        return;
      }
      if (gate && gate.status !== 'open' && gate.status !== 'paused') {
        await this.tell(client, clicker, `'${gate.step}' is ${gate.status} already: nothing to deny.`);
        return;
      }
      await client.views.open({
        trigger_id: body.trigger_id,
        view: templates.modal('deny-reason-modal', {
          callbackId: SlackViewId.DenyReason,
          privateMetadata: JSON.stringify({ ref: encodeGateRef(ref), channel }),
          step: gate?.step ?? ref.gateId,
          summary: gate?.summary ?? '',
          reasonBlock: DENY_REASON_INPUT.block,
          reasonAction: DENY_REASON_INPUT.action,
        }) as never,
      });
    });
    app.action<BlockAction<ButtonAction>>(SlackActionId.IncidentAcknowledge, async ({ ack, body, action, client }) => {
      await ack();
      await this.incidentClick(client, body, action, 'ack');
    });
    app.action<BlockAction<ButtonAction>>(SlackActionId.IncidentTake, async ({ ack, body, action, client }) => {
      await ack();
      await this.incidentClick(client, body, action, 'take');
    });
    app.view<ViewSubmitAction>(SlackViewId.DenyReason, async ({ ack, body, view, client, context }) => {
      const meta = parseMetadata(view.private_metadata);
      const reason = view.state.values[DENY_REASON_INPUT.block]?.[DENY_REASON_INPUT.action]?.value?.trim() ?? '';
      if (!meta) {
        await ack({ response_action: 'errors', errors: { [DENY_REASON_INPUT.block]: 'This form is not one Palisade opened; deny from the message again.' } });
        return;
      }
      // Decided before the modal closes, so a vote that did not count is shown in the modal itself:
      // unlike a button click (acknowledged first, answered later by an ephemeral message), this
      // answer is the acknowledgement, so who the submitter is must be known within ANSWER_WITHIN_MS;
      // Slack slower than that refuses the vote as unverified (never counted), in the modal.
      const started = arrival(context);
      const result = await this.vote(client, { slackUserId: body.user.id, channel: meta.channel }, meta.ref, 'deny', started, reason, started + ANSWER_WITHIN_MS);
      if (result.counted) await ack();
      else await ack({ response_action: 'errors', errors: { [DENY_REASON_INPUT.block]: result.text.slice(0, 150) } });
    });
  }

  private async click(client: WebClient, body: BlockAction<ButtonAction>, action: ButtonAction, decision: GateDecision, started: number): Promise<void> {
    const ref = decodeGateRef(action.value);
    const clicker = { slackUserId: body.user.id, channel: channelOf(body) };
    // A button without the request time cannot tell a reopened incident's new request from the one it was made for.
    if (!ref?.requestedAt) {
      await this.tell(client, clicker, ref ? OLDER_BUTTON : NOT_OURS);
      return;
    }
    const result = await this.vote(client, clicker, ref, decision, started);
    if (!result.counted) await this.tell(client, clicker, result.text);
    else if (result.outcome === 'pending') await this.tell(client, clicker, `Your ${decision} counted: ${result.approvals} of ${result.needed} approvals; the step waits for another approver.`);
  }

  /**
   * Acknowledge or Take it on the incident's post (its value is the incident id): `/palisade
   * ack|take` as the clicker's person, with the responder role; the answer is ephemeral (an
   * acknowledgement also lands in the post's thread, through the paging outbox).
   */
  private async incidentClick(client: WebClient, body: BlockAction<ButtonAction>, action: ButtonAction, verb: Extract<SlackIncidentAction, 'ack' | 'take'>): Promise<void> {
    const clicker = { slackUserId: body.user.id, channel: channelOf(body) };
    let text: string;
    try {
      text = await this.commands.act(client, clicker.slackUserId, verb, action.value ?? '');
    } catch (err) {
      this.log.error(`Slack ${verb} click on ${action.value ?? '?'} failed: ${(err as Error).stack ?? String(err)}`);
      text = `Palisade could not ${verb === 'ack' ? 'acknowledge' : 'assign'} the incident (an internal error, logged): nothing changed. Try again, or use the incident page.`;
    }
    await this.tell(client, clicker, text);
  }

  /** Runs the Update as the Slack user's Palisade identity; a vote that did not count is on the timeline too. */
  /**
   * `started`: when the request reached the API (the click-to-decision figure starts there);
   * `identityBy`: when the voter must be known by (the vote is refused as unverified otherwise).
   */
  private async vote(client: WebClient, clicker: Clicker, ref: GateRef, decision: GateDecision, started: number, reason?: string, identityBy?: number): Promise<VoteResult> {
    let result: VoteResult;
    let approverId: string | undefined;
    try {
      const who = await this.identity.resolve(client, clicker.slackUserId, identityBy);
      if (who.kind === 'refused') {
        result = rejected(who.code, who.message);
      } else {
        approverId = who.approver.id;
        const verdict = await this.approvals.castVote(ref.incidentId, ref.gateId, who.approver, { decision, reason, choice: ref.choice, requestedAt: ref.requestedAt });
        result = { counted: true, outcome: verdict.outcome, approvals: verdict.approvals, needed: verdict.needed };
      }
    } catch (err) {
      if (!(err instanceof ApiError)) {
        this.log.error(`Slack click on ${ref.incidentId}/${ref.gateId} failed: ${(err as Error).stack ?? String(err)}`);
        this.metrics.slackClickDecision.observe({ outcome: 'error' }, (performance.now() - started) / 1000);
        return rejected('error', 'Palisade could not take your vote (an internal error, logged): nothing was decided. Try again, or decide through the API.');
      }
      const body = err.getResponse() as ErrorBody;
      result = rejected(body.error, body.message, body.hint);
    }
    this.metrics.slackClickDecision.observe({ outcome: result.counted ? 'counted' : 'rejected' }, (performance.now() - started) / 1000);
    if (!result.counted && result.code !== 'incident_not_found' && result.code !== 'playbook_not_running') {
      await this.approvals
        .recordRejectedClick({ incidentId: ref.incidentId, gateId: ref.gateId, slackUserId: clicker.slackUserId, approverId, code: result.code, message: result.text })
        .catch((err: unknown) => this.log.warn(`Rejected click not recorded on ${ref.incidentId}: ${(err as Error).message}`));
    }
    return result;
  }

  private async tell(client: WebClient, clicker: Clicker, text: string): Promise<void> {
    if (!clicker.channel) return;
    await client.chat
      .postEphemeral({ channel: clicker.channel, user: clicker.slackUserId, text })
      .catch((err: unknown) => this.log.warn(`Ephemeral answer to ${clicker.slackUserId} not posted: ${(err as Error).message}`));
  }
}

const NOT_OURS = 'This button is not one Palisade made: nothing was decided.';
const OLDER_BUTTON = 'This button comes from a message older than this version of Palisade, which cannot tell which request of the step it is for: nothing was decided. Use the incident page, or the message Palisade posts next for this step.';

function rejected(code: string, message: string, hint?: string): VoteResult {
  return { counted: false, code, text: `${message} ${SLACK_HINTS[code] ?? hint ?? ''}`.trim() };
}

function parseMetadata(raw: string): { ref: GateRef; channel: string | undefined } | undefined {
  try {
    const meta = JSON.parse(raw) as { ref?: string; channel?: string };
    const ref = decodeGateRef(meta.ref);
    return ref ? { ref, channel: typeof meta.channel === 'string' ? meta.channel : undefined } : undefined;
  } catch {
    return undefined;
  }
}

/** The channel of the message clicked (Bolt types `container` loosely). */
function channelOf(body: BlockAction): string | undefined {
  return body.channel?.id ?? (body.container as { channel_id?: string } | undefined)?.channel_id;
}
