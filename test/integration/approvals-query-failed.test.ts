import { randomUUID } from 'node:crypto';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureChromium } from '../support/chromium';
import { eventually, getJson, postJson, startTestEngine, TEST_ADMIN_TOKEN, tokenFor, type TestEngine } from '../support/engine';
import { conforming, fetchDocument, ResponseValidator } from '../support/openapi';
import { artifactPath } from '../support/screenshots';
import { timeline } from '../support/playbooks';
import { queryFixturesBundle, startOtherBuild, type OtherBuild } from '../support/versions';

// Temporal answers a query its worker failed with QueryFailed (gRPC INVALID_ARGUMENT), and
// @temporalio/client throws every INVALID_ARGUMENT as QueryNotRegisteredError: a `state` query
// handler that throws (or a run its worker cannot replay) looked like a playbook that keeps no
// state. A responder saw no gates (200, gates []) and a vote answered 409 unknown_gate while the
// isolate-host gate waited. Only the worker's own "did not register a handler for state" means that.
describe("approvals when the playbook's worker fails the state query", () => {
  let engine: TestEngine;
  let build: OtherBuild | undefined;
  let validator: ResponseValidator;
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: await ensureChromium(), args: ['--no-sandbox'] });
    engine = await startTestEngine();
    // A build whose host-compromise fails its `state` query and `decide` validator, and whose manual-incident registers neither.
    build = await startOtherBuild(engine, await queryFixturesBundle());
    await build.promote();
    validator = new ResponseValidator(await fetchDocument(engine.baseUrl));
  });
  afterAll(async () => {
    await browser?.close();
    await build?.close();
    await engine?.close();
  });

  it('answers 502 playbook_failed with the worker\'s reason and where to look, not "no gates", while a gate waits', async () => {
    const started = await postJson(`${engine.baseUrl}/playbooks/host-compromise/runs`, { params: { host: `test-${randomUUID()}` } }, await tokenFor(engine.baseUrl, 'alice', 'responder'));
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const incidentId: string = started.body.incidentId;
    await eventually(
      'the isolate-host gate on the timeline',
      async () => ((await timeline(engine, incidentId)).some((e) => e.type === 'gate.requested' && e.data.gateId === 'isolate-host') ? true : undefined),
      60_000,
    );

    const approvals = await conforming(validator, engine.baseUrl, 'GET', `/incidents/${incidentId}/approvals`, { token: TEST_ADMIN_TOKEN });
    const vote = await conforming(validator, engine.baseUrl, 'POST', `/incidents/${incidentId}/approvals/isolate-host`, {
      token: await tokenFor(engine.baseUrl, 'bob', 'approver'),
      body: { decision: 'approve', reason: 'contain it' },
    });
    expect([approvals, vote].map((r) => `${r.status} ${r.body.error}`)).toEqual(['502 playbook_failed', '502 playbook_failed']);
    // Documented for both routes, in the API's error shape.
    expect([...approvals.problems, ...vote.problems]).toEqual([]);
    for (const res of [approvals, vote]) {
      // The worker's own reason, as Temporal passed it on.
      expect(res.body.message).toContain("Cannot read properties of undefined (reading 'values')");
      expect(res.body.hint).toContain("The worker's logs");
      expect(res.body.hint).toContain('GET /deploys');
      expect(res.body.hint).toContain(`GET /incidents/${incidentId}/timeline`);
    }
    expect(approvals.body.message).toContain('the state query failed on its worker');
    expect(vote.body.message).toContain('refused to take the vote: its handler failed on the worker');
    expect(vote.body.hint.startsWith('The vote did not count. ')).toBe(true);

    // The incident's page no longer claims a running playbook without state, and says why (documented).
    const described = await conforming(validator, engine.baseUrl, 'GET', `/incidents/${incidentId}`, { token: TEST_ADMIN_TOKEN });
    expect(described.problems).toEqual([]);
    expect(described.body).toMatchObject({ id: incidentId, live: null, liveStatus: 'unreachable' });
    expect(described.body.liveReason).toBe("the playbook's worker failed the state query: Cannot read properties of undefined (reading 'values')");

    // The web page states nothing it could not read: no "Stuck: no", no "Current step: —".
    const page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${engine.baseUrl}/`);
    await page.fill('#token', TEST_ADMIN_TOKEN);
    await page.click('#sign-in-form button[type=submit]');
    await page.locator('#who').waitFor({ state: 'visible' });
    await page.goto(`${engine.baseUrl}/#/incidents/${incidentId}`);
    const badge = page.locator('#incident-header .live-unreachable');
    await badge.waitFor();
    expect(await badge.getAttribute('title')).toBe(described.body.liveReason);
    const fact = async (name: string) => page.locator('#incident-header dt', { hasText: new RegExp(`^${name}$`) }).locator('xpath=following-sibling::dd[1]').innerText();
    expect(await fact('Current step')).toBe(`not known: ${described.body.liveReason as string}`);
    expect(await fact('Stuck')).toBe('not known while the playbook does not answer');
    await page.screenshot({ path: artifactPath('incident-query-failed.png') });
    await page.close();
  }, 120_000);

  it('still answers a running playbook that registers no state query as one without gates', async () => {
    const made = await postJson(`${engine.baseUrl}/incidents`, { title: 'Laptop stolen', severity: 'high' });
    expect(made.status, JSON.stringify(made.body)).toBe(202);
    const id: string = made.body.incidentId;
    const running = await eventually(
      'the run to answer',
      async () => {
        const res = await conforming(validator, engine.baseUrl, 'GET', `/incidents/${id}/approvals`, { token: TEST_ADMIN_TOKEN });
        return res.status === 200 ? res : undefined;
      },
      60_000,
    );
    expect(running.problems).toEqual([]);
    expect(running.body).toEqual({ incidentId: id, phase: null, currentStep: null, gates: [] });
    const vote = await postJson(`${engine.baseUrl}/incidents/${id}/approvals/isolate-host`, { decision: 'approve' }, await tokenFor(engine.baseUrl, 'bob', 'approver'));
    expect(vote).toMatchObject({ status: 409, body: { error: 'unknown_gate' } });
    const described = await getJson(`${engine.baseUrl}/incidents/${id}`);
    expect(described.body).toMatchObject({ id, status: 'open', live: null, liveStatus: 'running', liveReason: null });
  }, 120_000);
});
