import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidentLabel } from '../../activities/providers/ticketing/ticketing.provider';
import { eventually, getJson, startTestEngine, TRIAGE_ROUTING, type TestEngine } from '../support/engine';
import { openIncident as open, PAGE_COMPROMISE_TICKET_DRIFT, pagingRunbooks, resolveIncident } from '../support/paging';
import { timelineOf } from '../support/timeline';
import { FakeGitHub } from '../support/vendors/github';
import { FakeOpsgenie } from '../support/vendors/opsgenie';
import { genericAlert, post, sendGeneric } from '../support/webhooks';

const WEBHOOK_SECRET = 'og-webhook-secret-0123456789';
const HEADER = 'X-Palisade-Webhook-Secret';
const REPO = 'acme/security-incidents';

/**
 * Opsgenie pages and GitHub issues end to end: real Temporal, real Postgres, the API's outbox
 * sender and webhook door, Opsgenie and GitHub on loopback. Every incident runs the triage
 * playbook; the policy pages host compromises and tickets config drift.
 */
describe('paging through Opsgenie, tickets in GitHub Issues', () => {
  let engine: TestEngine;
  const og = new FakeOpsgenie();
  const gh = new FakeGitHub();

  beforeAll(async () => {
    await og.start();
    await gh.start();
    gh.addRepository(REPO);
    const { providers, paging } = pagingRunbooks(
      { paging: 'opsgenie', ticketing: 'github-issues' },
      [
        `opsgenie: { baseUrl: "${og.baseUrl}", apiKeyEnv: OG_KEY, services: { secops-oncall: { responders: [{ type: team, name: SecOps }] } }, webhookSecretEnv: OG_WEBHOOK_SECRET }`,
        `github-issues: { baseUrl: "${gh.url}", tokenEnv: GH_ISSUES_TOKEN, repositories: { SEC: ${REPO} } }`,
      ],
      PAGE_COMPROMISE_TICKET_DRIFT,
    );
    engine = await startTestEngine({
      env: { ...TRIAGE_ROUTING, PALISADE_PROVIDERS_FILE: providers, PALISADE_PAGING_FILE: paging, OG_KEY: og.apiKey, OG_WEBHOOK_SECRET: WEBHOOK_SECRET, GH_ISSUES_TOKEN: gh.token },
    });
  }, 120_000);

  afterAll(async () => {
    await engine?.close();
    await og.close();
    await gh.close();
  });

  const openIncident = (alert: Record<string, unknown>) => open(engine.baseUrl, alert);
  const resolve = (incidentId: string, reason: string) => resolveIncident(engine.baseUrl, incidentId, reason);
  const timeline = (incidentId: string) => timelineOf(engine.baseUrl, incidentId);

  function webhook(body: string, secret?: string) {
    return post(`${engine.baseUrl}/webhooks/paging/opsgenie`, body, { 'content-type': 'application/json', ...(secret === undefined ? {} : { [HEADER]: secret }) });
  }

  it('an incident pages Opsgenie once; an acknowledge webhook without the right secret is 401, with it the incident is acknowledged by who did it; resolving closes the alert', async () => {
    const host = `og-${randomUUID().slice(0, 6)}`;
    const incidentId = await openIncident(genericAlert(host, { title: 'Opsgenie page' }));
    const merged = await sendGeneric(engine.baseUrl, genericAlert(host, { title: 'Opsgenie page, again' }), { delivery: randomUUID() });
    expect(merged.body.incidentId).toBe(incidentId);
    const alert = await eventually('Opsgenie alert created', async () => og.byAlias(incidentId), 60_000);
    expect(alert).toMatchObject({ status: 'open', priority: 'P2', responders: [{ type: 'team', name: 'SecOps' }] });
    await eventually('page on the timeline as sent', async () => (await timeline(incidentId)).find((e) => e.type === 'notice.sent'), 30_000);
    expect(og.creates().filter((r) => JSON.parse(r.body).alias === incidentId)).toHaveLength(1);

    const body = og.webhookBody('Acknowledge', incidentId, 'dana@example.com');
    const missing = await webhook(body);
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ error: 'missing_token', message: expect.any(String), hint: expect.any(String) });
    const wrong = await webhook(body, 'not-the-secret');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ error: 'invalid_token', message: expect.stringContaining(HEADER), hint: expect.any(String) });
    const [before] = await engine.db.query<{ acknowledged_by: string | null }[]>(`SELECT acknowledged_by FROM paging_notices WHERE incident_id = $1`, [incidentId]);
    expect(before.acknowledged_by).toBeNull();

    const right = await webhook(body, WEBHOOK_SECRET);
    expect(right.status).toBe(200);
    expect(right.body).toMatchObject({ recorded: true, incidentId, event: 'Acknowledge' });
    // Opsgenie redelivering the same action adds nothing.
    expect((await webhook(body, WEBHOOK_SECRET)).status).toBe(200);
    const acked = (await timeline(incidentId)).filter((e) => e.type === 'notice.acknowledged');
    expect(acked).toEqual([expect.objectContaining({ actor: 'opsgenie:dana@example.com', summary: 'Page acknowledged in Opsgenie by dana@example.com' })]);
    const [notice] = await engine.db.query<{ acknowledged_by: string | null }[]>(`SELECT acknowledged_by FROM paging_notices WHERE incident_id = $1`, [incidentId]);
    expect(notice.acknowledged_by).toBe('dana@example.com');
    expect((await getJson(`${engine.baseUrl}/incidents/${incidentId}`)).body.acknowledgedAt).toEqual(expect.any(String));

    await resolve(incidentId, 'reimaged');
    await eventually('Opsgenie alert closed', async () => (og.byAlias(incidentId)?.status === 'closed' ? true : undefined), 60_000);
    expect(og.byAlias(incidentId)?.closedBy).toBe('Palisade');
    // Palisade's own close coming back by webhook is not someone else's action.
    expect((await webhook(og.webhookBody('Close', incidentId, 'Palisade'), WEBHOOK_SECRET)).body).toMatchObject({ recorded: false });
  }, 180_000);

  it('Opsgenie throttling (429) and an outage (5xx) delay the page without dropping it; bad credentials are refused once and said on the timeline', async () => {
    og.fail('429');
    og.fail('5xx', { times: 2 });
    const late = await openIncident(genericAlert(`og-late-${randomUUID().slice(0, 6)}`, { title: 'Late page' }));
    await eventually('page sent once Opsgenie answers', async () => og.byAlias(late), 60_000);
    const sent = await eventually('late page on the timeline', async () => (await timeline(late)).find((e) => e.type === 'notice.sent'), 30_000);
    expect(sent.summary).toContain('Paged secops-oncall through opsgenie');

    og.fail('denied');
    const refused = await openIncident(genericAlert(`og-denied-${randomUUID().slice(0, 6)}`, { title: 'Refused page' }));
    const failed = await eventually('refusal on the timeline', async () => (await timeline(refused)).find((e) => e.type === 'notice.failed'), 60_000);
    expect(failed.summary).toMatch(/refused by opsgenie.*Denied/);
    expect(og.byAlias(refused)).toBeUndefined();
    expect(og.creates().filter((r) => JSON.parse(r.body).alias === refused)).toHaveLength(1);
  }, 180_000);

  it('a drift alert opens one GitHub issue even when the create is made and its answer lost; resolving closes it as completed with the postmortem link', async () => {
    gh.loseNextCreateAnswer = '5xx';
    const resource = `sg-${randomUUID().slice(0, 6)}`;
    const incidentId = await openIncident({ title: `Security group ${resource} drifted`, severity: 'medium', category: 'config-drift', entity: { kind: 'resource', key: resource } });
    const key = await eventually('ticket recorded', async () => {
      const [n] = await engine.db.query<{ external_id: string | null }[]>(`SELECT external_id FROM paging_notices WHERE incident_id = $1 AND vendor = 'github-issues'`, [incidentId]);
      return n?.external_id ?? undefined;
    }, 60_000);
    const issues = gh.labelled(REPO, incidentLabel(incidentId));
    expect(issues).toHaveLength(1);
    expect(key).toBe(`${REPO}#${issues[0].number}`);
    expect((await timeline(incidentId)).map((e) => e.summary).join('\n')).toContain(`Found ticket ${key}`);
    expect(og.byAlias(incidentId)).toBeUndefined();

    await resolve(incidentId, 'reverted');
    await eventually('issue closed', async () => (issues[0].state === 'closed' ? true : undefined), 60_000);
    expect(issues[0].state_reason).toBe('completed');
    expect(gh.comments.get(key)?.at(-1)).toContain(`/incidents/${incidentId}/postmortem`);
    expect(gh.labelled(REPO, incidentLabel(incidentId))).toHaveLength(1);
  }, 180_000);
});
