import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, getJson, startTestEngine, TEST_ADMIN_TOKEN, TRIAGE_ROUTING, type TestEngine } from '../support/engine';
import { openIncident as open, PAGE_COMPROMISE_TICKET_DRIFT, pagingRunbooks, resolveIncident } from '../support/paging';
import { FakeJira } from '../support/vendors/jira';
import { FakePagerDuty } from '../support/vendors/pagerduty';
import { genericAlert, post, sendGeneric } from '../support/webhooks';

const ROUTING_KEY = 'R0UTINGKEY00000000000000000000AA';
const WEBHOOK_SECRET = 'pd-webhook-secret-0123456789';

/**
 * Pages and tickets end to end: real Temporal, real Postgres, the API's outbox sender, and
 * PagerDuty and Jira on loopback. Every incident here runs the triage playbook (light); the
 * paging policy pages host compromises and tickets config drift.
 */
describe('paging and tickets', () => {
  let engine: TestEngine;
  const pd = new FakePagerDuty([ROUTING_KEY]);
  const jira = new FakeJira();

  beforeAll(async () => {
    await pd.start();
    await jira.start();
    const { providers, paging } = pagingRunbooks(
      { paging: 'pagerduty', ticketing: 'jira' },
      [
        `pagerduty: { eventsUrl: "${pd.url}", services: { secops-oncall: { routingKeyEnv: PD_KEY } }, webhookSecretEnv: PD_WEBHOOK_SECRET }`,
        `jira: { baseUrl: "${jira.url}", email: "${jira.email}", apiTokenEnv: JIRA_TOKEN, timeoutMs: 1000 }`,
      ],
      PAGE_COMPROMISE_TICKET_DRIFT,
    );
    engine = await startTestEngine({
      env: { ...TRIAGE_ROUTING, PALISADE_PROVIDERS_FILE: providers, PALISADE_PAGING_FILE: paging, PD_KEY: ROUTING_KEY, PD_WEBHOOK_SECRET: WEBHOOK_SECRET, JIRA_TOKEN: jira.apiToken },
    });
  }, 120_000);

  afterAll(async () => {
    await engine?.close();
    await pd.close();
    await jira.close();
  });

  const openIncident = (alert: Record<string, unknown>) => open(engine.baseUrl, alert);
  const resolve = (incidentId: string, reason: string) => resolveIncident(engine.baseUrl, incidentId, reason);

  function signed(body: string, secret = WEBHOOK_SECRET) {
    return { 'content-type': 'application/json', 'x-pagerduty-signature': `v1=${createHmac('sha256', secret).update(body).digest('hex')}` };
  }

  function ackEvent(incidentId: string, who = 'Dana Oncall') {
    return JSON.stringify({
      event: {
        id: `01${randomUUID().replaceAll('-', '').slice(0, 24).toUpperCase()}`,
        event_type: 'incident.acknowledged',
        resource_type: 'incident',
        occurred_at: new Date().toISOString(),
        agent: { id: 'PUSER01', type: 'user_reference', summary: who, html_url: 'https://acme.pagerduty.com/users/PUSER01' },
        client: null,
        data: { id: 'PINC01', type: 'incident', status: 'acknowledged', incident_key: incidentId, html_url: 'https://acme.pagerduty.com/incidents/PINC01', title: 't' },
      },
    });
  }

  it('a storm of 5,000 alerts over 50 hosts sends at most 50 triggers, one per incident', async () => {
    const run = randomUUID().slice(0, 6);
    const hosts = Array.from({ length: 50 }, (_, h) => `storm-${run}-${h}`);
    const before = pd.triggers().length;
    // 100 alerts a delivery (2 per host), 50 deliveries: 5,000 alerts.
    // Five deliveries at a time: a busy machine resets connections when hundreds arrive at once.
    for (let d = 0; d < 50; d += 5) {
      const answers = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          sendGeneric(engine.baseUrl, hosts.flatMap((host) => [0, 1].map((k) => genericAlert(host, { id: `${d + i}-${k}` }))), { delivery: `${run}-${d + i}` }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(5).fill(202));
    }
    const incidents = await eventually('50 storm incidents paged', async () => {
      const rows = await engine.db.query<{ n: number; alerts: number }[]>(
        `SELECT count(*)::int AS n, sum(i.alert_count)::int AS alerts FROM incidents i JOIN paging_notices n ON n.incident_id = i.id AND n.sent_at IS NOT NULL WHERE i.entity LIKE $1`,
        [`host:storm-${run}-%`],
      );
      return rows[0].n === 50 ? rows[0] : undefined;
    }, 240_000);
    expect(incidents.n).toBe(50);
    // Trigger events sent (a retry after a lost answer would count here), and pages PagerDuty opened.
    const triggers = pd.triggers().length - before;
    expect(triggers).toBeGreaterThan(0);
    expect(triggers).toBeLessThanOrEqual(50);
    expect(new Set(pd.alerts.filter((a) => a.summary.includes(`storm-${run}`)).map((a) => a.dedupKey)).size).toBe(pd.alerts.filter((a) => a.summary.includes(`storm-${run}`)).length);
  }, 300_000);

  it('a PagerDuty outage neither blocks the playbook nor drops the page: it is sent when PagerDuty is back', async () => {
    pd.fail('5xx', { times: 3 });
    const incidentId = await openIncident(genericAlert(`outage-${randomUUID().slice(0, 6)}`, { title: 'Outage page' }));
    // The playbook goes on: it resolves while PagerDuty is still failing.
    await resolve(incidentId, 'reimaged');
    await eventually('incident resolved', async () => ((await getJson(`${engine.baseUrl}/incidents/${incidentId}`)).body.status === 'resolved' ? true : undefined), 60_000);
    await eventually('page triggered then resolved once PagerDuty answers', async () => (pd.open(incidentId)?.status === 'resolved' ? true : undefined), 60_000);
    // PagerDuty holds the resolve before the sender has written it down: wait for the timeline too.
    const sent = await eventually('resolve on the timeline', async () => {
      const timeline = await getJson(`${engine.baseUrl}/incidents/${incidentId}/timeline?limit=200`);
      const summaries = timeline.body.events.filter((e: { type: string }) => e.type === 'notice.sent').map((e: { summary: string }) => e.summary).join('\n');
      return /Resolved the pagerduty page/.test(summaries) ? summaries : undefined;
    }, 30_000);
    expect(sent).toMatch(/Paged secops-oncall through pagerduty[\s\S]*Resolved the pagerduty page/);
  }, 120_000);

  it('a drift alert opens one Jira ticket (not a page) even when the first create is lost, and resolving closes it', async () => {
    jira.loseNextCreateAnswer = true;
    const resource = `sg-${randomUUID().slice(0, 6)}`;
    const incidentId = await openIncident({ title: `Security group ${resource} drifted`, severity: 'medium', category: 'config-drift', entity: { kind: 'resource', key: resource } });
    const ticket = await eventually('ticket recorded', async () => {
      const [n] = await engine.db.query<{ external_id: string | null }[]>(`SELECT external_id FROM paging_notices WHERE incident_id = $1 AND vendor = 'jira'`, [incidentId]);
      return n?.external_id ?? undefined;
    }, 60_000);
    expect(jira.issues.filter((i) => i.labels.includes(`palisade-incident-${incidentId}`))).toHaveLength(1);
    expect(pd.open(incidentId)).toBeUndefined();
    await resolve(incidentId, 'reverted');
    await eventually('ticket done', async () => (jira.issues.find((i) => i.key === ticket)?.status === 'Done' ? true : undefined), 60_000);
  }, 120_000);

  it('a PagerDuty acknowledgement with a wrong signature is refused 401; a right one acknowledges, and the postmortem lists the page', async () => {
    const incidentId = await openIncident(genericAlert(`ack-${randomUUID().slice(0, 6)}`, { title: 'Ack me' }));
    await eventually('paged', async () => (pd.open(incidentId) ? true : undefined), 60_000);

    const body = ackEvent(incidentId);
    const forged = await post(`${engine.baseUrl}/webhooks/paging/pagerduty`, body, signed(body, 'not-the-secret'));
    expect(forged.status).toBe(401);
    expect(forged.body).toMatchObject({ error: 'invalid_signature', message: expect.any(String), hint: expect.any(String) });
    const [before] = await engine.db.query<{ acknowledged_by: string | null }[]>(`SELECT acknowledged_by FROM paging_notices WHERE incident_id = $1`, [incidentId]);
    expect(before.acknowledged_by).toBeNull();

    const right = await post(`${engine.baseUrl}/webhooks/paging/pagerduty`, body, signed(body));
    expect(right.status).toBe(200);
    expect(right.body).toMatchObject({ recorded: true, incidentId });
    const event = await eventually('acknowledged on the timeline', async () => {
      const t = await getJson(`${engine.baseUrl}/incidents/${incidentId}/timeline?limit=200`);
      return t.body.events.find((e: { type: string }) => e.type === 'notice.acknowledged');
    });
    expect(event).toMatchObject({ actor: 'pagerduty:Dana Oncall', summary: 'Page acknowledged in PagerDuty by Dana Oncall' });
    const incident = await getJson(`${engine.baseUrl}/incidents/${incidentId}`);
    expect(incident.body.acknowledgedAt).toEqual(expect.any(String));

    const pm = await fetch(`${engine.baseUrl}/incidents/${incidentId}/postmortem?format=md`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(pm.status).toBe(200);
    const text = await pm.text();
    expect(text).toContain('Pages and tickets');
    expect(text).toMatch(/pagerduty.*secops-oncall.*Dana Oncall/);
  }, 120_000);
});
