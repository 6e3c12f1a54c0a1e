import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, getJson, postJson, startTestEngine, TRIAGE_ROUTING, type TestEngine } from '../support/engine';
import { FakeSlack } from '../support/fake-slack';
import { timelineOf } from '../support/timeline';
import { slackEnv } from '../support/slack';
import { openIncident as openIncidentAt, pagingProvidersFile, resolveWhenRunning } from '../support/vendors/paging-files';
import { genericAlert } from '../support/webhooks';

const CHANNEL = '#sec-incidents';
const CHANNEL_ID = FakeSlack.channelId(CHANNEL);

/**
 * The incident's Slack post (runbooks/paging.yaml `post:`): one message per incident through the
 * paging outbox, its status updated, its milestones in its thread. Real Temporal, real Postgres,
 * the API's outbox sender, Slack's Web API on loopback. Every incident runs the triage playbook.
 */
describe('the Slack incident post', () => {
  let engine: TestEngine;
  const slack = new FakeSlack();

  beforeAll(async () => {
    await slack.start();
    const dir = mkdtempSync(path.join(tmpdir(), 'palisade-slack-post-'));
    const providers = pagingProvidersFile(dir, {}, []);
    const paging = path.join(dir, 'paging.yaml');
    writeFileSync(
      paging,
      [
        'policies:',
        `  - { name: post-compromise, match: { category: host-compromise }, post: { channel: '${CHANNEL}' } }`,
        // By id: conversations.history (how a lost answer's post is found again) takes ids only.
        `  - { name: post-leaks, match: { category: secret-leak }, post: { channel: ${CHANNEL_ID} } }`,
      ].join('\n'),
    );
    engine = await startTestEngine({ env: { ...TRIAGE_ROUTING, ...slackEnv(slack), PALISADE_PROVIDERS_FILE: providers, PALISADE_PAGING_FILE: paging } });
  }, 120_000);

  afterAll(async () => {
    await engine?.close();
    await slack.close();
  });

  const openIncident = (alert: Record<string, unknown>) => openIncidentAt(engine.baseUrl, alert);
  const host = (what: string) => `${what}-${randomUUID().slice(0, 6)}`;
  /** Replies in the incident post's thread. */
  const threadOf = (ts: string) => slack.callsOf('chat.postMessage').filter((c) => c.args.thread_ts === ts);

  it('an alert storm on one host is posted once; acknowledge and resolve update the post and land in its thread', async () => {
    const entity = host('storm');
    const incidentId = await openIncident(genericAlert(entity, { title: 'Storm on one host' }));
    for (let batch = 0; batch < 10; batch += 1) {
      // Each alert its own body (the door refuses a signed request it already received).
      const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => openIncident(genericAlert(entity, { title: `Storm on one host (${batch * 20 + i + 1})` }))));
      expect(new Set(ids)).toEqual(new Set([incidentId]));
    }
    const [post] = await eventually('the incident posted to Slack', async () => (slack.postsFor(incidentId).length > 0 ? slack.postsFor(incidentId) : undefined), 60_000);
    const ts = String(post.ts);

    expect((await postJson(`${engine.baseUrl}/incidents/${incidentId}/acknowledge`, { note: 'on it' })).status).toBeLessThan(300);
    await eventually('the acknowledgement in the thread', async () => threadOf(ts).find((c) => /^Acknowledged by /.test(String(c.args.text))), 60_000);

    await resolveWhenRunning(engine.baseUrl, incidentId, 'storm handled');
    await eventually('the post updated to resolved', async () => slack.callsOf('chat.update').find((c) => c.args.ts === ts && /: resolved ·/.test(String(c.args.text))), 60_000);
    await eventually('the resolution in the thread', async () => threadOf(ts).find((c) => /^Resolved at .*postmortem/.test(String(c.args.text))), 60_000);

    expect(slack.postsFor(incidentId)).toHaveLength(1);
    const events = await timelineOf(engine.baseUrl, incidentId);
    expect(events.filter((e) => e.type === 'notice.sent' && /^Posted the incident to #sec-incidents in Slack/.test(e.summary))).toHaveLength(1);
    const postmortem = (await getJson(`${engine.baseUrl}/incidents/${incidentId}/postmortem?format=json`)).body;
    const notice = postmortem.notices.find((n: { vendor: string }) => n.vendor === 'slack');
    expect(notice).toMatchObject({ kind: 'chat', target: CHANNEL, status: 'resolved', externalId: `${FakeSlack.channelId(CHANNEL)}/${ts}` });
    expect(notice.externalUrl).toMatch(/^https:\/\/palisade-test\.slack\.com\/archives\//);
  }, 240_000);

  it('Slack down (5xx) holds no playbook up: the incident resolves meanwhile, and the post arrives once Slack is back', async () => {
    slack.fail('5xx', { method: 'chat.postMessage' });
    try {
      const incidentId = await openIncident(genericAlert(host('outage'), { title: 'Slack is down' }));
      await resolveWhenRunning(engine.baseUrl, incidentId, 'handled while Slack was down');
      await eventually('the incident resolved', async () => ((await getJson(`${engine.baseUrl}/incidents/${incidentId}`)).body.status === 'resolved' ? true : undefined), 60_000);
      await eventually('the post tried and refused by the outage', async () => slack.calls.find((c) => c.method === 'chat.postMessage' && c.fault === '5xx' && JSON.stringify(c.args).includes(incidentId)), 30_000);
      expect(slack.postsFor(incidentId)).toHaveLength(0);
      slack.recover();
      const [post] = await eventually('the post once Slack is back', async () => (slack.postsFor(incidentId).length > 0 ? slack.postsFor(incidentId) : undefined), 90_000);
      await eventually('the post updated to resolved', async () => slack.callsOf('chat.update').find((c) => c.args.ts === post.ts && /: resolved ·/.test(String(c.args.text))), 60_000);
      expect(slack.postsFor(incidentId)).toHaveLength(1);
    } finally {
      slack.recover();
    }
  }, 240_000);

  it('a post whose answer is lost is not posted again: the sender finds it in the channel (named by id)', async () => {
    slack.fail('lost', { method: 'chat.postMessage', times: 1 });
    try {
      const incidentId = await openIncident(genericAlert(host('lost'), { title: 'Answer lost', category: 'secret-leak' }));
      await eventually('the post recorded as sent', async () => (await timelineOf(engine.baseUrl, incidentId)).find((e) => e.type === 'notice.sent' && /^Posted the incident/.test(e.summary)), 60_000);
      expect(slack.calls.find((c) => c.method === 'chat.postMessage' && c.fault === 'lost')).toBeDefined();
      expect(slack.postsFor(incidentId)).toHaveLength(1);
    } finally {
      slack.recover();
    }
  }, 120_000);

  it('a bad token (invalid_auth) is refused for good and shown as notice.failed', async () => {
    slack.refuse('chat.postMessage', 'invalid_auth');
    try {
      const incidentId = await openIncident(genericAlert(host('badtoken'), { title: 'Bad Slack token' }));
      const failed = await eventually('notice.failed on the timeline', async () => (await timelineOf(engine.baseUrl, incidentId)).find((e) => e.type === 'notice.failed'), 60_000);
      expect(failed.summary).toMatch(/Slack post open refused by slack: .*invalid_auth/);
      expect(slack.postsFor(incidentId)).toHaveLength(0);
    } finally {
      slack.recover();
    }
  }, 120_000);
});
