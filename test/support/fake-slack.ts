import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One Web API call the fake received (faulted ones included, with the fault it answered). */
export interface SlackCall {
  method: string;
  args: Record<string, any>;
  token: string | undefined;
  at: number;
  fault?: SlackFaultKind;
  /** The call waited for `release` (FakeSlack.hold) before its answer. */
  held?: boolean;
  /** What the fake answered (absent for faults). */
  response?: Record<string, any>;
}

/** `lost`: the call is carried out, then the connection dropped before the answer (the caller cannot tell). */
export type SlackFaultKind = '5xx' | 'timeout' | '429' | 'lost';

interface Fault {
  kind: SlackFaultKind;
  method: string | undefined;
  remaining: number;
  retryAfterSeconds: number;
  where: ((args: Record<string, any>) => boolean) | undefined;
}

export interface FakeSlackUser {
  id: string;
  name: string;
  email?: string;
}

/** Fields Slack sends JSON-encoded inside form-encoded requests. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'metadata', 'view']);

/**
 * A fake Slack Web API on loopback, for Bolt's and the worker's real WebClient (SLACK_API_URL):
 * chat.postMessage, chat.update, chat.getPermalink, conversations.history, chat.postEphemeral, views.open, users.info,
 * users.lookupByEmail, conversations.open, usergroups.users.list and auth.test, answered the way Slack answers
 * them, with switches for 5xx, hanging requests, held ones (answered when a test says) and 429 with Retry-After. It records every
 * call so tests can read what Slack was asked.
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  readonly users = new Map<string, FakeSlackUser>();
  readonly usergroups = new Map<string, string[]>();
  private faults: Fault[] = [];
  /** Methods whose calls wait, unanswered, until released (a slow Slack, for as long as a test needs). */
  private readonly holds = new Map<string, { released: Promise<void>; release: () => void }>();
  /** Calls answered `ok: false` with an error code (Slack's refusals: invalid_auth, channel_not_found...), of a method, those `where` holds for. */
  private refusals: { method: string; error: string; where: ((args: Record<string, any>) => boolean) | undefined }[] = [];
  /** Top-level messages posted, per channel id, as conversations.history returns them. */
  private readonly history = new Map<string, Record<string, unknown>[]>();
  private server: http.Server | undefined;
  private readonly hanging = new Set<http.ServerResponse>();
  private messages = 0;
  url = '';

  constructor(opts: { users?: FakeSlackUser[]; usergroups?: Record<string, string[]> } = {}) {
    for (const u of opts.users ?? []) this.users.set(u.id, u);
    for (const [id, members] of Object.entries(opts.usergroups ?? {})) this.usergroups.set(id, members);
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
    return this;
  }

  async close(): Promise<void> {
    for (const method of [...this.holds.keys()]) this.release(method);
    for (const res of this.hanging) res.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Answers the next `times` calls (of `method`, or any; those `where` holds for) with a fault; Infinity until cleared. */
  fail(kind: SlackFaultKind, opts: { times?: number; method?: string; retryAfterSeconds?: number; where?: (args: Record<string, any>) => boolean } = {}): void {
    this.faults.push({ kind, method: opts.method, remaining: opts.times ?? Number.POSITIVE_INFINITY, retryAfterSeconds: opts.retryAfterSeconds ?? 1, where: opts.where });
  }

  /**
   * Answers every call of `method` (those `where` holds for, e.g. one channel's) with `{ ok: false, error }`
   * until recovered (Slack's refusals, HTTP 200: chat.postEphemeral's `not_in_channel` once the bot left the
   * channel, `is_archived`, `channel_not_found`, per docs.slack.dev/reference/methods/chat.postEphemeral).
   */
  refuse(method: string, error: string, where?: (args: Record<string, any>) => boolean): void {
    this.refusals.push({ method, error, where });
  }

  /**
   * Calls of `method` wait, unanswered, until `release(method)` (calls before this are not held):
   * Slack slower than any deadline, answering at the moment a test chooses. A caller that gave up
   * meanwhile (its client's timeout) gets no answer; one still waiting gets Slack's usual one.
   */
  hold(method: string): void {
    if (this.holds.has(method)) return;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    this.holds.set(method, { released, release });
  }

  /** Answers the held calls of `method`, and its next calls at once. */
  release(method: string): void {
    this.holds.get(method)?.release();
    this.holds.delete(method);
  }

  /** Slack answers normally again. */
  recover(): void {
    this.faults = [];
    this.refusals = [];
  }

  /** Calls of a method, optionally only those whose message metadata names the incident. */
  callsOf(method: string, incidentId?: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method && !c.fault && (incidentId === undefined || JSON.stringify(c.args).includes(incidentId)));
  }

  /** The top-level messages in a channel whose metadata names the incident (its Slack incident posts), newest first. */
  postsFor(incidentId: string): Record<string, any>[] {
    return [...this.history.values()].flat().filter((m) => (m.metadata as { event_payload?: { incidentId?: string } } | undefined)?.event_payload?.incidentId === incidentId);
  }

  /** Waits until a call matching `match` arrives (answered, not faulted). */
  async waitFor(what: string, match: (call: SlackCall) => boolean, timeoutMs = 15_000): Promise<SlackCall> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.calls.find((c) => !c.fault && match(c));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for Slack to receive ${what}; it received: ${this.calls.map((c) => c.method + (c.fault ? `(${c.fault})` : '')).join(', ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The fake's channel id for a channel name (`#secops-approvals` → `C0SECOPSAPPROVALS`); ids pass through. */
  static channelId(channel: string): string {
    return channel.startsWith('#') ? `C0${channel.slice(1).replace(/[^a-z0-9]/gi, '').toUpperCase()}` : channel;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0];
    const args = parseArgs(raw, req.headers['content-type']);
    const token = req.headers.authorization?.replace(/^Bearer /, '');
    const call: SlackCall = { method, args, token, at: Date.now() };
    this.calls.push(call);

    const held = this.holds.get(method);
    if (held) {
      call.held = true;
      await held.released;
      // The caller gave up meanwhile: nobody to answer.
      if (res.destroyed || res.socket?.destroyed !== false) return;
    }
    const fault = this.faults.find((f) => f.remaining > 0 && (f.method === undefined || f.method === method) && (f.where === undefined || f.where(args)));
    if (fault) {
      fault.remaining -= 1;
      call.fault = fault.kind;
      if (fault.kind === 'timeout') {
        this.hanging.add(res);
        res.on('close', () => this.hanging.delete(res));
        return;
      }
      if (fault.kind === 'lost') {
        call.response = this.answer(method, args, token);
        res.destroy();
        return;
      }
      if (fault.kind === '429') {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(fault.retryAfterSeconds) });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('Service Unavailable');
      return;
    }
    call.response = this.answer(method, args, token);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(call.response));
  }

  private answer(method: string, args: Record<string, any>, token: string | undefined): Record<string, unknown> {
    if (!token) return { ok: false, error: 'not_authed' };
    const refusal = this.refusals.find((r) => r.method === method && (r.where === undefined || r.where(args)));
    if (refusal) return { ok: false, error: refusal.error };
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://palisade-test.slack.com/', team: 'Palisade Test', user: 'palisade', team_id: 'T0PALISADE', user_id: 'U0PALISADE', bot_id: 'B0PALISADE' };
      case 'chat.postMessage': {
        if (!args.channel) return { ok: false, error: 'channel_not_found' };
        this.messages += 1;
        const ts = `${Math.floor(Date.now() / 1000)}.${String(this.messages).padStart(6, '0')}`;
        const channel = FakeSlack.channelId(String(args.channel));
        const message = { type: 'message', subtype: 'bot_message', text: args.text, ts, bot_id: 'B0PALISADE', blocks: args.blocks, ...(args.thread_ts ? { thread_ts: args.thread_ts } : {}) };
        if (!args.thread_ts) this.history.set(channel, [{ ...message, ...(args.metadata ? { metadata: args.metadata } : {}) }, ...(this.history.get(channel) ?? [])]);
        return { ok: true, channel, ts, message };
      }
      case 'chat.update':
        return args.channel && args.ts ? { ok: true, channel: args.channel, ts: args.ts, text: args.text } : { ok: false, error: 'message_not_found' };
      case 'conversations.history': {
        // Newest first; metadata only with include_all_metadata; a channel id only (Slack's conversations.history: "Conversation ID").
        if (String(args.channel ?? '').startsWith('#') || !args.channel) return { ok: false, error: 'channel_not_found' };
        const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
        const oldest = Number(args.oldest ?? 0);
        const messages = (this.history.get(FakeSlack.channelId(String(args.channel))) ?? [])
          .filter((m) => Number(m.ts) >= oldest)
          .map(({ metadata, ...m }) => (withMetadata && metadata ? { ...m, metadata } : m));
        return { ok: true, messages, has_more: false, response_metadata: { next_cursor: '' } };
      }
      case 'chat.getPermalink':
        return args.channel && args.message_ts
          ? { ok: true, channel: args.channel, permalink: `https://palisade-test.slack.com/archives/${String(args.channel)}/p${String(args.message_ts).replace('.', '')}` }
          : { ok: false, error: 'message_not_found' };
      case 'chat.postEphemeral':
        return args.channel && args.user ? { ok: true, message_ts: `${Math.floor(Date.now() / 1000)}.000000` } : { ok: false, error: 'user_not_in_channel' };
      case 'views.open':
        return args.trigger_id && args.view ? { ok: true, view: { id: `V0${this.calls.length}`, ...args.view } } : { ok: false, error: 'invalid_arguments' };
      case 'users.info': {
        const user = this.users.get(String(args.user));
        return user ? { ok: true, user: slackUser(user) } : { ok: false, error: 'user_not_found' };
      }
      case 'users.lookupByEmail': {
        const user = [...this.users.values()].find((u) => u.email === args.email);
        return user ? { ok: true, user: slackUser(user) } : { ok: false, error: 'users_not_found' };
      }
      case 'conversations.open': {
        // A 1:1 direct message (Slack's conversations.open: `users`, answered with `channel.id`, a D… id).
        const users = String(args.users ?? '').split(',').filter(Boolean);
        if (users.length === 0) return { ok: false, error: 'users_list_not_supplied' };
        return users.length === 1 && this.users.has(users[0]) ? { ok: true, channel: { id: `D${users[0]}` } } : { ok: false, error: 'user_not_found' };
      }
      case 'usergroups.users.list': {
        const members = this.usergroups.get(String(args.usergroup));
        return members ? { ok: true, users: members } : { ok: false, error: 'no_such_subteam' };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

function slackUser(u: FakeSlackUser) {
  return { id: u.id, team_id: 'T0PALISADE', name: u.name, real_name: u.name, is_bot: false, profile: { real_name: u.name, display_name: u.name, ...(u.email ? { email: u.email } : {}) } };
}

function parseArgs(raw: string, contentType: string | undefined): Record<string, any> {
  if (!raw) return {};
  if (contentType?.includes('application/json')) return JSON.parse(raw) as Record<string, any>;
  const args: Record<string, any> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    args[key] = JSON_FIELDS.has(key) ? tryJson(value) : value;
  }
  return args;
}

function tryJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
