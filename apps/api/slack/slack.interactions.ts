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
import { DENY_REASON_MIN, REASON_MAX } from '../approvals/dto/decide.dto';
import { ANSWER_WITHIN_MS, arrival } from './slack.bolt';
import { SlackCommands } from './slack.commands';
import { SlackIdentity, type SlackWho } from './slack.identity';
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

/** Where a form's submitter must be told otherwise: a form has no button to click again (its vote is cast once the form has closed). */
const SLACK_FORM_HINTS: Record<string, string> = {
  temporal_unavailable: 'Your vote may not have counted. The message changes when it does; otherwise deny again from the message in a minute.',
  identity_unverified: 'Submit again in a moment, or decide through the API or the incident page.',
};

/** A refusal as the form itself shows it (Slack shows 150 characters under the field): the outcome and the next step first; the whole text goes to the timeline. */
const FORM_REFUSALS: Record<string, string> = {
  identity_unverified: 'Nothing was decided: Palisade could not verify who you are in time (Slack was slow). Submit again in a moment, or use the incident page.',
};

/** Where a vote came from: a click on the gate's message, or the "Deny with reason" form. */
type VoteFrom = 'button' | 'form';

type VoteResult = { counted: true; outcome: string; approvals: number; needed: number } | { counted: false; code: string; text: string };

/**
 * Approve, Deny and "Deny with reason" in Slack. Each click, and the deny form once its reason
 * and its submitter are checked, is acknowledged at once (Slack allows 3 seconds), then runs the
 * gate's `decide` Update as the person behind the Slack user. A vote that counts changes the
 * message (the playbook re-renders it); one that does not is answered with an ephemeral message
 * giving the reason, and lands on the incident's timeline.
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
        await this.tell(client, clicker, ref ? OLDER_BUTTON : NOT_OURS, gateOf(ref, action.value));
        return;
      }
      const gate = await this.approvals
        .gates(ref.incidentId)
        .then((gates) => gates.find((g) => g.id === ref.gateId))
        .catch(() => undefined);
      if (gate && gate.requestedAt !== ref.requestedAt) {
        await this.tell(client, clicker, `This message is about an earlier request for '${gate.step}': the incident was reopened and asked again. ${SLACK_HINTS.stale_request}`, gateOf(ref));
        return;
      }
      if (gate && gate.status !== 'open' && gate.status !== 'paused') {
        await this.tell(client, clicker, `'${gate.step}' is ${gate.status} already: nothing to deny.`, gateOf(ref));
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
      // The acknowledgement is the form's answer and must reach Slack within its 3 seconds ("you only
      // have 3 seconds to respond", https://docs.slack.dev/tools/bolt-js/concepts/acknowledge/; an empty
      // ack() closes the form, `response_action: 'errors'` keeps it open with a message under the named
      // input block, 'update' and 'push' replace or stack a view, https://docs.slack.dev/tools/bolt-js/concepts/view-submissions/
      // and the modals guide it links, https://api.slack.com/surfaces/modals#interactions). So only what
      // is quick and local is answered in the form: the form is ours, the reason's length, who the
      // submitter is (within ANSWER_WITHIN_MS). The vote itself (the `decide` Update, waiting on the
      // run's worker for up to 10 s) runs after the form closes and is answered as a click's is: an
      // ephemeral message once Temporal has answered, never "counted" before it took the vote.
      const started = arrival(context);
      const meta = parseMetadata(view.private_metadata);
      const written = view.state.values[DENY_REASON_INPUT.block]?.[DENY_REASON_INPUT.action]?.value ?? '';
      const reason = written.trim();
      const inForm = (text: string) => ack({ response_action: 'errors', errors: { [DENY_REASON_INPUT.block]: text.slice(0, 150) } });
      if (!meta) {
        await inForm('This form is not one Palisade opened; deny from the message again.');
        return;
      }
      if (reason.length < DENY_REASON_MIN || written.length > REASON_MAX) {
        await inForm(`Say why you deny in ${DENY_REASON_MIN} to ${REASON_MAX} characters (this reason has ${reason.length < DENY_REASON_MIN ? reason.length : written.length}): nothing was decided.`);
        return;
      }
      const submitter = { slackUserId: body.user.id, channel: meta.channel };
      let who: SlackWho;
      try {
        who = await this.identity.resolve(client, submitter.slackUserId, started + ANSWER_WITHIN_MS);
      } catch (err) {
        this.log.error(`Slack deny form on ${meta.ref.incidentId}/${meta.ref.gateId} failed: ${(err as Error).stack ?? String(err)}`);
        this.metrics.slackClickDecision.observe({ outcome: 'error' }, (performance.now() - started) / 1000);
        await inForm(INTERNAL_ERROR);
        return;
      }
      if (who.kind === 'refused') {
        // Slack too slow to say who this is (identity_unverified), or someone Palisade does not take votes from: said in the form.
        const result = rejected(who.code, who.message, undefined, 'form');
        await inForm(FORM_REFUSALS[who.code] ?? result.text);
        await this.settle(submitter, meta.ref, started, result);
        return;
      }
      await ack();
      await this.report(client, submitter, meta.ref, 'deny', await this.vote(client, submitter, meta.ref, 'deny', started, 'form', reason, who), 'form');
    });
  }

  private async click(client: WebClient, body: BlockAction<ButtonAction>, action: ButtonAction, decision: GateDecision, started: number): Promise<void> {
    const ref = decodeGateRef(action.value);
    const clicker = { slackUserId: body.user.id, channel: channelOf(body) };
    // A button without the request time cannot tell a reopened incident's new request from the one it was made for.
    if (!ref?.requestedAt) {
      await this.tell(client, clicker, ref ? OLDER_BUTTON : NOT_OURS, gateOf(ref, action.value));
      return;
    }
    await this.report(client, clicker, ref, decision, await this.vote(client, clicker, ref, decision, started, 'button'), 'button');
  }

  /**
   * Tells the voter how the vote went, once Temporal has answered: why it did not count, or that
   * it counted and the step waits for another approver. A vote that decided the step changes the
   * message itself (the playbook re-renders it), which is answer enough for a click on it; a form
   * closed without a word, so its submitter is told that too.
   */
  private async report(client: WebClient, clicker: Clicker, ref: GateRef, decision: GateDecision, result: VoteResult, from: VoteFrom): Promise<void> {
    const about = gateOf(ref);
    if (!result.counted) await this.tell(client, clicker, result.text, about);
    else if (result.outcome === 'pending') await this.tell(client, clicker, `Your ${decision} counted: ${result.approvals} of ${result.needed} approvals; the step waits for another approver.`, about);
    else if (from === 'form') await this.tell(client, clicker, `Your ${decision} counted: the step is ${result.outcome}; the message shows it.`, about);
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
    await this.tell(client, clicker, text, `incident ${action.value ?? '?'}`);
  }

  /**
   * Runs the Update as the Slack user's Palisade identity (`who`, when already resolved); a vote
   * that did not count is on the timeline too. `started`: when the request reached the API (the
   * click-to-decision figure starts there).
   */
  private async vote(client: WebClient, clicker: Clicker, ref: GateRef, decision: GateDecision, started: number, from: VoteFrom, reason?: string, who?: SlackWho): Promise<VoteResult> {
    let result: VoteResult;
    let approverId: string | undefined;
    try {
      const voter = who ?? (await this.identity.resolve(client, clicker.slackUserId));
      if (voter.kind === 'refused') {
        result = rejected(voter.code, voter.message, undefined, from);
      } else {
        approverId = voter.approver.id;
        const verdict = await this.approvals.castVote(ref.incidentId, ref.gateId, voter.approver, { decision, reason, choice: ref.choice, requestedAt: ref.requestedAt });
        result = { counted: true, outcome: verdict.outcome, approvals: verdict.approvals, needed: verdict.needed };
      }
    } catch (err) {
      if (!(err instanceof ApiError)) {
        this.log.error(`Slack click on ${ref.incidentId}/${ref.gateId} failed: ${(err as Error).stack ?? String(err)}`);
        this.metrics.slackClickDecision.observe({ outcome: 'error' }, (performance.now() - started) / 1000);
        return rejected('error', INTERNAL_ERROR);
      }
      const body = err.getResponse() as ErrorBody;
      result = rejected(body.error, body.message, body.hint, from);
    }
    await this.settle(clicker, ref, started, result, approverId);
    return result;
  }

  /** Counts the click-to-decision figure, and puts a vote that did not count on the incident's timeline. */
  private async settle(clicker: Clicker, ref: GateRef, started: number, result: VoteResult, approverId?: string): Promise<void> {
    this.metrics.slackClickDecision.observe({ outcome: result.counted ? 'counted' : 'rejected' }, (performance.now() - started) / 1000);
    if (!result.counted && result.code !== 'incident_not_found' && result.code !== 'playbook_not_running') {
      await this.approvals
        .recordRejectedClick({ incidentId: ref.incidentId, gateId: ref.gateId, slackUserId: clicker.slackUserId, approverId, code: result.code, message: result.text })
        .catch((err: unknown) => this.log.warn(`Rejected click not recorded on ${ref.incidentId}: ${(err as Error).message}`));
    }
  }

  /**
   * Answers the clicker privately: an ephemeral message in the channel of the message they clicked
   * (or opened the deny form from). Slack refuses it when the bot was removed from that channel
   * (`not_in_channel`), the channel is gone (`channel_not_found`) or archived (`is_archived`), the
   * clicker left it (`user_not_in_channel`), among the errors of
   * https://docs.slack.dev/reference/methods/chat.postEphemeral. The answer then goes as a direct
   * message from the app: chat.postMessage with the user's id as `channel` posts to the app's DM with
   * the user (its App Home's Messages tab), no conversations.open first: "start a DM with a user by
   * calling the chat.postMessage method and passing the user's ID as the channel parameter"
   * (https://api.slack.com/scopes/conversations.app_home:create; chat.postMessage's `channel` takes
   * an IM channel, https://docs.slack.dev/reference/methods/chat.postMessage). A deny form closed before its vote ran,
   * so without this its submitter could not tell whether the deny counted. `about`: the gate
   * (incident/gate) or the incident, for the logs.
   */
  private async tell(client: WebClient, clicker: Clicker, text: string, about: string): Promise<void> {
    if (clicker.channel) {
      try {
        await client.chat.postEphemeral({ channel: clicker.channel, user: clicker.slackUserId, text });
        return;
      } catch (err) {
        this.log.warn(`Ephemeral answer to ${clicker.slackUserId} on ${about} not posted in ${clicker.channel} (${(err as Error).message}): sending it as a direct message`);
      }
    }
    try {
      await client.chat.postMessage({ channel: clicker.slackUserId, text });
    } catch (err) {
      this.log.error(`${clicker.slackUserId} was not told about ${about}, neither in ${clicker.channel ?? 'the channel'} nor by direct message (${(err as Error).message}); what they were to read (a vote's outcome is on the incident's timeline too): ${text}`);
    }
  }
}

const INTERNAL_ERROR = 'Palisade could not take your vote (an internal error, logged): nothing was decided. Try again, or decide through the API.';
const NOT_OURS = 'This button is not one Palisade made: nothing was decided.';
const OLDER_BUTTON = 'This button comes from a message older than this version of Palisade, which cannot tell which request of the step it is for: nothing was decided. Use the incident page, or the message Palisade posts next for this step.';

/** A refused vote's answer: the message, then what to do (`from`: a button's click, or the deny form's submission). */
function rejected(code: string, message: string, hint?: string, from: VoteFrom = 'button'): Extract<VoteResult, { counted: false }> {
  const next = (from === 'form' ? SLACK_FORM_HINTS[code] : undefined) ?? SLACK_HINTS[code] ?? hint ?? '';
  return { counted: false, code, text: `${message} ${next}`.trim() };
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

/** The gate a log line is about (`incident/gate`), or the raw button value when it is not one of ours. */
function gateOf(ref: GateRef | undefined, raw?: string): string {
  return ref ? `gate ${ref.incidentId}/${ref.gateId}` : `button value ${JSON.stringify(raw ?? null)}`;
}

/** The channel of the message clicked (Bolt types `container` loosely). */
function channelOf(body: BlockAction): string | undefined {
  return body.channel?.id ?? (body.container as { channel_id?: string } | undefined)?.channel_id;
}
