import { Client, Connection } from '@temporalio/client';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, inject } from 'vitest';
import { SimulatedFleet } from '../../activities/providers/simulated/fleet';
import { randomUUID } from 'node:crypto';
import { DENY_REASON_INPUT, SlackActionId, SlackViewId } from '../../lib/slack/actions';
import { startTestEngine, type TestEngine } from './engine';
import { playbookTestBed, startRun, type PlaybookTestBed } from './playbooks';
import { FakeSlack, type SlackCall } from './fake-slack';
import { blockActionsBody, postToSlackEndpoint, SLACK_TEST_BOT_TOKEN, SLACK_TEST_SIGNING_SECRET, viewSubmissionBody } from './slack-requests';

import { SLACK_USERS } from './people';

export { SLACK_USERS };

/** A receiver for the fallback notifier's webhook. */
export class WebhookReceiver {
  readonly received: { at: number; body: any }[] = [];
  private server: http.Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ at: Date.now(), body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/palisade-fallback`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

export interface SlackTestBed extends PlaybookTestBed {
  slack: FakeSlack;
  fallback: WebhookReceiver;
}

export function slackEnv(slack: FakeSlack): NodeJS.ProcessEnv {
  return { SLACK_SIGNING_SECRET: SLACK_TEST_SIGNING_SECRET, SLACK_BOT_TOKEN: SLACK_TEST_BOT_TOKEN, SLACK_API_URL: slack.url };
}

/**
 * A Slack test file's servers: the fake Slack Web API and the fallback webhook, then the playbook
 * test bed with Slack connected (people-slack.yaml: runbooks/people.yaml and a viewer): `engine` on approvals-slack.yaml (Slack given up on after 3 s,
 * 30-minute gates), `fast` on approvals-fast.yaml (2-second tiers) for escalations and expiry.
 */
export function slackTestBed(): SlackTestBed {
  const bed = {} as SlackTestBed;
  beforeAll(async () => {
    bed.slack = await new FakeSlack({ users: Object.values(SLACK_USERS), usergroups: { S0SECOPSLEADS: [SLACK_USERS.bob.id], S0PLATFORM: [SLACK_USERS.dave.id] } }).start();
    bed.fallback = await new WebhookReceiver().start();
  });
  // Hooks run as a stack: the engines stop before these servers do.
  afterAll(async () => {
    await bed.fallback?.close();
    await bed.slack?.close();
  });
  return playbookTestBed({
    bed,
    approvalsFile: 'test/fixtures/runbooks/approvals-slack.yaml',
    env: () => ({ ...slackEnv(bed.slack), PALISADE_FALLBACK_WEBHOOK_URL: bed.fallback.url, PALISADE_PEOPLE_FILE: 'test/fixtures/runbooks/people-slack.yaml' }),
  });
}

export interface SlackEngineBed {
  slack: FakeSlack;
  engine: TestEngine;
  client: Client;
  fleet: SimulatedFleet;
}

/**
 * One engine with Slack connected to a fake Slack Web API (the tests' Slack users, and the
 * given user groups), a Temporal client and the simulated fleet: for a test file that needs an
 * environment of its own (`env` is read when the engine starts); `withWorker: false` for a test that
 * runs the engine's workers itself (test/support/engine-worker.ts).
 */
export function slackEngine(opts: { env?: () => NodeJS.ProcessEnv; usergroups?: Record<string, string[]>; withWorker?: boolean } = {}): SlackEngineBed {
  const bed = {} as SlackEngineBed;
  beforeAll(async () => {
    bed.slack = await new FakeSlack({ users: Object.values(SLACK_USERS), usergroups: opts.usergroups ?? {} }).start();
    bed.engine = await startTestEngine({ env: { ...slackEnv(bed.slack), ...opts.env?.() }, withWorker: opts.withWorker });
    bed.client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
    bed.fleet = new SimulatedFleet(bed.engine.db);
  });
  afterAll(async () => {
    await bed.client?.connection.close();
    await bed.engine?.close();
    await bed.slack?.close();
  });
  return bed;
}

/** A gate's message as Slack was asked to post it, with where it landed. */
export interface PostedGate {
  call: SlackCall;
  channel: string;
  ts: string;
  blocks: any[];
}

const metadataOf = (call: SlackCall) => call.args.metadata?.event_payload as { incidentId?: string; gateId?: string; template?: string } | undefined;

/** Waits for the message of one template (approval, escalation, fallback) for an incident's gate. */
export async function gateMessage(slack: FakeSlack, incidentId: string, gateId: string, template = 'approval', timeoutMs = 15_000): Promise<PostedGate> {
  const call = await slack.waitFor(
    `the ${template} message of ${gateId}`,
    (c) => c.method === 'chat.postMessage' && metadataOf(c)?.incidentId === incidentId && metadataOf(c)?.gateId === gateId && metadataOf(c)?.template === template,
    timeoutMs,
  );
  return { call, channel: call.response!.channel, ts: call.response!.ts, blocks: call.args.blocks };
}

/** Waits for an update of a posted message that satisfies `match` (e.g. shows the decision). */
export async function messageUpdate(slack: FakeSlack, posted: PostedGate, what: string, match: (text: string) => boolean): Promise<SlackCall> {
  return slack.waitFor(what, (c) => c.method === 'chat.update' && c.args.ts === posted.ts && match(JSON.stringify(c.args.blocks)));
}

/** The button a message carries, by action id prefix. */
export function button(posted: PostedGate, actionId: SlackActionId, nth = 0): { action_id: string; value: string } {
  const actions = posted.blocks.find((b) => b.type === 'actions');
  const found = (actions?.elements ?? []).filter((e: any) => e.action_id.startsWith(actionId))[nth];
  if (!found) throw new Error(`the message has no ${actionId} button`);
  return found;
}

/** Clicks a button of a posted message as a Slack user, signed as Slack signs. */
export async function click(engine: TestEngine, posted: PostedGate, user: string, actionId: SlackActionId, nth = 0) {
  const b = button(posted, actionId, nth);
  return postToSlackEndpoint(engine.baseUrl, blockActionsBody({ user, actionId: b.action_id, value: b.value, channel: posted.channel, messageTs: posted.ts }));
}

/**
 * A host-compromise run on a new production host, waiting at its `isolate-host` gate, its Slack
 * message, and `submit`: the "Deny with reason" form opened from that message, submitted as a
 * Slack user with a reason, signed as Slack signs.
 */
export async function denyFormAtIsolation(bed: SlackEngineBed) {
  const id = `i-${randomUUID().slice(0, 8)}`;
  await bed.fleet.addHost({ id, hostname: `production-${id}`, owner: 'team-web', environment: 'production', criticality: 'medium', tags: {} });
  const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity: { kind: 'host', key: id, display: id } });
  const posted = await gateMessage(bed.slack, run.incidentId, 'isolate-host');
  const privateMetadata = JSON.stringify({ ref: button(posted, SlackActionId.DenyWithReason).value, channel: posted.channel });
  const submit = (user: string, reason: string) =>
    postToSlackEndpoint(
      bed.engine.baseUrl,
      viewSubmissionBody({ user, callbackId: SlackViewId.DenyReason, privateMetadata, values: { [DENY_REASON_INPUT.block]: { [DENY_REASON_INPUT.action]: reason } } }),
    );
  return { run, posted, submit };
}

/** Waits for the ephemeral answer a user got after `since`. */
export async function ephemeralFor(slack: FakeSlack, user: string, since: number): Promise<string> {
  const call = await slack.waitFor(`an ephemeral answer to ${user}`, (c) => c.method === 'chat.postEphemeral' && c.args.user === user && c.at >= since);
  return String(call.args.text);
}
