import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, getJson, postJson, startTestEngine, TRIAGE_ROUTING, type TestEngine } from '../support/engine';
import { FakeJira } from '../support/vendors/jira';
import { FakePagerDuty } from '../support/vendors/pagerduty';
import { genericAlert, sendGeneric } from '../support/webhooks';

const PRIMARY_KEY = 'R0UTINGKEYPRIMARY000000000000AA';
const BACKUP_KEY = 'R0UTINGKEYBACKUP0000000000000BB';
/** A key PagerDuty does not know: every event to it is refused with 400. */
const WRONG_KEY = 'R0UTINGKEYWRONG00000000000000CC';

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
    const providers = path.join(dir, 'providers.yaml');
    writeFileSync(
      providers,
      [
        'vendors: { inventory: simulated, hostIsolation: simulated, evidence: simulated, credentials: simulated, identity: simulated,',
        '  configBaseline: simulated, patching: simulated, metrics: simulated, notify: simulated, paging: pagerduty, ticketing: jira }',
        'settings:',
        `  pagerduty: { eventsUrl: "${pd.url}", timeoutMs: 2000, services: { secops-primary: { routingKeyEnv: PD_PRIMARY }, secops-backup: { routingKeyEnv: PD_BACKUP }, secops-wrong: { routingKeyEnv: PD_WRONG } } }`,
        `  jira: { baseUrl: "${jira.url}", email: "${jira.email}", apiTokenEnv: JIRA_TOKEN, timeoutMs: 1000 }`,
      ].join('\n'),
    );
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
      env: { ...TRIAGE_ROUTING, PALISADE_PROVIDERS_FILE: providers, PALISADE_PAGING_FILE: paging, PD_PRIMARY: PRIMARY_KEY, PD_BACKUP: BACKUP_KEY, PD_WRONG: WRONG_KEY, JIRA_TOKEN: jira.apiToken },
    });
  }, 120_000);

  afterAll(async () => {
    await engine?.close();
    await pd.close();
    await jira.close();
  });

  async function openIncident(alert: Record<string, unknown>): Promise<string> {
    const sent = await sendGeneric(engine.baseUrl, alert, { delivery: randomUUID() });
    expect(sent.status).toBe(202);
    return sent.body.incidentId as string;
  }

  async function timeline(incidentId: string): Promise<Event[]> {
    return (await getJson(`${engine.baseUrl}/incidents/${incidentId}/timeline?limit=200`)).body.events as Event[];
  }

  async function resolve(incidentId: string, reason: string): Promise<void> {
    await eventually('resolve accepted', async () => {
      const res = await postJson(`${engine.baseUrl}/incidents/${incidentId}/resolve`, { reason });
      return res.status === 202 ? true : undefined;
    }, 60_000);
  }

  const pagesOf = (incidentId: string) => pd.alerts.filter((a) => a.dedupKey === incidentId);

  it('a page PagerDuty refuses (400) is on the timeline as refused and goes to the next channel, paging it exactly once', async () => {
    const incidentId = await openIncident(genericAlert(`refused-${randomUUID().slice(0, 6)}`, { title: 'Refused page' }));
    const backup = await eventually('paged through the backup channel', async () => pagesOf(incidentId).find((a) => a.routingKey === BACKUP_KEY), 60_000);
    expect(backup.triggers).toBe(1);
    const events = await timeline(incidentId);
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
});
