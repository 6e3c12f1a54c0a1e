import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { SimulatedFleet } from '../../activities/providers/simulated/fleet';
import { SlackActionId, SlackViewId } from '../../lib/slack/actions';
import { cancelSignal, stateQuery } from '../../workflows/shared/messages';
import { eventually, getJson, postJson, tokenFor, type TestEngine } from '../support/engine';
import type { FakeSlack, SlackCall } from '../support/fake-slack';
import { incidentStatus, startRun, type StartedRun } from '../support/playbooks';
import { button, click, ephemeralFor, gateMessage, messageUpdate, slackEngine, SLACK_USERS, type PostedGate } from '../support/slack';
import { blockActionsBody, postToSlackEndpoint, slashCommandBody } from '../support/slack-requests';
import { genericAlert, sendGeneric } from '../support/webhooks';

interface PersonEntry {
  id: string;
  name: string;
  email?: string;
  slack?: string;
  groups?: string[];
  roles?: string[];
  disabled?: boolean;
}

/** runbooks/people.yaml's three people, as the tests start from. */
const PEOPLE: PersonEntry[] = [
  { id: 'alice', name: 'Alice Martin', email: 'alice@example.com', slack: 'U0ALICE01', groups: ['secops'], roles: ['responder', 'approver'] },
  { id: 'bob', name: 'Bob Okafor', email: 'bob@example.com', groups: ['secops', 'secops-leads'], roles: ['responder', 'approver'] },
  { id: 'carol', name: 'Carol Nguyen', email: 'carol@example.com', slack: 'U0CAROL01', groups: ['sre'], roles: ['responder'] },
];

// Who is behind a Slack click, a slash command or an API token, with people.yaml edited while
// the engine runs: real Bolt (signed requests), a fake Slack Web API on loopback, a real worker,
// Temporal and Postgres.
describe('who may act in Slack', () => {
  let dir: string;
  let peopleFile: string;

  /** Replaces people.yaml as an editor or a deploy does (write aside, rename over). */
  const writePeople = (people: PersonEntry[]) => {
    const aside = `${peopleFile}.${randomUUID()}`;
    writeFileSync(aside, stringify({ people }));
    renameSync(aside, peopleFile);
  };
  const withAlice = (change: Partial<PersonEntry> | null) => PEOPLE.flatMap((p) => (p.id !== 'alice' ? [p] : change === null ? [] : [{ ...p, ...change }]));

  // Hooks run as a stack: the people file is there before the engine starts, and goes after it stops.
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-people-'));
    peopleFile = path.join(dir, 'people.yaml');
    writePeople(PEOPLE);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bed = slackEngine({
    usergroups: { S0SECOPSLEADS: [SLACK_USERS.bob.id], S0PLATFORM: [SLACK_USERS.bob.id, SLACK_USERS.dave.id] },
    env: () => ({
      PALISADE_PEOPLE_FILE: peopleFile,
      PALISADE_APPROVALS_FILE: 'test/fixtures/runbooks/approvals-identity.yaml',
      PALISADE_ROUTING_FILE: 'test/fixtures/runbooks/routing-reopen.yaml',
    }),
  });
  let slack: FakeSlack;
  let engine: TestEngine;
  let client: Client;
  let fleet: SimulatedFleet;
  beforeAll(() => ({ slack, engine, client, fleet } = bed));

  async function host() {
    const id = `i-${randomUUID().slice(0, 8)}`;
    await fleet.addHost({ id, hostname: `production-${id}`, owner: 'team-web', environment: 'production', criticality: 'medium', tags: { 'golden-image': 'ami-golden-7' } });
    return { kind: 'host' as const, key: id, display: id };
  }
  const stop = (run: StartedRun) => run.handle.signal(cancelSignal, { reason: 'test over', actor: 'test' });
  const votesOn = async (run: StartedRun, gateId: string) => ((await run.handle.query(stateQuery)).gates ?? []).find((g) => g.id === gateId)?.votes.map((v) => v.approverId);
  const answer = async (user: string, posted: PostedGate, actionId: SlackActionId, nth = 0) => {
    const since = Date.now();
    expect((await click(engine, posted, user, actionId, nth)).status).toBe(200);
    return ephemeralFor(slack, user, since);
  };

  // First in the file: nobody has clicked yet, so no Slack profile is remembered.
  it('a failed users.info is never remembered, and never turns bob into slack:U0BOB0001 (one person, two votes)', async () => {
    const id = `sg-${randomUUID().slice(0, 8)}`;
    const baseline = { instanceType: 't3.small', tags: { team: 'web' } };
    await fleet.addResource({ id, kind: 'aws_security_group', baseline, current: { ...baseline, instanceType: 't3.large' } });
    const run = await startRun(client, engine, 'config-drift', { entity: { kind: 'resource', key: id, display: id } });
    const question = await gateMessage(slack, run.incidentId, 'drift-decision');
    const accept = [0, 1, 2].find((n) => button(question, SlackActionId.Approve, n).value.includes('"accept"'))!;

    // Slack cannot say who U0BOB0001 is: bob (found by his email) must not vote as the Slack group member slack:U0BOB0001.
    slack.fail('5xx', { method: 'users.info' });
    try {
      expect(await answer(SLACK_USERS.bob.id, question, SlackActionId.Approve, accept)).toMatch(/could not tell who you are.*nothing was decided/i);
    } finally {
      slack.recover();
    }
    expect(await votesOn(run, 'drift-decision')).toEqual([]);

    // Slack answers again: the failure was not remembered, the click is bob's.
    expect(await answer(SLACK_USERS.bob.id, question, SlackActionId.Approve, accept)).toMatch(/counted: 1 of 2/);
    expect(await votesOn(run, 'drift-decision')).toEqual(['bob']);
    const api = await postJson(`${engine.baseUrl}/incidents/${run.incidentId}/approvals/drift-decision`, { decision: 'approve', choice: 'accept' }, await tokenFor(engine.baseUrl, 'bob'));
    expect(api).toMatchObject({ status: 409, body: { error: 'already_voted' } });
    expect(await votesOn(run, 'drift-decision')).toEqual(['bob']);
    await stop(run);
  }, 60_000);

  it('a person disabled or removed in people.yaml is refused at once, in Slack and through the API, without a restart', async () => {
    const run = await startRun(client, engine, 'host-compromise', { entity: await host() });
    const posted = await gateMessage(slack, run.incidentId, 'isolate-host');
    const alice = await tokenFor(engine.baseUrl, 'alice');
    const viaApi = () => postJson(`${engine.baseUrl}/incidents/${run.incidentId}/approvals/isolate-host`, { decision: 'approve' }, alice);

    writePeople(withAlice({ disabled: true }));
    expect(await answer(SLACK_USERS.alice.id, posted, SlackActionId.Approve)).toMatch(/alice is disabled in runbooks\/people\.yaml/);
    expect(await viaApi()).toMatchObject({ status: 403, body: { error: 'person_disabled', hint: expect.stringContaining('people.yaml') } });

    writePeople(withAlice(null));
    expect(await answer(SLACK_USERS.alice.id, posted, SlackActionId.Approve)).toMatch(/does not know <@U0ALICE01>/);
    expect(await viaApi()).toMatchObject({ status: 403, body: { error: 'unknown_person' } });
    expect(await votesOn(run, 'isolate-host')).toEqual([]);
    const refused = await eventually('the refused clicks on the timeline', async () => {
      const rows = await engine.db.query(`SELECT data FROM timeline_events WHERE incident_id = $1 AND type = 'slack.click-rejected' ORDER BY sequence`, [run.incidentId]);
      return rows.length === 2 ? rows.map((r: { data: { code: string } }) => r.data.code) : undefined;
    });
    expect(refused).toEqual(['person_disabled', 'unknown_person']);

    writePeople(PEOPLE);
    await click(engine, posted, SLACK_USERS.alice.id, SlackActionId.Approve);
    await messageUpdate(slack, posted, 'the decision', (t) => t.includes('Approved by alice'));
    await stop(run);
  }, 60_000);

  it('/palisade status and pending answer only a person people.yaml knows, not disabled, with a role', async () => {
    const entity = await host();
    const run = await startRun(client, engine, 'host-compromise', { entity });
    await gateMessage(slack, run.incidentId, 'isolate-host');
    const ask = async (user: string, text: string) => String((await postToSlackEndpoint(engine.baseUrl, slashCommandBody({ user, text }))).json?.text);

    // erin is nobody Palisade knows; dave only belongs to a Slack group a policy names (no role).
    for (const user of [SLACK_USERS.erin.id, SLACK_USERS.dave.id]) {
      const status = await ask(user, `status ${run.incidentId}`);
      expect(status).toMatch(/needs a person in runbooks\/people\.yaml with a role/);
      expect(status).not.toContain(entity.key);
      expect(await ask(user, 'pending')).not.toContain(entity.key);
    }
    expect(await ask(SLACK_USERS.carol.id, `status ${run.incidentId}`)).toContain(entity.key);

    writePeople(PEOPLE.map((p) => (p.id === 'carol' ? { ...p, disabled: true } : p)));
    try {
      expect(await ask(SLACK_USERS.carol.id, `status ${run.incidentId}`)).toMatch(/carol is disabled/);
      expect(await ask(SLACK_USERS.carol.id, 'pending')).toMatch(/carol is disabled/);
    } finally {
      writePeople(PEOPLE);
    }
    expect(await ask(SLACK_USERS.carol.id, `status ${run.incidentId}`)).toContain(entity.key);
    await stop(run);
  }, 60_000);

  it('a click on a request from before the incident was reopened is refused, and does not count on the new request', async () => {
    const entity = await host();
    const first = await sendGeneric(engine.baseUrl, genericAlert(entity.key, { title: `Reverse shell on ${entity.key}` }), { delivery: `${entity.key}-1` });
    expect(first.status).toBe(202);
    const incidentId = first.body.incidentId as string;
    const old = await gateMessage(slack, incidentId, 'isolate-host');

    expect((await postJson(`${engine.baseUrl}/incidents/${incidentId}/resolve`, { classification: 'false_positive', reason: 'false positive' })).status).toBe(202);
    await incidentStatus(engine, incidentId, 'resolved');
    const again = await sendGeneric(engine.baseUrl, genericAlert(entity.key, { title: `Reverse shell on ${entity.key}, again` }), { delivery: `${entity.key}-2` });
    expect(again.body).toMatchObject({ disposition: 'merged', incidentId });
    const isNewRequest = (c: SlackCall) => {
      const meta = c.args.metadata?.event_payload as { incidentId?: string; gateId?: string; template?: string } | undefined;
      return c.method === 'chat.postMessage' && meta?.incidentId === incidentId && meta.gateId === 'isolate-host' && meta.template === 'approval' && c.response?.ts !== old.ts;
    };
    const call = await slack.waitFor('the reopened incident asking again', isNewRequest, 30_000);
    const fresh: PostedGate = { call, channel: call.response!.channel, ts: call.response!.ts, blocks: call.args.blocks };

    expect(await answer(SLACK_USERS.alice.id, old, SlackActionId.Approve)).toMatch(/earlier request.*asked again/);
    const gates = await getJson(`${engine.baseUrl}/incidents/${incidentId}/approvals`);
    expect(gates.body.gates.find((g: { id: string }) => g.id === 'isolate-host')).toMatchObject({ status: 'open', votes: [] });

    await click(engine, fresh, SLACK_USERS.alice.id, SlackActionId.Approve);
    await messageUpdate(slack, fresh, 'the decision on the new request', (t) => t.includes('Approved by alice'));
  }, 90_000);

  it('acknowledges an interaction Palisade has no handler for, and tells the clicker', async () => {
    const since = Date.now();
    const unknown = await postToSlackEndpoint(
      engine.baseUrl,
      blockActionsBody({ user: SLACK_USERS.alice.id, actionId: 'palisade.gate.snooze', value: JSON.stringify({ incidentId: randomUUID(), gateId: 'isolate-host' }), channel: 'C0SECOPSAPPROVALS', messageTs: '1700000000.000100', label: 'Snooze' }),
    );
    expect(unknown.status).toBe(200);
    expect(await ephemeralFor(slack, SLACK_USERS.alice.id, since)).toMatch(/Palisade does not know this button \(palisade\.gate\.snooze\).*nothing was decided/);

    // A global shortcut and a slash command Palisade never registered: acknowledged all the same.
    const shortcut = `payload=${encodeURIComponent(
      JSON.stringify({ type: 'shortcut', callback_id: 'palisade.report', trigger_id: '1.2', team: { id: 'T0PALISADE', domain: 'palisade-test' }, user: { id: SLACK_USERS.alice.id, team_id: 'T0PALISADE' }, token: 'x', action_ts: '1.2' }),
    )}`;
    expect((await postToSlackEndpoint(engine.baseUrl, shortcut)).status).toBe(200);
    // A deny modal closed without submitting (a template given notify_on_close): Palisade only listens to submissions.
    const closed = `payload=${encodeURIComponent(
      JSON.stringify({ type: 'view_closed', team: { id: 'T0PALISADE' }, user: { id: SLACK_USERS.alice.id, team_id: 'T0PALISADE' }, view: { id: 'V0CLOSED', callback_id: SlackViewId.DenyReason }, is_cleared: false }),
    )}`;
    expect((await postToSlackEndpoint(engine.baseUrl, closed)).status).toBe(200);
    const other = await postToSlackEndpoint(engine.baseUrl, slashCommandBody({ user: SLACK_USERS.alice.id, text: 'x', command: '/palisade-old' }));
    expect(other).toMatchObject({ status: 200, json: { response_type: 'ephemeral', text: expect.stringContaining('/palisade-old') } });
  }, 30_000);
});
