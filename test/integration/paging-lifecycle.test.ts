import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, getJson, postJson, startTestEngine, tokenFor, TEST_ADMIN_TOKEN, TRIAGE_ROUTING, type TestEngine } from '../support/engine';
import { FakeJira } from '../support/vendors/jira';
import { FakePagerDuty } from '../support/vendors/pagerduty';
import { openIncident as openIncidentAt, pagingProvidersFile, resolveWhenRunning } from '../support/vendors/paging-files';
import { genericAlert, post } from '../support/webhooks';

const PRIMARY_KEY = 'R0UTINGKEYPRIMARY000000000000AA';
const BACKUP_KEY = 'R0UTINGKEYBACKUP0000000000000BB';
/** A key PagerDuty does not know: every event to it is refused with 400. */
const WRONG_KEY = 'R0UTINGKEYWRONG00000000000000CC';
const JIRA_WEBHOOK_SECRET = 'jira-webhook-secret-0123456789';

interface Event {
  type: string;
  summary: string;
  actor: string;
  data: Record<string, unknown>;
}

/**
 * A page's way through its policy's channels, and the incident's lifecycle mirrored to its
 * page and ticket: real Temporal, real Postgres, the API's outbox sender, PagerDuty and Jira on
 * loopback. Every incident runs the triage playbook.
 */
describe('paging fallback and lifecycle', () => {
  let engine: TestEngine;
  const pd = new FakePagerDuty([PRIMARY_KEY, BACKUP_KEY]);
  const jira = new FakeJira();

  beforeAll(async () => {
    await pd.start();
    await jira.start();
    const dir = mkdtempSync(path.join(tmpdir(), 'palisade-paging-lifecycle-'));
    const providers = pagingProvidersFile(dir, { paging: 'pagerduty', ticketing: 'jira' }, [
      `pagerduty: { eventsUrl: "${pd.url}", timeoutMs: 2000, services: { secops-primary: { routingKeyEnv: PD_PRIMARY }, secops-backup: { routingKeyEnv: PD_BACKUP }, secops-wrong: { routingKeyEnv: PD_WRONG } } }`,
      `jira: { baseUrl: "${jira.url}", email: "${jira.email}", apiTokenEnv: JIRA_TOKEN, webhookSecretEnv: JIRA_WEBHOOK_SECRET, timeoutMs: 1000 }`,
    ]);
    const paging = path.join(dir, 'paging.yaml');
    writeFileSync(
      paging,
      [
        'policies:',
        '  - name: critical-compromise',
        '    match: { category: host-compromise, minSeverity: critical }',
        '    page: [{ service: secops-primary, fallbackAfter: 1s }, { via: pagerduty, service: secops-backup }]',
        '  - name: page-compromise',
        '    match: { category: host-compromise }',
        '    page: [{ service: secops-wrong }, { service: secops-backup }]',
        '  - { name: ticket-drift, match: { category: config-drift }, ticket: { project: SEC } }',
      ].join('\n'),
    );
    engine = await startTestEngine({
      env: { ...TRIAGE_ROUTING, PALISADE_PROVIDERS_FILE: providers, PALISADE_PAGING_FILE: paging, PD_PRIMARY: PRIMARY_KEY, PD_BACKUP: BACKUP_KEY, PD_WRONG: WRONG_KEY, JIRA_TOKEN: jira.apiToken, JIRA_WEBHOOK_SECRET },
    });
  }, 120_000);

  afterAll(async () => {
    await engine?.close();
    await pd.close();
    await jira.close();
  });

  async function timeline(incidentId: string): Promise<Event[]> {
    return (await getJson(`${engine.baseUrl}/incidents/${incidentId}/timeline?limit=200`)).body.events as Event[];
  }

  const openIncident = (alert: Record<string, unknown>) => openIncidentAt(engine.baseUrl, alert);
  const resolve = (incidentId: string, reason: string) => resolveWhenRunning(engine.baseUrl, incidentId, reason);

  const pagesOf = (incidentId: string) => pd.alerts.filter((a) => a.dedupKey === incidentId);

  it('a page PagerDuty refuses (400) is on the timeline as refused and goes to the next channel, paging it exactly once', async () => {
    const incidentId = await openIncident(genericAlert(`refused-${randomUUID().slice(0, 6)}`, { title: 'Refused page' }));
    const backup = await eventually('paged through the backup channel', async () => pagesOf(incidentId).find((a) => a.routingKey === BACKUP_KEY), 60_000);
    expect(backup.triggers).toBe(1);
    // The sender writes notice.sent once PagerDuty has answered: after the fake has the page.
    const events = await eventually('the backup page on the timeline', async () => {
      const all = await timeline(incidentId);
      return all.some((e) => e.type === 'notice.sent') ? all : undefined;
    }, 30_000);
    const failed = events.filter((e) => e.type === 'notice.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].summary).toMatch(/refused.*secops-wrong[\s\S]*falling back to pagerduty secops-backup/i);
    expect(failed[0].data).toMatchObject({ target: 'secops-wrong', outcome: 'refused', fallback: { vendor: 'pagerduty', target: 'secops-backup' } });
    expect(events.filter((e) => e.type === 'notice.sent').map((e) => e.summary).join('\n')).toMatch(/Paged secops-backup through pagerduty/);
    await resolve(incidentId, 'false alarm');
    await eventually('backup page resolved', async () => (pagesOf(incidentId).every((a) => a.status === 'resolved') ? true : undefined), 60_000);
    // Nobody paged twice: one alert for the incident in PagerDuty, on the backup service, triggered once.
    expect(pagesOf(incidentId)).toHaveLength(1);
    expect(pd.triggers().filter((t) => (t as { dedup_key?: string; routing_key?: string }).dedup_key === incidentId && (t as { routing_key?: string }).routing_key === BACKUP_KEY)).toHaveLength(1);
  }, 120_000);

  it('a channel that accepts nothing past its fallbackAfter (PagerDuty down) is recorded as down and the next channel gets the page once', async () => {
    pd.fail('5xx', { times: 1_000_000 });
    try {
      const incidentId = await openIncident(genericAlert(`down-${randomUUID().slice(0, 6)}`, { title: 'Outage page', severity: 'critical' }));
      const failed = await eventually('primary given up', async () => (await timeline(incidentId)).find((e) => e.type === 'notice.failed'), 60_000);
      expect(failed.summary).toMatch(/did not accept the page to secops-primary within 1 s[\s\S]*falling back to pagerduty secops-backup/i);
      expect(failed.data).toMatchObject({ target: 'secops-primary', outcome: 'down' });
      pd.heal();
      await eventually('paged through the backup channel', async () => pagesOf(incidentId).find((a) => a.routingKey === BACKUP_KEY), 60_000);
      // The primary is not paged once PagerDuty is back: its trigger was given up.
      await resolve(incidentId, 'contained by hand');
      await eventually('backup page resolved', async () => (pagesOf(incidentId).every((a) => a.status === 'resolved') ? true : undefined), 60_000);
      expect(pagesOf(incidentId)).toHaveLength(1);
      expect(pagesOf(incidentId)[0]).toMatchObject({ routingKey: BACKUP_KEY, triggers: 1 });
    } finally {
      pd.heal();
    }
  }, 120_000);

  it('acknowledging in Palisade acknowledges the page in PagerDuty, with who and when on the timeline and in the postmortem', async () => {
    const incidentId = await openIncident(genericAlert(`ack-${randomUUID().slice(0, 6)}`, { title: 'Ack in Palisade', severity: 'critical' }));
    await eventually('paged', async () => (pagesOf(incidentId)[0]?.status === 'triggered' ? true : undefined), 60_000);
    const dana = await tokenFor(engine.baseUrl, 'dana', 'responder');
    const viewer = await tokenFor(engine.baseUrl, 'vic', 'viewer');
    expect((await postJson(`${engine.baseUrl}/incidents/${incidentId}/acknowledge`, {}, viewer)).status).toBe(403);
    const ack = await postJson(`${engine.baseUrl}/incidents/${incidentId}/acknowledge`, { note: 'on it' }, dana);
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ incidentId, acknowledgedBy: 'dana', pages: 1 });
    await eventually('PagerDuty acknowledged', async () => (pagesOf(incidentId)[0]?.status === 'acknowledged' ? true : undefined), 60_000);
    const events = await eventually('acknowledge sent on the timeline', async () => {
      const all = await timeline(incidentId);
      return all.some((e) => e.type === 'notice.sent' && /Acknowledged the pagerduty page/.test(e.summary)) ? all : undefined;
    }, 30_000);
    expect(events.find((e) => e.type === 'incident.acknowledged')).toMatchObject({ actor: 'dana', summary: expect.stringContaining('on it') });
    // A second acknowledge changes nothing and sends nothing.
    const again = await postJson(`${engine.baseUrl}/incidents/${incidentId}/acknowledge`, {}, TEST_ADMIN_TOKEN);
    expect(again.body).toMatchObject({ incidentId, acknowledgedBy: 'dana', pages: 0 });
    const pm = await fetch(`${engine.baseUrl}/incidents/${incidentId}/postmortem?format=md`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(await pm.text()).toMatch(/pagerduty.*secops-primary.*dana/);
    const unknown = await postJson(`${engine.baseUrl}/incidents/${randomUUID()}/acknowledge`, {}, dana);
    expect(unknown.status).toBe(404);
    expect(pd.calls('POST', '/v2/enqueue').filter((r) => JSON.parse(r.body).event_action === 'acknowledge' && JSON.parse(r.body).dedup_key === incidentId)).toHaveLength(1);
  }, 120_000);

  it('a Jira transition to done comes back by a signed webhook: recorded on the timeline, the incident not resolved; a wrong signature is 401', async () => {
    const resource = `sg-${randomUUID().slice(0, 6)}`;
    const incidentId = await openIncident({ title: `Security group ${resource} drifted`, severity: 'medium', category: 'config-drift', entity: { kind: 'resource', key: resource } });
    const issue = await eventually('ticket opened', async () => jira.issues.find((i) => i.labels.includes(`palisade-incident-${incidentId}`)), 60_000);
    const body = JSON.stringify({
      timestamp: Date.now(),
      webhookEvent: 'jira:issue_updated',
      issue_event_type_name: 'issue_generic',
      user: { accountId: '5b10ac8d82e05b22cc7d4ef5', displayName: 'Erin Analyst', active: true },
      issue: { id: issue.id, key: issue.key, fields: { summary: issue.summary, labels: issue.labels, status: { name: 'Done', statusCategory: { key: 'done' } } } },
      changelog: { id: '10400', items: [{ field: 'status', fieldtype: 'jira', fieldId: 'status', from: '10000', fromString: 'To Do', to: '10001', toString: 'Done' }] },
    });
    const sign = (secret: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const headers = (sig: string) => ({ 'content-type': 'application/json', 'x-hub-signature': sig, 'x-atlassian-webhook-identifier': `wh-${randomUUID()}` });

    const forged = await post(`${engine.baseUrl}/webhooks/paging/jira`, body, headers(sign('not-the-secret')));
    expect(forged.status).toBe(401);
    expect(forged.body).toMatchObject({ error: 'invalid_signature', message: expect.any(String), hint: expect.any(String) });
    const unsigned = await post(`${engine.baseUrl}/webhooks/paging/jira`, body, { 'content-type': 'application/json' });
    expect(unsigned.status).toBe(401);

    const right = await post(`${engine.baseUrl}/webhooks/paging/jira`, body, headers(sign(JIRA_WEBHOOK_SECRET)));
    expect(right.status).toBe(200);
    expect(right.body).toMatchObject({ recorded: true, incidentId });
    const event = (await timeline(incidentId)).find((e) => e.actor === 'jira:Erin Analyst');
    expect(event?.summary).toMatch(new RegExp(`${issue.key} moved from To Do to Done in Jira by Erin Analyst.*not resolved`));
    const incident = await getJson(`${engine.baseUrl}/incidents/${incidentId}`);
    expect(['open', 'responding', 'acknowledged', 'contained']).toContain(incident.body.status);
    await resolve(incidentId, 'reverted');
  }, 120_000);
});
