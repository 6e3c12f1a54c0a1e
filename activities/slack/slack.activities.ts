import { ApplicationFailure } from '@temporalio/common';
import type { WebClient } from '@slack/web-api';
import { approvalView, slackMention, type ApprovalMessage } from '../../lib/slack/approval-view';
import type { SlackTemplates } from '../../lib/slack/templates';
import type { PeopleFile } from '../../lib/people';
import { slackFailure } from './slack-client';

/** A message Palisade posted: where it is, and which template renders it. */
export interface PostedMessage {
  channel: string;
  ts: string;
  template: 'approval' | 'escalation' | 'fallback';
}

export interface SlackActivityDependencies {
  client: WebClient;
  templates: SlackTemplates;
  /** runbooks/people.yaml as it is now (read again when it changes). */
  people: Pick<PeopleFile, 'current'>;
  publicUrl: string;
}

const MENTION_TTL_MS = 10 * 60_000;
/** How long looking up mentions may take before the message goes without them. */
const MENTION_BUDGET_MS = 2_000;

/**
 * Slack's side of approval gates: post the request, keep it current, post escalations and the
 * fallback. Each makes one Web API call per attempt; the playbook's retry policy decides how
 * long Slack is retried. Messages carry metadata naming the incident and the gate.
 */
export function createSlackActivities(deps: SlackActivityDependencies) {
  const byEmail = new Map<string, { id: string | undefined; until: number }>();

  /** `<@U…>` for the people a message names: people.yaml's slack id, or users.lookupByEmail (cached). */
  async function mentions(ids: string[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const id of new Set(ids)) {
      const person = deps.people.current().get(id);
      let slackId = person?.slack;
      if (!slackId && person?.email) {
        const cached = byEmail.get(person.email);
        if (cached && cached.until > Date.now()) slackId = cached.id;
        else {
          try {
            const found = await deps.client.users.lookupByEmail({ email: person.email });
            slackId = found.user?.id;
          } catch {
            slackId = undefined; // not in the workspace, or Slack is busy: the name is printed instead
          }
          byEmail.set(person.email, { id: slackId, until: Date.now() + MENTION_TTL_MS });
        }
      }
      const mention = slackMention(slackId);
      if (mention) out[id] = mention;
    }
    return out;
  }

  async function render(template: PostedMessage['template'], message: ApprovalMessage) {
    // Mentions are a nicety: a slow lookup must not eat the attempt's time and get the post sent twice.
    const ids = [message.gate.requestedBy, ...message.gate.votes.map((v) => v.approverId)];
    const named = await Promise.race([mentions(ids), new Promise<Record<string, string>>((r) => setTimeout(() => r({}), MENTION_BUDGET_MS).unref())]);
    try {
      return deps.templates.message(template, approvalView(message, { publicUrl: deps.publicUrl, mentions: named }));
    } catch (err) {
      // A template that cannot render this gate will not render it on a retry either.
      throw ApplicationFailure.nonRetryable((err as Error).message, 'SlackTemplateInvalid');
    }
  }

  async function post(channel: string, template: PostedMessage['template'], message: ApprovalMessage): Promise<PostedMessage> {
    const { text, blocks } = await render(template, message);
    try {
      const res = await deps.client.chat.postMessage({
        channel,
        text,
        blocks,
        unfurl_links: false,
        metadata: { event_type: 'palisade_gate', event_payload: { incidentId: message.incident.id, gateId: message.gate.id, template } },
      });
      return { channel: res.channel ?? channel, ts: res.ts!, template };
    } catch (err) {
      throw slackFailure(err, `posting the ${template} message for ${message.gate.id} to ${channel}`);
    }
  }

  return {
    /** Posts an approval request to the gate policy's channel. */
    async 'slack.requestApproval'(message: ApprovalMessage): Promise<PostedMessage> {
      return post(message.gate.policy.slack!.channel, 'approval', message);
    },

    /** Posts an escalation or the fallback to a tier's channel. */
    async 'slack.postMessage'(channel: string, template: 'escalation' | 'fallback', message: ApprovalMessage): Promise<PostedMessage> {
      return post(channel, template, message);
    },

    /** Re-renders a posted message with the gate as it stands now (votes, tier, decision: buttons go once decided). */
    async 'slack.updateMessage'(posted: PostedMessage, message: ApprovalMessage): Promise<void> {
      const { text, blocks } = await render(posted.template, message);
      try {
        await deps.client.chat.update({ channel: posted.channel, ts: posted.ts, text, blocks });
      } catch (err) {
        throw slackFailure(err, `updating the ${posted.template} message for ${message.gate.id}`);
      }
    },
  };
}

export type SlackActivities = ReturnType<typeof createSlackActivities>;
