import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, getJson, patchJson, postJson, startTestEngine, tokenFor, TRIAGE_ROUTING, type TestEngine } from '../support/engine';
import { openIncident, PAGE_COMPROMISE_TICKET_DRIFT, pagingRunbooks } from '../support/paging';
import { timelineOf } from '../support/timeline';
import { FakeJira } from '../support/vendors/jira';
import { post } from '../support/webhooks';

const JIRA_WEBHOOK_SECRET = 'jira-webhook-secret-0123456789';

/**
 * Postmortem review through the API on real Temporal and Postgres: a config-drift incident whose
 * policy opens a Jira ticket (Jira on loopback), its postmortem written, reviewed by two other
 * people, published, frozen, and revised.
 */
describe('postmortem review', () => {
  let engine: TestEngine;
  const jira = new FakeJira();

  beforeAll(async () => {
    await jira.start();
    const { providers, paging } = pagingRunbooks(
      { paging: 'none', ticketing: 'jira' },
      [`jira: { baseUrl: "${jira.url}", email: "${jira.email}", apiTokenEnv: JIRA_TOKEN, webhookSecretEnv: JIRA_WEBHOOK_SECRET, timeoutMs: 1000 }`],
      PAGE_COMPROMISE_TICKET_DRIFT,
    );
    engine = await startTestEngine({ env: { ...TRIAGE_ROUTING, PALISADE_PROVIDERS_FILE: providers, PALISADE_PAGING_FILE: paging, JIRA_TOKEN: jira.apiToken, JIRA_WEBHOOK_SECRET } });
  }, 120_000);

  afterAll(async () => {
    await engine?.close();
    await jira.close();
  });

  it('goes from draft to published with two reviewers, its action items ticketed with owners; a published one refuses edits until a new revision', async () => {
    const url = (p: string) => `${engine.baseUrl}/postmortems/${incidentId}${p}`;
    const resource = `sg-${randomUUID().slice(0, 6)}`;
    const incidentId = await openIncident(engine.baseUrl, { title: `Security group ${resource} drifted`, severity: 'medium', category: 'config-drift', entity: { kind: 'resource', key: resource } });
    await eventually('the incident ticket', async () => {
      const [n] = await engine.db.query<{ external_id: string | null }[]>(`SELECT external_id FROM paging_notices WHERE incident_id = $1 AND ref = ''`, [incidentId]);
      return n?.external_id ?? undefined;
    }, 60_000);
    const [viewer, ana, bob, carol] = await Promise.all([
      tokenFor(engine.baseUrl, 'vic', 'viewer'),
      tokenFor(engine.baseUrl, 'ana', 'responder'),
      tokenFor(engine.baseUrl, 'bob', 'responder'),
      tokenFor(engine.baseUrl, 'carol', 'responder'),
    ]);

    const before = await getJson(url(''), viewer);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ state: 'none', current: null, published: null, signOffsNeeded: 2 });

    // A viewer reads but does not write, submit or sign off.
    const draft = { rootCause: 'A manual console change bypassed Terraform.', contributingFactors: ['No drift alarm on the SG'], wentWell: ['Ticket in seconds'], wentBadly: ['Nobody owned the SG'] };
    expect((await patchJson(url(''), draft, viewer)).status).toBe(403);
    expect((await postJson(url('/submit'), {}, viewer)).status).toBe(403);
    expect((await postJson(url('/sign-off'), {}, viewer)).status).toBe(403);

    // Not ready for review without action items; a due date must be a real day.
    expect((await patchJson(url(''), draft, ana)).body).toMatchObject({ revision: 1, state: 'draft' });
    expect((await postJson(url('/submit'), {}, ana)).body).toMatchObject({ error: 'postmortem_incomplete' });
    const badDay = await patchJson(url(''), { actionItems: [{ title: 'x', owner: 'dana', due: '2026-02-30' }] }, ana);
    expect(badDay).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const items = [
      { title: 'Alarm on console changes to security groups', owner: 'dana', due: '2026-12-20' },
      { title: 'Give every SG an owner tag', owner: 'erin', due: '2027-01-15' },
    ];
    expect((await patchJson(url(''), { actionItems: items }, ana)).status).toBe(200);
    // Nobody reviews before it is submitted.
    expect((await postJson(url('/sign-off'), {}, bob)).body).toMatchObject({ error: 'postmortem_not_in_review' });

    const submitted = await postJson(url('/submit'), {}, ana);
    expect(submitted).toMatchObject({ status: 200, body: { revision: 1, state: 'in_review', tickets: 2 } });

    // The author of the last edit does not sign off; one reviewer counts once.
    expect(await postJson(url('/sign-off'), {}, ana)).toMatchObject({ status: 403, body: { error: 'reviewer_is_author' } });
    expect((await postJson(url('/sign-off'), { note: 'checked the timeline' }, bob)).body).toMatchObject({ state: 'in_review', signOffs: [{ reviewer: 'bob' }] });
    expect(await postJson(url('/sign-off'), {}, bob)).toMatchObject({ status: 409, body: { error: 'already_signed_off' } });
    // An edit in review withdraws the sign-offs given: they signed other words.
    const inReview = await patchJson(url(''), { wentWell: ['Ticket in seconds', 'The owner was found fast'] }, ana);
    expect(inReview.body).toMatchObject({ revision: 1, state: 'in_review' });
    expect((await getJson(url(''), viewer)).body.current.signOffs).toEqual([]);
    expect((await postJson(url('/sign-off'), {}, bob)).body).toMatchObject({ state: 'in_review', signOffs: [{ reviewer: 'bob' }] });
    const second = await postJson(url('/sign-off'), {}, carol);
    expect(second).toMatchObject({ status: 200, body: { revision: 1, state: 'published' } });

    // Published: who signed off and when; the action items with owners and their tickets.
    const review = await eventually('both action item tickets opened', async () => {
      const r = (await getJson(url(''), viewer)).body;
      return r.actionItems.every((a: any) => a.ticket?.key) ? r : undefined;
    }, 60_000);
    expect(review.state).toBe('published');
    expect(review.published.signOffs.map((s: any) => s.reviewer)).toEqual(['bob', 'carol']);
    expect(review.published.signOffs.every((s: any) => !Number.isNaN(Date.parse(s.signedAt)))).toBe(true);
    expect(review.current).toMatchObject({ editedBy: 'ana', submittedBy: 'ana', content: { rootCause: draft.rootCause } });
    expect(review.actionItems.map((a: any) => [a.id, a.owner, a.due, a.status, a.ticket.status])).toEqual([
      [1, 'dana', '2026-12-20', 'open', 'open'],
      [2, 'erin', '2027-01-15', 'open', 'open'],
    ]);
    const actionIssue = jira.issues.find((i) => i.labels.includes(`palisade-incident-${incidentId}-action-1`));
    expect(actionIssue).toMatchObject({ summary: items[0].title, key: review.actionItems[0].ticket.key });
    // The incident's own ticket is still the only one with the incident's label.
    expect(jira.issues.filter((i) => i.labels.includes(`palisade-incident-${incidentId}`))).toHaveLength(1);

    // The owner moves the ticket in Jira: the review shows it (a signed Jira webhook, as in paging-lifecycle.test.ts).
    const moved = JSON.stringify({
      timestamp: Date.now(),
      webhookEvent: 'jira:issue_updated',
      user: { accountId: '5b10ac8d82e05b22cc7d4ef5', displayName: 'Dana Owner', active: true },
      issue: { id: actionIssue!.id, key: actionIssue!.key, fields: { summary: actionIssue!.summary, labels: actionIssue!.labels, status: { name: 'In Progress' } } },
      changelog: { id: '10401', items: [{ field: 'status', fieldtype: 'jira', fieldId: 'status', from: '10000', fromString: 'To Do', to: '10002', toString: 'In Progress' }] },
    });
    const signature = `sha256=${createHmac('sha256', JIRA_WEBHOOK_SECRET).update(moved).digest('hex')}`;
    const hook = await post(`${engine.baseUrl}/webhooks/paging/jira`, moved, { 'content-type': 'application/json', 'x-hub-signature': signature, 'x-atlassian-webhook-identifier': `wh-${randomUUID()}` });
    expect(hook.body).toMatchObject({ recorded: true, incidentId });
    expect((await getJson(url(''), viewer)).body.actionItems.map((a: any) => a.ticket.status)).toEqual(['In Progress', 'open']);

    // Frozen: an edit is refused; the published words in Postgres are unchanged.
    const refused = await patchJson(url(''), { rootCause: 'rewritten' }, ana);
    expect(refused).toMatchObject({ status: 409, body: { error: 'postmortem_published', hint: expect.stringContaining('/revisions') } });
    const [stored] = await engine.db.query<{ state: string; content: { rootCause: string } }[]>(`SELECT state, content FROM postmortem_revisions WHERE incident_id = $1 AND revision = 1`, [incidentId]);
    expect(stored).toMatchObject({ state: 'published', content: { rootCause: draft.rootCause } });

    // A new revision is the way on: a draft copy, edited, and diffable against the published one.
    expect((await postJson(url('/revisions'), { reason: 'the alarm landed' }, viewer)).status).toBe(403);
    expect(await postJson(url('/revisions'), { reason: 'the alarm landed' }, bob)).toMatchObject({ status: 201, body: { revision: 2, state: 'draft' } });
    const edited = await patchJson(url(''), { rootCause: 'A console change bypassed Terraform; the alarm now catches it.', actionItems: [{ ...items[0], id: 1, status: 'done' }] }, bob);
    expect(edited).toMatchObject({ status: 200, body: { revision: 2, state: 'draft' } });
    const revisions = (await getJson(url('/revisions'), viewer)).body.revisions;
    expect(revisions.map((r: any) => [r.revision, r.state])).toEqual([
      [1, 'published'],
      [2, 'draft'],
    ]);
    expect(revisions[0].content.rootCause).toBe(draft.rootCause);
    const diff = (await getJson(url('/revisions/diff?from=1&to=2'), viewer)).body;
    expect(diff.changes).toEqual([
      { field: 'rootCause', from: draft.rootCause, to: 'A console change bypassed Terraform; the alarm now catches it.' },
      { field: 'actionItems', added: [], removed: [{ id: 2, ...items[1], status: 'open' }], changed: [{ id: 1, from: { status: 'open' }, to: { status: 'done' } }] },
    ]);
    expect((await getJson(url('/revisions/diff?from=1&to=3'), viewer)).body).toMatchObject({ error: 'revision_not_found' });
    // The published revision's review is still what GET shows as published.
    expect((await getJson(url(''), viewer)).body).toMatchObject({ state: 'draft', published: { revision: 1 } });

    const events = await timelineOf(engine.baseUrl, incidentId);
    const types = events.map((e) => e.type);
    // The one edit made after a sign-off says whose it withdrew.
    expect(events.filter((e) => e.type === 'postmortem.edited' && e.summary.includes('withdrawn')).map((e) => e.summary)).toEqual([expect.stringMatching(/sign-offs withdrawn: bob$/)]);
    for (const t of ['postmortem.drafted', 'postmortem.edited', 'postmortem.submitted', 'postmortem.signed-off', 'postmortem.published', 'postmortem.revision-started']) expect(types).toContain(t);
  }, 180_000);

  it('counts a person once whatever their token is named: bob and bob@example.com sign off once, the author\'s email does not sign off', async () => {
    const url = (p: string) => `${engine.baseUrl}/postmortems/${incidentId}${p}`;
    const resource = `sg-${randomUUID().slice(0, 6)}`;
    const incidentId = await openIncident(engine.baseUrl, { title: `Security group ${resource} drifted`, severity: 'medium', category: 'config-drift', entity: { kind: 'resource', key: resource } });
    // people.yaml lets a token name a person by id or by email: these are three people, five tokens.
    const [alice, aliceByEmail, bob, bobByEmail, carol] = await Promise.all([
      tokenFor(engine.baseUrl, 'alice', 'responder'),
      tokenFor(engine.baseUrl, 'alice@example.com', 'responder'),
      tokenFor(engine.baseUrl, 'bob', 'responder'),
      tokenFor(engine.baseUrl, 'bob@example.com', 'responder'),
      tokenFor(engine.baseUrl, 'carol', 'responder'),
    ]);
    const written = { rootCause: 'A manual console change bypassed Terraform.', actionItems: [{ title: 'Alarm on console changes', owner: 'dana', due: '2026-12-20' }] };
    expect(await patchJson(url(''), written, alice)).toMatchObject({ status: 200, body: { revision: 1, state: 'draft' } });
    expect(await postJson(url('/submit'), {}, alice)).toMatchObject({ status: 200, body: { state: 'in_review' } });

    // The author under her email is still the author.
    expect(await postJson(url('/sign-off'), {}, aliceByEmail)).toMatchObject({ status: 403, body: { error: 'reviewer_is_author' } });
    // Bob signs off once, under either name, and is recorded by his people.yaml id.
    expect(await postJson(url('/sign-off'), {}, bobByEmail)).toMatchObject({ status: 200, body: { state: 'in_review', signOffs: [{ reviewer: 'bob' }] } });
    expect(await postJson(url('/sign-off'), {}, bob)).toMatchObject({ status: 409, body: { error: 'already_signed_off' } });
    expect((await getJson(url(''), carol)).body).toMatchObject({ state: 'in_review', current: { signOffs: [{ reviewer: 'bob' }] } });
    // A second person publishes it.
    expect(await postJson(url('/sign-off'), {}, carol)).toMatchObject({ status: 200, body: { state: 'published', signOffs: [{ reviewer: 'bob' }, { reviewer: 'carol' }] } });
    // An edit by her email reads as alice's, on the revision and on the timeline.
    expect(await postJson(url('/revisions'), { reason: 'the alarm landed' }, aliceByEmail)).toMatchObject({ status: 201, body: { revision: 2 } });
    expect(await patchJson(url(''), { rootCause: 'A console change bypassed Terraform; the alarm now catches it.' }, aliceByEmail)).toMatchObject({ status: 200 });
    expect(await postJson(url('/submit'), {}, aliceByEmail)).toMatchObject({ status: 200, body: { revision: 2, state: 'in_review' } });
    expect(await postJson(url('/sign-off'), {}, alice)).toMatchObject({ status: 403, body: { error: 'reviewer_is_author' } });
    expect((await getJson(url(''), carol)).body.current).toMatchObject({ revision: 2, editedBy: 'alice', submittedBy: 'alice' });
    // Names recorded under an alias before they were read as people (a row from an older version) still count as the person.
    await engine.db.query(`UPDATE postmortem_revisions SET edited_by = 'alice@example.com', submitted_by = 'alice@example.com' WHERE incident_id = $1 AND revision = 2`, [incidentId]);
    await engine.db.query(`INSERT INTO postmortem_signoffs (incident_id, revision, reviewer) VALUES ($1, 2, 'bob@example.com')`, [incidentId]);
    expect(await postJson(url('/sign-off'), {}, alice)).toMatchObject({ status: 403, body: { error: 'reviewer_is_author' } });
    expect(await postJson(url('/sign-off'), {}, bob)).toMatchObject({ status: 409, body: { error: 'already_signed_off' } });
    const actors = (await timelineOf(engine.baseUrl, incidentId)).filter((e) => e.type.startsWith('postmortem.')).map((e) => e.actor);
    expect(new Set(actors)).toEqual(new Set(['alice', 'bob', 'carol']));
  }, 180_000);

  it('answers 404 for an unknown incident and 400 for a malformed id', async () => {
    expect((await getJson(`${engine.baseUrl}/postmortems/${randomUUID()}`)).body).toMatchObject({ error: 'incident_not_found' });
    expect((await getJson(`${engine.baseUrl}/postmortems/not-a-uuid`)).body).toMatchObject({ error: 'invalid_incident_id' });
  });
});
