// Request and answer shapes: the vendor's published API, as written in test/support/vendors/SOURCES.md.
import { ErrorCode, type KnownBlock, type WebAPICallError, type WebClient } from '@slack/web-api';
import { SlackActionId } from '../../../lib/slack/actions';
import { ProviderErrorType } from '../../../lib/providers/capabilities';
import { providerError } from '../errors';

/** Where a posted message is: its channel's id and its ts (Slack's id of a message within a channel). */
export interface PostedMessage {
  channel: string;
  ts: string;
}

/** The metadata event type every incident post carries, so a lost answer's post can be found again. */
export const INCIDENT_POST_EVENT = 'palisade_incident';

/** Slack `error` codes worth another try; any other `ok: false` is a configuration problem (channel_not_found, not_in_channel, invalid_auth...). */
const RETRYABLE = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited']);
const DENIED = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'missing_scope', 'not_allowed_token_type', 'ekm_access_denied']);
const NOT_FOUND = new Set(['channel_not_found', 'not_in_channel', 'is_archived', 'message_not_found', 'thread_not_found']);

/**
 * The incident's Slack post (README "Paging and tickets"): one message per incident in a
 * channel, its status kept current with chat.update, milestones as replies in its thread. Made
 * of the same Web API client as the approvals (one attempt per call: the paging outbox's sender
 * owns the backoff), so Slack being down holds no playbook up. Throws the typed provider errors
 * the sender reads: Throttled (429, with Retry-After) and Unavailable (5xx, timeouts) are
 * retried; Denied and NotFound are refused for good.
 */
export class SlackIncidentPost {
  constructor(private readonly client: WebClient) {}

  /** chat.postMessage to the channel (a name or an id), with metadata naming the incident, and its buttons while it is open. */
  async post(channel: string, incidentId: string, text: string, open: boolean): Promise<PostedMessage> {
    const res = await this.call('posting the incident', () =>
      this.client.chat.postMessage({
        channel,
        text,
        blocks: incidentBlocks(incidentId, text, open),
        unfurl_links: false,
        metadata: { event_type: INCIDENT_POST_EVENT, event_payload: { incidentId } },
      }),
    );
    return { channel: res.channel ?? channel, ts: res.ts! };
  }

  /**
   * The incident's post, if an earlier attempt made it (its answer lost, or the sender killed
   * before it recorded it): the channel's messages since `since`, read with their metadata
   * (conversations.history, scope channels:history or groups:history). Null when none is
   * found; `unknown` when Slack would not let us look (the post may then be sent twice).
   */
  async find(channel: string, incidentId: string, since: Date): Promise<PostedMessage | null | 'unknown'> {
    const oldest = (Math.floor(since.getTime() / 1000) - 60).toString();
    let cursor: string | undefined;
    try {
      for (let page = 0; page < 10; page += 1) {
        const res = await this.client.conversations.history({ channel, oldest, include_all_metadata: true, limit: 200, cursor });
        // The SDK types the payload as {}: read it as the record it is.
        const mine = res.messages?.find((m) => m.metadata?.event_type === INCIDENT_POST_EVENT && payloadIncident(m.metadata.event_payload) === incidentId);
        if (mine?.ts) return { channel, ts: mine.ts };
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!cursor) return null;
      }
      return 'unknown';
    } catch (err) {
      const failure = slackProviderError(err, 'reading the channel for an earlier post');
      if (failure.type === ProviderErrorType.Throttled || failure.type === ProviderErrorType.Unavailable) throw failure;
      return 'unknown'; // no history scope, or a channel name history does not take: we cannot tell
    }
  }

  /** chat.update: the post as the incident stands now (its blocks always given: Slack drops them from an update of `text` alone). */
  async update(message: PostedMessage, incidentId: string, text: string, open: boolean): Promise<void> {
    await this.call('updating the incident post', () => this.client.chat.update({ channel: message.channel, ts: message.ts, text, blocks: incidentBlocks(incidentId, text, open) }));
  }

  /** A reply in the post's thread (thread_ts). */
  async reply(message: PostedMessage, text: string): Promise<void> {
    await this.call('replying in the incident thread', () => this.client.chat.postMessage({ channel: message.channel, thread_ts: message.ts, text, unfurl_links: false }));
  }

  /** chat.getPermalink: a link to the post, or null when Slack gives none (it is a nicety). */
  async permalink(message: PostedMessage): Promise<string | null> {
    try {
      const res = await this.client.chat.getPermalink({ channel: message.channel, message_ts: message.ts });
      return res.permalink ?? null;
    } catch {
      return null;
    }
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw slackProviderError(err, what);
    }
  }
}

/**
 * The post as Block Kit: its line of text, then, while the incident is open, Acknowledge and
 * Take it (apps/api/slack/slack.interactions.ts), each carrying the incident id as its value.
 * Shapes: test/support/vendors/SOURCES.md (FakeSlack).
 */
function incidentBlocks(incidentId: string, text: string, open: boolean): KnownBlock[] {
  const line: KnownBlock = { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, SECTION_TEXT_MAX) } };
  if (!open) return [line];
  const button = (action_id: SlackActionId, label: string) => ({ type: 'button' as const, action_id, text: { type: 'plain_text' as const, text: label }, value: incidentId });
  return [line, { type: 'actions', elements: [button(SlackActionId.IncidentAcknowledge, 'Acknowledge'), button(SlackActionId.IncidentTake, 'Take it')] }];
}

/** A section block's text: at most 3000 characters (Block Kit reference, section block; test/support/vendors/SOURCES.md). */
const SECTION_TEXT_MAX = 3000;

function payloadIncident(payload: object | undefined): unknown {
  return payload && 'incidentId' in payload ? payload.incidentId : undefined;
}

/** A Slack Web API error as the provider error the paging outbox's sender classifies. */
export function slackProviderError(err: unknown, what: string) {
  const e = err as Partial<WebAPICallError> & { message?: string };
  switch (e.code) {
    case ErrorCode.RateLimitedError: {
      const seconds = 'retryAfter' in e && typeof e.retryAfter === 'number' ? e.retryAfter : 1;
      return providerError(ProviderErrorType.Throttled, `Slack rate-limited ${what} (Retry-After ${seconds}s)`, [{ retryAfterMs: seconds * 1000 }]);
    }
    case ErrorCode.HTTPError: {
      const status = 'statusCode' in e ? e.statusCode : undefined;
      if (status !== undefined && status >= 400 && status < 500) return providerError(ProviderErrorType.Invalid, `Slack answered HTTP ${status} to ${what} (check SLACK_API_URL)`);
      return providerError(ProviderErrorType.Unavailable, `Slack answered HTTP ${status ?? '?'} to ${what}`);
    }
    case ErrorCode.PlatformError: {
      const code = 'data' in e ? ((e.data as { error?: string }).error ?? 'unknown_error') : 'unknown_error';
      if (RETRYABLE.has(code)) return providerError(ProviderErrorType.Unavailable, `Slack failed ${what}: ${code}`);
      if (DENIED.has(code)) return providerError(ProviderErrorType.Denied, `Slack refused ${what}: ${code} (check SLACK_BOT_TOKEN and the app's scopes)`);
      if (NOT_FOUND.has(code)) return providerError(ProviderErrorType.NotFound, `Slack refused ${what}: ${code} (check the channel, and invite the bot to it)`);
      return providerError(ProviderErrorType.Invalid, `Slack refused ${what}: ${code}`);
    }
    default:
      return providerError(ProviderErrorType.Unavailable, `Slack could not be reached for ${what}: ${e.message ?? String(err)}`);
  }
}
