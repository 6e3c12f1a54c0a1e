import { createHmac, randomBytes } from 'node:crypto';

/** Requests as Slack sends them to POST /slack/events: form-encoded, signed with the app's signing secret (v0). */

export const SLACK_TEST_SIGNING_SECRET = 'test-slack-signing-secret-0123456789';
export const SLACK_TEST_BOT_TOKEN = 'xoxb-test-palisade-bot-token';

export interface SignOptions {
  secret?: string;
  /** Unix seconds; default now. */
  timestamp?: number;
  /** Replace the computed signature (forgery tests); `null` leaves the header out. */
  signature?: string | null;
}

/** Slack's request signature: v0=HMAC-SHA256(secret, "v0:<timestamp>:<raw body>"). */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export async function postToSlackEndpoint(baseUrl: string, body: string, opts: SignOptions = {}): Promise<{ status: number; text: string; json: any }> {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = opts.signature === undefined ? slackSignature(opts.secret ?? SLACK_TEST_SIGNING_SECRET, timestamp, body) : opts.signature;
  const res = await fetch(`${baseUrl}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      ...(signature === null ? {} : { 'x-slack-signature': signature }),
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    },
    body,
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

const TEAM = { id: 'T0PALISADE', domain: 'palisade-test' };

function form(payload: unknown): string {
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** A button click on a message (`block_actions`), shaped like Slack's. */
export function blockActionsBody(opts: { user: string; actionId: string; value: string; channel: string; messageTs: string; blockId?: string; label?: string }): string {
  const actionTs = `${(Date.now() / 1000).toFixed(6)}`;
  return form({
    type: 'block_actions',
    user: { id: opts.user, username: opts.user.toLowerCase(), name: opts.user.toLowerCase(), team_id: TEAM.id },
    api_app_id: 'A0PALISADE',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: opts.messageTs, channel_id: opts.channel, is_ephemeral: false },
    trigger_id: `${Date.now()}.${randomBytes(4).toString('hex')}`,
    team: TEAM,
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: opts.channel, name: 'secops-approvals' },
    message: { type: 'message', subtype: 'bot_message', ts: opts.messageTs, bot_id: 'B0PALISADE', text: 'Approval needed' },
    state: { values: {} },
    response_url: `https://hooks.slack.com/actions/${TEAM.id}/1/${randomBytes(8).toString('hex')}`,
    actions: [
      {
        action_id: opts.actionId,
        block_id: opts.blockId ?? 'gate',
        text: { type: 'plain_text', text: opts.label ?? 'Approve', emoji: true },
        value: opts.value,
        type: 'button',
        action_ts: actionTs,
      },
    ],
  });
}

/** A modal submitted (`view_submission`), with its input values. */
export function viewSubmissionBody(opts: { user: string; callbackId: string; privateMetadata: string; values: Record<string, Record<string, string>> }): string {
  const values = Object.fromEntries(
    Object.entries(opts.values).map(([block, actions]) => [block, Object.fromEntries(Object.entries(actions).map(([action, value]) => [action, { type: 'plain_text_input', value }]))]),
  );
  return form({
    type: 'view_submission',
    team: TEAM,
    user: { id: opts.user, username: opts.user.toLowerCase(), name: opts.user.toLowerCase(), team_id: TEAM.id },
    api_app_id: 'A0PALISADE',
    token: 'deprecated-verification-token',
    trigger_id: `${Date.now()}.${randomBytes(4).toString('hex')}`,
    view: {
      id: 'V0MODAL',
      team_id: TEAM.id,
      type: 'modal',
      callback_id: opts.callbackId,
      private_metadata: opts.privateMetadata,
      state: { values },
      hash: randomBytes(6).toString('hex'),
      title: { type: 'plain_text', text: 'Deny with reason' },
      blocks: [],
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  });
}

/** A slash command, form-encoded the way Slack posts it. */
export function slashCommandBody(opts: { user: string; text: string; command?: string; channel?: string }): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: TEAM.id,
    team_domain: TEAM.domain,
    channel_id: opts.channel ?? 'C0SECOPSAPPROVALS',
    channel_name: 'secops-approvals',
    user_id: opts.user,
    user_name: opts.user.toLowerCase(),
    command: opts.command ?? '/palisade',
    text: opts.text,
    api_app_id: 'A0PALISADE',
    is_enterprise_install: 'false',
    response_url: `https://hooks.slack.com/commands/${TEAM.id}/1/${randomBytes(8).toString('hex')}`,
    trigger_id: `${Date.now()}.${randomBytes(4).toString('hex')}`,
  }).toString();
}
