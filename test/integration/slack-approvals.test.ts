import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DENY_REASON_INPUT, SlackActionId, SlackViewId } from '../../lib/slack/actions';
import { resolveSignal, stateQuery } from '../../workflows/shared/messages';
import { eventually, postJson, tokenFor } from '../support/engine';
import { gateOpen, incidentStatus, startRun, timeline, types } from '../support/playbooks';
import { button, click, ephemeralFor, gateMessage, messageUpdate, SLACK_USERS, slackTestBed } from '../support/slack';
import { blockActionsBody, postToSlackEndpoint, slashCommandBody, slackSignature, viewSubmissionBody } from '../support/slack-requests';

// Approval gates through real Bolt (signature checks, action and view handlers), a real worker
// posting Block Kit to a fake Slack Web API on loopback, real Temporal and real Postgres.
describe('Slack approvals', () => {
  const bed = slackTestBed();

  async function host(environment: 'production' | 'development', criticality: 'medium' | 'critical' = 'medium') {
    const id = `i-${randomUUID().slice(0, 8)}`;
    await bed.fleet.addHost({ id, hostname: `${environment}-${id}`, owner: 'team-web', environment, criticality, tags: { 'golden-image': 'ami-golden-7' } });
    return { kind: 'host' as const, key: id, display: id };
  }
  const isolated = async (id: string) => (await bed.fleet.host(id))?.isolated;
  const withoutButtons = (text: string) => !text.includes(SlackActionId.Approve);
  // Resolve, not cancel: a cancel after isolation would open an undo gate and post it to Slack.
  const stop = (run: { handle: { signal: (s: typeof resolveSignal, r: { reason: string; actor: string }) => Promise<void> } }) => run.handle.signal(resolveSignal, { reason: 'test over', actor: 'test' });

  it('posts the request with buttons; an Approve click decides the gate, the playbook proceeds and the message shows who decided', async () => {
    const entity = await host('production');
    const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity });
    const posted = await gateMessage(bed.slack, run.incidentId, 'isolate-host');

    expect(posted.call.token).toBe('xoxb-test-palisade-bot-token');
    expect(posted.call.args.channel).toBe('#secops-approvals');
    const text = JSON.stringify(posted.blocks);
    expect(text).toContain(`Isolate production-${entity.key}`);
    expect(text).toContain('role approver');
    expect(text).toContain(`/incidents/${run.incidentId}`);
    expect(button(posted, SlackActionId.Approve).action_id).toBe(SlackActionId.Approve);
    expect(button(posted, SlackActionId.DenyWithReason)).toBeTruthy();

    const answer = await click(bed.engine, posted, SLACK_USERS.alice.id, SlackActionId.Approve);
    expect(answer.status).toBe(200);

    const decided = await messageUpdate(bed.slack, posted, 'the message showing the decision', (t) => t.includes('Approved by alice'));
    expect(withoutButtons(JSON.stringify(decided.args.blocks))).toBe(true);
    expect(JSON.stringify(decided.args.blocks)).toContain('<@U0ALICE01>');
    await gateOpen(run.handle, 'replace-host');
    expect(await isolated(entity.key)).toBe(true);

    const events = await timeline(bed.engine, run.incidentId);
    expect(events.find((e) => e.type === 'slack.posted')).toMatchObject({ data: { gateId: 'isolate-host', channel: 'C0SECOPSAPPROVALS', ts: posted.ts } });
    expect(events.find((e) => e.type === 'gate.vote')).toMatchObject({ actor: 'alice', data: { via: 'slack', slackUserId: 'U0ALICE01', decision: 'approve' } });
    await stop(run);
  }, 60_000);

  it('"Deny with reason" opens a modal; submitting it denies the step with the reason', async () => {
    const entity = await host('production');
    const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity });
    const posted = await gateMessage(bed.slack, run.incidentId, 'isolate-host');

    // bob has no Slack id in people.yaml: he is found by the email on his Slack profile.
    expect((await click(bed.engine, posted, SLACK_USERS.bob.id, SlackActionId.DenyWithReason)).status).toBe(200);
    const opened = await bed.slack.waitFor('views.open', (c) => c.method === 'views.open' && c.args.view?.private_metadata?.includes(run.incidentId));
    expect(opened.args.trigger_id).toBeTruthy();
    expect(opened.args.view).toMatchObject({ type: 'modal', callback_id: SlackViewId.DenyReason });
    expect(JSON.stringify(opened.args.view.blocks)).toContain(`Isolate production-${entity.key}`);

    const submitted = await postToSlackEndpoint(
      bed.engine.baseUrl,
      viewSubmissionBody({
        user: SLACK_USERS.bob.id,
        callbackId: SlackViewId.DenyReason,
        privateMetadata: opened.args.view.private_metadata,
        values: { [DENY_REASON_INPUT.block]: { [DENY_REASON_INPUT.action]: 'known scanner, change ticket CHG-1142' } },
      }),
    );
    expect(submitted.status).toBe(200);
    expect(submitted.text).toBe(''); // the modal closes: the vote counted

    await messageUpdate(bed.slack, posted, 'the message showing the denial', (t) => t.includes('Denied by bob') && t.includes('CHG-1142'));
    await gateOpen(run.handle, 'replace-host');
    expect(await isolated(entity.key)).toBe(false);
    const events = await timeline(bed.engine, run.incidentId);
    expect(events.find((e) => e.type === 'gate.decided')).toMatchObject({ data: { outcome: 'denied' } });
    expect(events.find((e) => e.type === 'gate.vote')).toMatchObject({ actor: 'bob', data: { reason: 'known scanner, change ticket CHG-1142', via: 'slack' } });
    await stop(run);
  }, 60_000);

  it('answers clicks that do not count with an ephemeral reason and changes nothing; two Slack users make a critical quorum', async () => {
    const entity = await host('production', 'critical');
    const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity, requestedBy: 'alice' });
    const posted = await gateMessage(bed.slack, run.incidentId, 'isolate-host');

    // The answer to this click: an ephemeral posted after every one seen so far (a clock
    // reading could not tell two clicks in the same millisecond apart).
    const reasonFor = async (user: string) => {
      const seen = bed.slack.callsOf('chat.postEphemeral').length;
      expect((await click(bed.engine, posted, user, SlackActionId.Approve)).status).toBe(200);
      const call = await bed.slack.waitFor(`an ephemeral answer to ${user}`, (c) => c.method === 'chat.postEphemeral' && c.args.user === user && bed.slack.callsOf('chat.postEphemeral').indexOf(c) >= seen);
      return String(call.args.text);
    };
    expect(await reasonFor(SLACK_USERS.carol.id)).toMatch(/carol may not decide.*role approver/);
    expect(await reasonFor(SLACK_USERS.alice.id)).toMatch(/four-eyes/);
    expect(await reasonFor(SLACK_USERS.erin.id)).toMatch(/does not know <@U0ERIN001>/);
    expect(await reasonFor(SLACK_USERS.bob.id)).toMatch(/counted: 1 of 2 approvals/);
    expect(await reasonFor(SLACK_USERS.bob.id)).toMatch(/bob already voted/);
    await messageUpdate(bed.slack, posted, 'the message showing one approval', (t) => t.includes('1 of 2 approvals') && t.includes(SlackActionId.Approve));
    expect(await isolated(entity.key)).toBe(false);
    expect((await run.handle.query(stateQuery)).pendingGates?.[0]?.votes.map((v) => v.approverId)).toEqual(['bob']);

    // dave is in no people.yaml entry; his Slack group may decide drift, not this.
    expect(await reasonFor(SLACK_USERS.dave.id)).toMatch(/slack:U0DAVE001 may not decide/);

    const rejections = await eventually('the rejected clicks on the timeline', async () => {
      const rows = (await timeline(bed.engine, run.incidentId)).filter((e) => e.type === 'slack.click-rejected');
      return rows.length === 5 ? rows : undefined;
    });
    expect(rejections.map((e) => e.data.code)).toEqual(['not_allowed', 'own_request', 'unknown_person', 'already_voted', 'not_allowed']);
    expect(rejections[0]).toMatchObject({ actor: 'carol', data: { slackUserId: 'U0CAROL01', gateId: 'isolate-host' } });
    await stop(run);
  }, 60_000);

  it('takes a critical gate\'s two approvals from two Slack users, and a Slack user group lets a person outside people.yaml choose', async () => {
    const entity = await host('production', 'critical');
    const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity });
    const posted = await gateMessage(bed.slack, run.incidentId, 'isolate-host');
    await click(bed.engine, posted, SLACK_USERS.alice.id, SlackActionId.Approve);
    await messageUpdate(bed.slack, posted, 'one approval shown', (t) => t.includes('1 of 2 approvals'));
    await click(bed.engine, posted, SLACK_USERS.bob.id, SlackActionId.Approve);
    const decided = await messageUpdate(bed.slack, posted, 'the decision', (t) => t.includes('Approved by alice, bob'));
    expect(withoutButtons(JSON.stringify(decided.args.blocks))).toBe(true);
    await eventually('the host isolated', async () => ((await isolated(entity.key)) ? true : undefined));
    await stop(run);

    // config-drift's drift-decision lets Slack group S0PLATFORM decide (approvals-slack.yaml); dave is in it.
    const id = `sg-${randomUUID().slice(0, 8)}`;
    const baseline = { instanceType: 't3.small', tags: { team: 'web' } };
    await bed.fleet.addResource({ id, kind: 'aws_security_group', baseline, current: { ...baseline, instanceType: 't3.large' } });
    const drift = await startRun(bed.client, bed.engine, 'config-drift', { entity: { kind: 'resource', key: id, display: id } });
    const question = await gateMessage(bed.slack, drift.incidentId, 'drift-decision');
    expect(JSON.stringify(question.blocks)).toContain('<!subteam^S0PLATFORM>');
    const accept = [0, 1, 2].find((n) => button(question, SlackActionId.Approve, n).value.includes('"accept"'))!;
    const since = Date.now();
    await click(bed.engine, question, SLACK_USERS.alice.id, SlackActionId.Approve, accept);
    expect(await ephemeralFor(bed.slack, SLACK_USERS.alice.id, since)).toMatch(/may not decide.*Slack group S0PLATFORM or S0GONE/);
    await click(bed.engine, question, SLACK_USERS.dave.id, SlackActionId.Approve, accept);
    await messageUpdate(bed.slack, question, 'the choice', (t) => t.includes('Approved (accept) by slack:U0DAVE001'));
    await incidentStatus(bed.engine, drift.incidentId, 'resolved');
  }, 60_000);

  it('refuses unsigned, forged and stale requests with 401 and decides nothing', async () => {
    const entity = await host('production');
    const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity });
    const posted = await gateMessage(bed.slack, run.incidentId, 'isolate-host');
    const b = button(posted, SlackActionId.Approve);
    const body = blockActionsBody({ user: SLACK_USERS.alice.id, actionId: b.action_id, value: b.value, channel: posted.channel, messageTs: posted.ts });
    const now = Math.floor(Date.now() / 1000);

    const unsigned = await postToSlackEndpoint(bed.engine.baseUrl, body, { signature: null });
    const forged = await postToSlackEndpoint(bed.engine.baseUrl, body, { secret: 'not-the-signing-secret' });
    const stale = await postToSlackEndpoint(bed.engine.baseUrl, body, { timestamp: now - 6 * 60 });
    const tampered = await postToSlackEndpoint(bed.engine.baseUrl, body.replace('U0ALICE01', 'U0BOB0001'), { signature: slackSignature('test-slack-signing-secret-0123456789', now, body) });
    for (const res of [unsigned, forged, stale, tampered]) {
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ error: 'slack_signature_invalid', hint: expect.stringContaining('SLACK_SIGNING_SECRET') });
    }
    // The same body, signed, counts: the gate was still open and untouched.
    expect((await run.handle.query(stateQuery)).pendingGates?.[0]?.votes).toEqual([]);
    expect((await postToSlackEndpoint(bed.engine.baseUrl, body)).status).toBe(200);
    await messageUpdate(bed.slack, posted, 'the decision', (t) => t.includes('Approved by alice'));
    expect(bed.slack.calls.filter((c) => c.method === 'chat.postEphemeral' && JSON.stringify(c.args).includes(run.incidentId))).toEqual([]);
    await stop(run);
  }, 60_000);

  it('with Slack failing (5xx) for the whole gate: the gate stays open, the timeline and the fallback webhook say so, and the API decides', async () => {
    const entity = await host('production');
    bed.slack.fail('5xx');
    try {
      const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity });
      const outage = await eventually('Slack unreachable on the timeline', async () => (await timeline(bed.engine, run.incidentId)).find((e) => e.type === 'slack.unreachable'));
      expect(outage.summary).toMatch(/Slack could not be used.*HTTP 503.*decide through the API/);
      const notice = await eventually('the fallback webhook', async () => bed.fallback.received.find((r) => r.body.incident.id === run.incidentId));
      expect(notice.body).toMatchObject({ event: 'slack.unreachable', gate: { id: 'isolate-host' }, decideUrl: expect.stringContaining(`/incidents/${run.incidentId}/approvals/isolate-host`) });
      expect((await run.handle.query(stateQuery)).pendingGates?.[0]).toMatchObject({ id: 'isolate-host', status: 'open' });

      const verdict = await postJson(`${bed.engine.baseUrl}/incidents/${run.incidentId}/approvals/isolate-host`, { decision: 'approve', reason: 'Slack is down; approving here' }, await tokenFor(bed.engine.baseUrl, 'bob'));
      expect(verdict).toMatchObject({ status: 200, body: { outcome: 'approved' } });
      await gateOpen(run.handle, 'replace-host');
      expect(await isolated(entity.key)).toBe(true);
      const events = await timeline(bed.engine, run.incidentId);
      expect(types(events).filter((t) => t.startsWith('slack.') || t.startsWith('gate.'))).toEqual(expect.arrayContaining(['gate.requested', 'slack.unreachable', 'slack.fallback-notified', 'gate.vote', 'gate.decided']));
      expect(events.filter((e) => e.type === 'slack.posted' && e.data.gateId === 'isolate-host')).toEqual([]);
      await stop(run);
    } finally {
      bed.slack.recover();
    }
  }, 60_000);

  it('posts a waiting request as it stands once Slack answers again', async () => {
    const entity = await host('production', 'critical');
    bed.slack.fail('timeout', { method: 'chat.postMessage' });
    const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity });
    await eventually('Slack unreachable on the timeline', async () => (await timeline(bed.engine, run.incidentId)).find((e) => e.type === 'slack.unreachable'), 30_000);
    await postJson(`${bed.engine.baseUrl}/incidents/${run.incidentId}/approvals/isolate-host`, { decision: 'approve' }, await tokenFor(bed.engine.baseUrl, 'bob'));
    bed.slack.recover();

    const late = await gateMessage(bed.slack, run.incidentId, 'isolate-host', 'approval', 40_000);
    // The post itself, or the update that follows it at once when the gate moved while Slack was away.
    const current = await bed.slack.waitFor(
      'the request as the gate stands',
      (c) => (c.response?.ts === late.ts || c.args.ts === late.ts) && JSON.stringify(c.args.blocks).includes('1 of 2 approvals'),
    );
    expect(JSON.stringify(current.args.blocks)).toContain('<@U0BOB0001> approved'); // bob's Slack id found by users.lookupByEmail
    await click(bed.engine, late, SLACK_USERS.alice.id, SlackActionId.Approve);
    await messageUpdate(bed.slack, late, 'the decision', (t) => t.includes('Approved by bob, alice'));
    expect((await timeline(bed.engine, run.incidentId)).find((e) => e.type === 'slack.posted')?.summary).toContain('Slack answers again');
    await stop(run);
  }, 90_000);

  it('honours a 429\'s Retry-After before posting again', async () => {
    const entity = await host('production');
    // The gate's request only: the incident's own post (runbooks/paging.yaml post:) goes to Slack too.
    bed.slack.fail('429', { method: 'chat.postMessage', times: 1, retryAfterSeconds: 2, where: (args) => args.metadata?.event_type === 'palisade_gate' });
    const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity });
    const posted = await gateMessage(bed.slack, run.incidentId, 'isolate-host');
    const limited = bed.slack.calls.find((c) => c.fault === '429' && JSON.stringify(c.args).includes(run.incidentId))!;
    // Without Retry-After the first retry would come after 1 s (RETRY.slack's initial interval).
    expect(posted.call.at - limited.at).toBeGreaterThanOrEqual(1_900);
    expect(types(await timeline(bed.engine, run.incidentId))).not.toContain('slack.unreachable');
    await stop(run);
  }, 60_000);

  it('on a timeout posts the escalation to the next tier\'s channel, mentioning its group, then the fallback; a click after expiry is refused', async () => {
    const entity = await host('production');
    const run = await startRun(bed.client, bed.fast, 'host-compromise', { entity });
    const posted = await gateMessage(bed.slack, run.incidentId, 'isolate-host');
    const escalation = await gateMessage(bed.slack, run.incidentId, 'isolate-host', 'escalation');
    expect(escalation.call.args.channel).toBe('#secops-leads');
    expect(JSON.stringify(escalation.blocks)).toContain('<!subteam^S0SECOPSLEADS>');
    expect(button(escalation, SlackActionId.Approve)).toBeTruthy();
    const fallback = await gateMessage(bed.slack, run.incidentId, 'isolate-host', 'fallback');
    expect(JSON.stringify(fallback.blocks)).toContain('fallback deny applied');
    await messageUpdate(bed.slack, posted, 'the expired request', (t) => t.includes('Expired') && !t.includes(SlackActionId.Approve));

    const since = Date.now();
    await click(bed.engine, posted, SLACK_USERS.bob.id, SlackActionId.Approve);
    expect(await ephemeralFor(bed.slack, SLACK_USERS.bob.id, since)).toMatch(/expired/);
    expect(await isolated(entity.key)).toBe(false);
    const events = await timeline(bed.engine, run.incidentId);
    expect(types(events)).toEqual(expect.arrayContaining(['slack.posted', 'gate.escalated', 'slack.escalated', 'gate.expired', 'slack.fallback-posted']));
    await stop(run);
  }, 60_000);

  it('acknowledges, takes and notes an incident with /palisade ack|take|note as the Slack user’s person; a Slack group member alone is refused', async () => {
    const entity = await host('production');
    const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity, requestedBy: 'alice' });
    await gateMessage(bed.slack, run.incidentId, 'isolate-host');
    const slash = async (user: string, text: string) => (await postToSlackEndpoint(bed.engine.baseUrl, slashCommandBody({ user, text }))).json;

    expect(await slash(SLACK_USERS.carol.id, `ack ${run.incidentId} on it`)).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^Acknowledged by you/) });
    expect((await slash(SLACK_USERS.alice.id, `ack ${run.incidentId}`)).text).toMatch(/^Already acknowledged by carol/);
    // bob is found by his email on his Slack profile.
    expect((await slash(SLACK_USERS.bob.id, `take ${run.incidentId} I have the host open`)).text).toBe('It is yours now.');
    expect((await slash(SLACK_USERS.carol.id, `note ${run.incidentId} checked the *auth logs*:  nothing else`)).text).toBe('Your note is on the timeline.');
    expect((await slash(SLACK_USERS.dave.id, `take ${run.incidentId}`)).text).toContain('runbooks/people.yaml');
    expect((await slash(SLACK_USERS.carol.id, 'take not-an-id')).text).toContain('is not an incident id');
    expect((await slash(SLACK_USERS.carol.id, `note ${run.incidentId}`)).text).toContain('Usage');

    const events = await timeline(bed.engine, run.incidentId);
    expect(events.filter((e) => ['incident.acknowledged', 'incident.assigned', 'incident.note'].includes(e.type)).map((e) => [e.type, e.actor])).toEqual([
      ['incident.acknowledged', 'carol'],
      ['incident.assigned', 'bob'],
      ['incident.note', 'carol'],
    ]);
    expect(events.find((e) => e.type === 'incident.note')?.data).toMatchObject({ text: 'checked the *auth logs*:  nothing else' });
    const [row] = await bed.engine.db.query<{ assignee: string; status: string }[]>(`SELECT assignee, status FROM incidents WHERE id = $1`, [run.incidentId]);
    expect(row).toEqual({ assignee: 'bob', status: 'acknowledged' });
    await stop(run);
  }, 60_000);

  it('resolves with /palisade resolve <id> <classification> <reason> and cancels with /palisade cancel as the Slack user’s person; a viewer is refused', async () => {
    const entity = await host('production');
    const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity });
    await gateMessage(bed.slack, run.incidentId, 'isolate-host');
    const slash = async (user: string, text: string) => (await postToSlackEndpoint(bed.engine.baseUrl, slashCommandBody({ user, text }))).json;

    expect((await slash(SLACK_USERS.victor.id, `resolve ${run.incidentId} false_positive scanner`)).text).toMatch(/needs the responder role.*victor has viewer/);
    expect((await slash(SLACK_USERS.carol.id, `resolve ${run.incidentId} maybe a scanner`)).text).toMatch(/`maybe` is not a classification: expected one of true_positive, benign_true_positive, false_positive, duplicate, test/);
    expect((await slash(SLACK_USERS.carol.id, `resolve ${run.incidentId} false_positive`)).text).toContain('Usage: `/palisade resolve <incident-id> <classification> <reason>`');
    expect((await slash(SLACK_USERS.carol.id, `cancel ${run.incidentId}`)).text).toContain('Usage: `/palisade cancel <incident-id> <reason>`');
    expect((await slash(SLACK_USERS.carol.id, `resolve ${run.incidentId} benign_true_positive red team exercise RT-12`)).text).toMatch(/^Resolving/);
    await incidentStatus(bed.engine, run.incidentId, 'resolved');
    const [row] = await bed.engine.db.query<Record<string, string>[]>(`SELECT classification, classification_reason, classified_by FROM incidents WHERE id = $1`, [run.incidentId]);
    expect(row).toEqual({ classification: 'benign_true_positive', classification_reason: 'red team exercise RT-12', classified_by: 'carol' });
    expect((await slash(SLACK_USERS.carol.id, `resolve ${run.incidentId} test again`)).text).toMatch(/already resolved/);

    // Cancelled before anything was isolated: nothing to undo, a false positive unless said otherwise.
    const other = await startRun(bed.client, bed.engine, 'host-compromise', { entity: await host('production') });
    await gateMessage(bed.slack, other.incidentId, 'isolate-host');
    expect((await slash(SLACK_USERS.victor.id, `cancel ${other.incidentId} noise`)).text).toMatch(/needs the responder role/);
    expect((await slash(SLACK_USERS.alice.id, `cancel ${other.incidentId} the scanner again`)).text).toMatch(/^Cancelling/);
    await incidentStatus(bed.engine, other.incidentId, 'cancelled');
    const [cancelled] = await bed.engine.db.query<Record<string, string>[]>(`SELECT classification, classified_by FROM incidents WHERE id = $1`, [other.incidentId]);
    expect(cancelled).toEqual({ classification: 'false_positive', classified_by: 'alice' });
  }, 90_000);

  it('the incident post carries Acknowledge and Take it buttons: a click acts as the clicker’s person, a viewer is refused, and the buttons go once the incident is closed', async () => {
    const entity = await host('production');
    const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity });
    await gateMessage(bed.slack, run.incidentId, 'isolate-host');
    // The incident's own post (runbooks/paging.yaml post: #sec-incidents), not the gate's request.
    const call = await bed.slack.waitFor('the incident post', (c) => c.method === 'chat.postMessage' && c.args.metadata?.event_type === 'palisade_incident' && c.args.metadata?.event_payload?.incidentId === run.incidentId, 30_000);
    const post = { call, channel: call.response!.channel, ts: call.response!.ts, blocks: call.args.blocks };
    expect(button(post, SlackActionId.IncidentAcknowledge).value).toBe(run.incidentId);
    expect(button(post, SlackActionId.IncidentTake).value).toBe(run.incidentId);
    const answer = async (user: string, actionId: SlackActionId) => {
      const since = Date.now();
      expect((await click(bed.engine, post, user, actionId)).status).toBe(200);
      return ephemeralFor(bed.slack, user, since);
    };

    expect(await answer(SLACK_USERS.victor.id, SlackActionId.IncidentAcknowledge)).toMatch(/needs the responder role.*victor has viewer/);
    expect(await answer(SLACK_USERS.erin.id, SlackActionId.IncidentTake)).toMatch(/does not know <@U0ERIN001>/);
    expect(await answer(SLACK_USERS.carol.id, SlackActionId.IncidentAcknowledge)).toMatch(/^Acknowledged by you/);
    // The acknowledgement goes to the post's thread too (the paging outbox).
    await bed.slack.waitFor('the acknowledgement in the thread', (c) => c.method === 'chat.postMessage' && c.args.thread_ts === post.ts && /^Acknowledged by carol/.test(String(c.args.text)), 30_000);
    expect(await answer(SLACK_USERS.bob.id, SlackActionId.IncidentTake)).toBe('It is yours now.');

    const events = await timeline(bed.engine, run.incidentId);
    expect(events.filter((e) => e.type === 'incident.acknowledged' || e.type === 'incident.assigned').map((e) => [e.type, e.actor])).toEqual([
      ['incident.acknowledged', 'carol'],
      ['incident.assigned', 'bob'],
    ]);
    const [row] = await bed.engine.db.query<{ assignee: string; status: string }[]>(`SELECT assignee, status FROM incidents WHERE id = $1`, [run.incidentId]);
    expect(row).toEqual({ assignee: 'bob', status: 'acknowledged' });

    await stop(run);
    const closed = await bed.slack.waitFor('the post updated to resolved', (c) => c.method === 'chat.update' && c.args.ts === post.ts && /: resolved ·/.test(String(c.args.text)), 30_000);
    expect(JSON.stringify(closed.args.blocks)).toContain(run.incidentId);
    expect(JSON.stringify(closed.args.blocks)).not.toContain(SlackActionId.IncidentAcknowledge);
  }, 90_000);

  it('answers /palisade pending with the gates waiting on the caller, and /palisade status with where an incident stands', async () => {
    const entity = await host('production');
    const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity, requestedBy: 'alice' });
    await gateMessage(bed.slack, run.incidentId, 'isolate-host');

    const pendingFor = async (user: string) => (await postToSlackEndpoint(bed.engine.baseUrl, slashCommandBody({ user, text: 'pending' }))).json;
    const bobs = await pendingFor(SLACK_USERS.bob.id);
    expect(bobs).toMatchObject({ response_type: 'ephemeral' });
    expect(bobs.text).toContain(`Isolate production-${entity.key}`);
    // alice asked for it (four-eyes) and carol may not approve: nothing waits on them here.
    expect((await pendingFor(SLACK_USERS.alice.id)).text).not.toContain(entity.key);
    expect((await pendingFor(SLACK_USERS.carol.id)).text).not.toContain(entity.key);

    const status = (await postToSlackEndpoint(bed.engine.baseUrl, slashCommandBody({ user: SLACK_USERS.carol.id, text: `status ${run.incidentId}` }))).json;
    expect(status.text).toContain('responding');
    expect(status.text).toContain(`Isolate production-${entity.key}*: 0 of 1 approvals`);
    expect((await postToSlackEndpoint(bed.engine.baseUrl, slashCommandBody({ user: SLACK_USERS.carol.id, text: 'help' }))).json.text).toContain('Usage');
    await stop(run);
  }, 60_000);
});
