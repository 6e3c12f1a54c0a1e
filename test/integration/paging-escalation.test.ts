import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, getJson, postJson, startTestEngine, TEST_ADMIN_TOKEN, type TestEngine } from '../support/engine';
import { FakePagerDuty } from '../support/vendors/pagerduty';
import { pagingProvidersFile } from '../support/vendors/paging-files';
import { genericAlert, sendGeneric } from '../support/webhooks';

const ONCALL_KEY = 'R0UTINGKEYONCALL00000000000000AA';
const LEADS_KEY = 'R0UTINGKEYLEADS000000000000000BB';

/**
 * An approval gate nobody decides escalates, and its tier pages a PagerDuty service of its own
 * through the paging outbox: real Temporal and Postgres, the host-compromise playbook on the
 * simulated fleet, PagerDuty on loopback.
 */
describe('escalation tiers of approval gates page', () => {
  let engine: TestEngine;
  const pd = new FakePagerDuty([ONCALL_KEY, LEADS_KEY]);

  beforeAll(async () => {
    await pd.start();
    const dir = mkdtempSync(path.join(tmpdir(), 'palisade-paging-escalation-'));
    const providers = pagingProvidersFile(dir, { paging: 'pagerduty' }, [
      `pagerduty: { eventsUrl: "${pd.url}", services: { secops-oncall: { routingKeyEnv: PD_ONCALL }, secops-leads: { routingKeyEnv: PD_LEADS } } }`,
    ]);
    const paging = path.join(dir, 'paging.yaml');
    writeFileSync(paging, ['policies:', '  - { name: page-compromise, match: { playbook: host-compromise }, page: { service: secops-oncall } }'].join('\n'));
    const approvals = path.join(dir, 'approvals.yaml');
    writeFileSync(
      approvals,
      [
        'defaults:',
        '  approvers: { roles: [approver] }',
        '  quorum: 1',
        '  criticalQuorum: 2',
        '  fourEyes: true',
        '  timeout: 1s',
        '  escalation:',
        '    - { notify: secops-leads, timeout: 10m, page: { service: secops-leads } }',
        '  fallback: deny',
        '  page: secops-oncall',
      ].join('\n'),
    );
    engine = await startTestEngine({ env: { PALISADE_PROVIDERS_FILE: providers, PALISADE_PAGING_FILE: paging, PALISADE_APPROVALS_FILE: approvals, PD_ONCALL: ONCALL_KEY, PD_LEADS: LEADS_KEY } });
  }, 120_000);

  afterAll(async () => {
    await engine?.close();
    await pd.close();
  });

  it('a tier that names a page pages that service once through the outbox, on the timeline when PagerDuty took it, and resolves with the incident', async () => {
    const host = `esc-${randomUUID().slice(0, 6)}`;
    const sent = await sendGeneric(engine.baseUrl, genericAlert(host, { title: `Reverse shell on ${host}` }), { delivery: randomUUID() });
    expect(sent.status).toBe(202);
    const incidentId = sent.body.incidentId as string;
    const leads = await eventually('the leads paged by the escalation', async () => pd.alerts.find((a) => a.dedupKey === incidentId && a.routingKey === LEADS_KEY), 90_000);
    expect(leads.triggers).toBe(1);
    const paged = await eventually('the page on the timeline', async () => {
      const t = await getJson(`${engine.baseUrl}/incidents/${incidentId}/timeline?limit=200`);
      return (t.body.events as { type: string; summary: string }[]).find((e) => e.type === 'notice.sent' && e.summary.includes('secops-leads'));
    }, 30_000);
    expect(paged.summary).toMatch(/^Paged secops-leads through pagerduty for the escalation of gate isolate-host \(tier 1\)/);

    expect((await postJson(`${engine.baseUrl}/incidents/${incidentId}/resolve`, { classification: 'false_positive', reason: 'false positive' })).status).toBe(202);
    await eventually('both pages resolved', async () => {
      const mine = pd.alerts.filter((a) => a.dedupKey === incidentId);
      return mine.length === 2 && mine.every((a) => a.status === 'resolved') ? true : undefined;
    }, 60_000);
    // Once per gate and tier: one trigger to the leads' service for this incident.
    const toLeads = pd.calls('POST', '/v2/enqueue').map((r) => JSON.parse(r.body) as { routing_key: string; event_action: string; dedup_key: string });
    expect(toLeads.filter((e) => e.routing_key === LEADS_KEY && e.event_action === 'trigger' && e.dedup_key === incidentId)).toHaveLength(1);
    // PagerDuty holds the resolves before the sender has written them down: wait for the record too.
    const text = await eventually('both resolves recorded', async () => {
      const pm = await fetch(`${engine.baseUrl}/incidents/${incidentId}/postmortem?format=md`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
      const md = await pm.text();
      return (md.match(/\| pagerduty \| page \| secops-\S+ \| resolved \|/g) ?? []).length === 2 ? md : undefined;
    }, 30_000);
    expect(text).toMatch(/\| pagerduty \| page \| secops-oncall \| resolved \|/);
    expect(text).toMatch(/\| pagerduty \| page \| secops-leads \| resolved \|/);
  }, 180_000);
});
