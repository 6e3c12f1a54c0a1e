// Drill 6, forgery: unsigned, wrongly signed and replayed webhooks for every source, and
// unsigned, forged and stale Slack clicks aimed at a real open gate. The promise: every forgery
// is answered 401, and none opens an incident, stores an alert or decides anything.
//
// A replay (a validly signed request sent again) is a forgery only where the proof can tell:
// generic's signature covers a timestamp and the API remembers what it accepted, so a replay is
// 401; a token or GitHub's body HMAC proves only the sender, so a replay is the same delivery again
// and is answered `duplicate` (202), storing nothing new.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client as PgClient } from 'pg';
import { webhookSecretVariable } from '../../lib/config/env';
import { SOURCES, type SourceName } from '../../lib/intake/alert';
import { signedHeaders } from '../../lib/intake/signing';
import { SOURCE_ADAPTERS } from '../../lib/intake/sources';
import { encodeGateRef, SlackActionId, SlackViewId } from '../../lib/slack/actions';
import { scaled, type Drill, type DrillCluster, type DrillOptions, type DrillReport } from './drill';

const FIXTURES_DIR = path.resolve(__dirname, '../../test/fixtures/webhooks');
/** Forgeries of each kind per source at full size. */
const ROUNDS = 25;

/** A delivery each source would accept: what the forgeries try to get in. */
const GENUINE: Record<SourceName, string> = {
  splunk: 'with-result',
  elastic: 'flat',
  wazuh: 'level10-bruteforce',
  falco: 'notice-shell',
  guardduty: 'credential-exfiltration',
  securityhub: 'findings-batch',
  github: 'secret-scanning-created-public',
  sentinel: 'incident-host',
  generic: 'single',
};
const GITHUB_EVENT = 'secret_scanning_alert';

interface Request {
  body: Buffer;
  headers: Record<string, string>;
  query?: string;
}
interface Answer {
  status: number;
  body: any;
}

interface Counts {
  incidents: number;
  alerts: number;
  /** Votes cast through Slack, on any incident (the genuine deliveries' playbooks may decide gates of their own). */
  slackVotes: number;
}

async function countRows(db: PgClient): Promise<Counts> {
  const { rows } = await db.query<Counts>(
    `SELECT (SELECT count(*) FROM incidents)::int AS incidents, (SELECT count(*) FROM alerts)::int AS alerts,
            (SELECT count(*) FROM timeline_events WHERE type = 'gate.vote' AND data->>'via' = 'slack')::int AS "slackVotes"`,
  );
  return rows[0];
}

function genuineBody(source: SourceName): Buffer {
  const body = JSON.parse(readFileSync(path.join(FIXTURES_DIR, source, `${GENUINE[source]}.json`), 'utf8'));
  if (source === 'generic') Object.assign(body, { id: `forgery-drill-${randomUUID()}` });
  return Buffer.from(JSON.stringify(body));
}

function signed(source: SourceName, body: Buffer, secret: string, now?: number): Request {
  return { body, headers: { 'content-type': 'application/json', ...signedHeaders(SOURCE_ADAPTERS[source].auth, body, secret, { event: GITHUB_EVENT, now }) } };
}

/** Each forgery of one source's webhook, by name: none carries the source's own valid proof. */
function forgeriesOf(source: SourceName, secret: string, otherSecret: string): Record<string, Request> {
  const body = genuineBody(source);
  const json = { 'content-type': 'application/json' };
  const sign = (s: string, b = body, now?: number) => signed(source, b, s, now);
  const common: Record<string, Request> = {
    unsigned: { body, headers: { ...json, ...(source === 'github' ? { 'x-github-event': GITHUB_EVENT, 'x-github-delivery': randomUUID() } : {}) } },
    'wrong secret': sign(`${secret}x`),
    "another source's secret": sign(otherSecret),
  };
  const auth = SOURCE_ADAPTERS[source].auth;
  switch (auth.kind) {
    case 'token':
    case 'aws':
      return {
        ...common,
        'wrong X-Palisade-Token': { body, headers: { ...json, 'x-palisade-token': randomBytes(16).toString('hex') } },
        'wrong Basic password': { body, headers: { ...json, authorization: `Basic ${Buffer.from(`palisade:${secret}-`).toString('base64')}` } },
        // Where the URL may carry the token, a wrong one; elsewhere even the right one is refused.
        'token in the URL': { body, headers: json, query: `token=${encodeURIComponent(auth.kind === 'token' && auth.allowQueryToken ? `${secret}-` : secret)}` },
      };
    case 'github-hmac': {
      const other = Buffer.from(JSON.stringify({ ...JSON.parse(body.toString()), action: 'resolved' }));
      return {
        ...common,
        'signature of another body': { body, headers: sign(secret, other).headers },
        'sha1 signature': { body, headers: { ...sign(secret).headers, 'x-hub-signature-256': `sha1=${'0'.repeat(40)}` } },
      };
    }
    case 'palisade-hmac': {
      const now = Date.now();
      return {
        ...common,
        'stale timestamp (6 min)': sign(secret, body, now - 6 * 60_000),
        'future timestamp (6 min)': sign(secret, body, now + 6 * 60_000),
        'signature of another body': { body, headers: sign(secret, Buffer.from(JSON.stringify({ ...JSON.parse(body.toString()), severity: 'low' }))).headers },
        'signature without v1=': { body, headers: { ...sign(secret).headers, 'x-palisade-signature': sign(secret).headers['x-palisade-signature'].slice(3) } },
      };
    }
  }
}

async function post(cluster: DrillCluster, source: SourceName, req: Request): Promise<Answer> {
  const res = await fetch(`${cluster.apiUrl}/webhooks/${source}${req.query ? `?${req.query}` : ''}`, {
    method: 'POST',
    body: req.body,
    headers: req.headers,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

/** The dispositions of a 202 answer: one for a single alert, one per alert of a batch. */
function dispositionsOf(answer: Answer): string[] {
  if (Array.isArray(answer.body?.alerts)) return answer.body.alerts.map((a: { disposition: string }) => a.disposition);
  return [String(answer.body?.disposition)];
}

export const forgery: Drill = async (cluster, opts) => {
  const rounds = scaled(ROUNDS, opts);
  const did: string[] = [];
  const found: string[] = [];
  const losses: string[] = [];
  const db = new PgClient({ connectionString: cluster.databaseUrl });
  await db.connect();
  let target: SlackTarget | undefined;
  try {
    // Genuine first deliveries, to be replayed below; their incidents exist before the count.
    const originals = new Map<SourceName, Request>();
    for (const source of SOURCES) {
      const original = signed(source, genuineBody(source), cluster.secret(webhookSecretVariable(source)));
      const answer = await post(cluster, source, original);
      if (answer.status >= 300) losses.push(`${source}: its genuine delivery was refused (${answer.status} ${JSON.stringify(answer.body)}): its replay proves nothing`);
      originals.set(source, original);
    }
    target = await openGate(cluster, opts);
    const before = await countRows(db);
    did.push(`sent one genuine delivery per source (${SOURCES.length}), then counted incidents, alerts and gate decisions in Postgres`);

    let refused = 0;
    let forged = 0;
    for (const source of SOURCES) {
      const secret = cluster.secret(webhookSecretVariable(source));
      const otherSecret = cluster.secret(webhookSecretVariable(source === 'generic' ? 'splunk' : 'generic'));
      const wrong = new Map<string, string>();
      let perSource = 0;
      for (let round = 0; round < rounds; round++) {
        for (const [kind, request] of Object.entries(forgeriesOf(source, secret, otherSecret))) {
          const answer = await post(cluster, source, request);
          forged++;
          perSource++;
          if (answer.status === 401) refused++;
          else wrong.set(kind, `${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
        }
      }
      // The replay: the very request of the genuine delivery, sent again.
      const replay = await post(cluster, source, originals.get(source)!);
      if (SOURCE_ADAPTERS[source].auth.kind === 'palisade-hmac') {
        forged++;
        perSource++;
        if (replay.status === 401) refused++;
        else wrong.set('replay', `${replay.status} ${JSON.stringify(replay.body).slice(0, 200)}`);
      } else if (replay.status !== 202 || dispositionsOf(replay).some((d) => d !== 'duplicate')) {
        losses.push(`${source}: a replayed delivery was answered ${replay.status} ${JSON.stringify(replay.body).slice(0, 200)}, not a duplicate`);
      }
      for (const [kind, answer] of wrong) losses.push(`${source}: forgery "${kind}" answered ${answer}, not 401`);
      opts.say(`forgery: ${source}: ${perSource} forgeries, ${wrong.size ? `${wrong.size} kind(s) not refused` : 'all 401'}; replay ${replay.status}`);
    }
    did.push(`sent ${forged.toLocaleString('en-US')} forged webhooks (${rounds} round(s) of every kind per source, generic's replay included) and replayed each genuine delivery once`);
    found.push(`${refused.toLocaleString('en-US')} of ${forged.toLocaleString('en-US')} forged webhooks answered 401`);
    found.push(
      'design rule: a generic (timestamp HMAC) replay is 401 replayed_request; a replay to a token or GitHub source is the same delivery again, answered 202 duplicate and storing nothing',
    );

    const slackReport = await forgeSlack(cluster, db, target, rounds, opts);
    did.push(...slackReport.did);
    found.push(...slackReport.found);
    losses.push(...slackReport.losses);

    const after = await countRows(db);
    for (const key of ['incidents', 'alerts', 'slackVotes'] as const) {
      if (after[key] !== before[key]) losses.push(`${key} in Postgres went from ${before[key]} to ${after[key]} during the forgeries`);
    }
    found.push(`Postgres before and after: ${before.incidents} incidents, ${before.alerts} alerts, ${before.slackVotes} Slack votes → ${after.incidents}, ${after.alerts}, ${after.slackVotes}`);
  } finally {
    if (target) await cleanUp(cluster, target);
    await db.end();
  }
  return { drill: 'forgery', did, found, losses };
};

// ── Slack ───────────────────────────────────────────────────────────────────────────────
// Forged clicks aim at a real open gate: a host-compromise run on a production host of the
// simulated fleet waits for its isolate-host approval.

const GATE = 'isolate-host';
/** alice, an approver in runbooks/people.yaml: who a forger would pretend to be. */
const APPROVER_SLACK_ID = 'U0ALICE01';
const CHANNEL = 'C0SECOPSAPPROVALS';

interface SlackTarget {
  signingSecret: string;
  incidentId?: string;
  /** The responder token made to start the run, revoked at the end. */
  tokenId?: string;
  /** Why there is no target to aim at. */
  problem?: string;
}

async function api(cluster: DrillCluster, method: 'GET' | 'POST' | 'DELETE', route: string, body?: unknown, token = cluster.adminToken): Promise<Answer> {
  const res = await fetch(`${cluster.apiUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

async function openGate(cluster: DrillCluster, opts: DrillOptions): Promise<SlackTarget> {
  let signingSecret = '';
  try {
    signingSecret = cluster.secret('SLACK_SIGNING_SECRET');
  } catch {
    // Reported below: the engine runs without Slack.
  }
  if (!signingSecret) return { signingSecret, problem: 'SLACK_SIGNING_SECRET is not set: the engine runs without Slack, so its forgeries were not tried' };
  const host = `forgery-drill-${randomBytes(4).toString('hex')}`;
  const added = await api(cluster, 'POST', '/fleet/hosts', { hosts: [{ id: host, environment: 'production', criticality: 'medium', tags: {} }] });
  if (added.status >= 300) return { signingSecret, problem: `could not add the target host (${added.status} ${JSON.stringify(added.body)})` };
  // Runs are started by a person: carol, a responder in runbooks/people.yaml, with a token made for the drill.
  const token = await api(cluster, 'POST', '/tokens', { name: 'carol', role: 'responder' });
  if (token.status !== 201) return { signingSecret, problem: `could not make a responder token (${token.status} ${JSON.stringify(token.body)})` };
  const tokenId = String(token.body.id);
  const run = await api(cluster, 'POST', '/playbooks/host-compromise/runs', { params: { host }, title: `forgery drill: a gate to aim at on ${host}` }, String(token.body.token));
  if (run.status !== 202) return { signingSecret, tokenId, problem: `could not start the target run (${run.status} ${JSON.stringify(run.body)})` };
  const incidentId = String(run.body.incidentId);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const approvals = await api(cluster, 'GET', `/incidents/${incidentId}/approvals`);
    if (approvals.body?.gates?.some((g: { id: string; status: string }) => g.id === GATE && g.status === 'open')) {
      opts.say(`forgery: the ${GATE} gate of incident ${incidentId} is open: forged Slack requests aim at it`);
      return { signingSecret, incidentId, tokenId };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { signingSecret, incidentId, tokenId, problem: `the ${GATE} gate of incident ${incidentId} did not open within 60 s` };
}

function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

const TEAM = { id: 'T0PALISADE', domain: 'palisade' };
const form = (payload: unknown) => `payload=${encodeURIComponent(JSON.stringify(payload))}`;

/** What a forger would send: clicks on the gate's buttons, the deny-reason modal, a slash command. */
function slackBodies(incidentId: string): Record<string, string> {
  const ref = encodeGateRef({ incidentId, gateId: GATE });
  const user = { id: APPROVER_SLACK_ID, username: 'alice', name: 'alice', team_id: TEAM.id };
  const click = (actionId: SlackActionId) =>
    form({
      type: 'block_actions',
      user,
      api_app_id: 'A0PALISADE',
      team: TEAM,
      container: { type: 'message', message_ts: '1700000000.000100', channel_id: CHANNEL },
      channel: { id: CHANNEL, name: 'secops-approvals' },
      trigger_id: `${Date.now()}.${randomBytes(4).toString('hex')}`,
      actions: [{ action_id: actionId, block_id: 'gate', value: ref, type: 'button', action_ts: `${Date.now() / 1000}` }],
    });
  return {
    'Approve click': click(SlackActionId.Approve),
    'Deny click': click(SlackActionId.Deny),
    'deny-reason modal': form({
      type: 'view_submission',
      team: TEAM,
      user,
      view: { id: 'V0DRILL', type: 'modal', callback_id: SlackViewId.DenyReason, private_metadata: ref, state: { values: { reason: { reason: { type: 'plain_text_input', value: 'forged' } } } } },
    }),
    'slash command': new URLSearchParams({ team_id: TEAM.id, channel_id: CHANNEL, user_id: APPROVER_SLACK_ID, command: '/palisade', text: `status ${incidentId}` }).toString(),
  };
}

/**
 * Each forged header set for `body`: none carries a valid, fresh signature of it. (A request
 * signed with the real secret and a future timestamp is no forgery: only Slack can sign it, and
 * Bolt, like Slack's guide, refuses only timestamps more than 5 minutes old.)
 */
function slackForgeries(secret: string, body: string): Record<string, Record<string, string>> {
  const now = Math.floor(Date.now() / 1000);
  const at = (ts: number, signature: string | null) => ({ 'x-slack-request-timestamp': String(ts), ...(signature === null ? {} : { 'x-slack-signature': signature }) });
  return {
    unsigned: at(now, null),
    'wrong secret': at(now, slackSignature(`${secret}x`, now, body)),
    // A genuine request re-sent later: 6 minutes is past Slack's 5-minute window.
    'stale replay (6 min)': at(now - 360, slackSignature(secret, now - 360, body)),
    // The signature of the forger's own request, with the approver's user id swapped in.
    'signature of another user': at(now, slackSignature(secret, now, body.replaceAll(APPROVER_SLACK_ID, 'U0MALLORY1'))),
    'v1 signature': at(now, slackSignature(secret, now, body).replace('v0=', 'v1=')),
  };
}

async function forgeSlack(cluster: DrillCluster, db: PgClient, target: SlackTarget, rounds: number, opts: DrillOptions): Promise<Omit<DrillReport, 'drill'>> {
  if (!target.incidentId || target.problem) return { did: [], found: [], losses: [`Slack: ${target.problem ?? 'no target'}`] };
  let sent = 0;
  let refused = 0;
  const wrong = new Map<string, string>();
  for (let round = 0; round < rounds; round++) {
    for (const [what, body] of Object.entries(slackBodies(target.incidentId))) {
      for (const [kind, headers] of Object.entries(slackForgeries(target.signingSecret, body))) {
        const res = await fetch(`${cluster.apiUrl}/slack/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        sent++;
        if (res.status === 401) refused++;
        else wrong.set(`${what}, ${kind}`, `${res.status} ${text.slice(0, 200)}`);
      }
    }
  }
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM timeline_events WHERE incident_id = $1 AND type IN ('gate.vote', 'gate.decided')`, [target.incidentId]);
  const approvals = await api(cluster, 'GET', `/incidents/${target.incidentId}/approvals`);
  const gate = approvals.body?.gates?.find((g: { id: string }) => g.id === GATE);
  const losses = [...wrong].map(([what, answer]) => `Slack: forged ${what} answered ${answer}, not 401`);
  if (rows[0].n > 0) losses.push(`Slack: the target gate got ${rows[0].n} vote(s) or decision(s) during the forgeries`);
  if (gate?.status !== 'open') losses.push(`Slack: the target gate is ${gate?.status ?? 'gone'} after the forgeries, not open`);
  opts.say(`forgery: Slack: ${sent} forged requests, ${wrong.size ? `${wrong.size} not refused` : 'all 401'}; the gate is ${gate?.status ?? 'gone'}`);
  return {
    did: [`sent ${sent.toLocaleString('en-US')} forged Slack requests to /slack/events (clicks, modal, slash command × unsigned, wrong secret, stale replay, another user's signature, v1) at an open ${GATE} gate`],
    found: [`${refused} of ${sent} forged Slack requests answered 401; the target gate has ${rows[0].n} votes or decisions and is ${gate?.status ?? 'gone'}`],
    losses,
  };
}

/** Cancels the target incident (its playbook undoes what it did) and revokes the drill's token. */
async function cleanUp(cluster: DrillCluster, target: SlackTarget): Promise<void> {
  if (target.incidentId) await api(cluster, 'POST', `/incidents/${target.incidentId}/cancel`, { reason: 'forgery drill over' }).catch(() => undefined);
  if (target.tokenId) await api(cluster, 'DELETE', `/tokens/${target.tokenId}?reason=forgery%20drill%20over`).catch(() => undefined);
}
