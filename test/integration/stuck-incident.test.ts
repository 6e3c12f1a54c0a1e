import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureChromium } from '../support/chromium';
import { palisadeCli } from '../support/cli';
import { eventually, getJson, postJson, startTestEngine, tokenFor, type TestEngine } from '../support/engine';
import { pagingRunbooks } from '../support/paging';
import { FakePagerDuty } from '../support/vendors/pagerduty';
import { brokenBundle, startOtherBuild, type OtherBuild } from '../support/versions';

// A build whose change reaches open runs without patched() fails their workflow task for ever:
// the incident is marked stuck (API, timeline, metric, /readyz, a page through the paging outbox)
// and clears itself after a rollback (the page resolves).
const ROUTING_KEY = 'R0UTINGKEYSTUCK00000000000000AA';

describe('a stuck incident', () => {
  let engine: TestEngine;
  let broken: OtherBuild | undefined;
  const pd = new FakePagerDuty([ROUTING_KEY]);
  let env: NodeJS.ProcessEnv;
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: await ensureChromium(), args: ['--no-sandbox'] });
    await pd.start();
    const runbooks = pagingRunbooks({ paging: 'pagerduty', ticketing: 'none' }, [`pagerduty: { eventsUrl: "${pd.url}", timeoutMs: 2000, services: { secops: { routingKeyEnv: PD_KEY } } }`], [
      '{ name: everything, page: [{ service: secops }] }',
    ]);
    env = { PALISADE_STUCK_CHECK_MS: '500', PALISADE_PROVIDERS_FILE: runbooks.providers, PALISADE_PAGING_FILE: runbooks.paging, PD_KEY: ROUTING_KEY };
    engine = await startTestEngine({ env });
  });
  afterAll(async () => {
    await browser?.close();
    await broken?.close();
    await engine?.close();
    await pd.close();
  });

  it('is flagged with the error and the build when its workflow task keeps failing, and clears after a rollback', async () => {
    const v1 = engine.worker!.options.workerDeploymentOptions!.version.buildId;
    const carol = await tokenFor(engine.baseUrl, 'carol', 'responder');
    const made = await postJson(`${engine.baseUrl}/incidents`, { title: 'Printer firmware tampered', severity: 'low' }, carol);
    expect(made.status).toBe(202);
    const id = made.body.incidentId as string;
    await eventually('the run to wait for a responder', async () => ((await getJson(`${engine.baseUrl}/incidents/${id}`)).body.runningBuild === v1 ? true : undefined), 30_000);

    // The broken build is promoted; the next workflow task (a note that arrives: the resolve) fails on it.
    broken = await startOtherBuild(engine, await brokenBundle(), env);
    await broken.promote();
    expect((await postJson(`${engine.baseUrl}/incidents/${id}/resolve`, { classification: 'true_positive', reason: 'firmware reflashed' }, carol)).status).toBe(202);

    const stuck = await eventually('the incident to be flagged stuck', async () => {
      const res = await getJson(`${engine.baseUrl}/incidents/${id}`);
      return res.body.stuckSince ? res.body : undefined;
    }, 60_000);
    expect(stuck.stuckReason).toContain('Nondeterminism');
    expect(stuck.stuckReason).toContain(broken.buildId);
    const listed = await getJson(`${engine.baseUrl}/incidents?status=open`);
    expect(listed.body.incidents.find((i: { id: string }) => i.id === id)).toMatchObject({ stuckSince: expect.any(String) });
    const events = (await getJson(`${engine.baseUrl}/incidents/${id}/timeline`)).body.events as { type: string; data: Record<string, unknown> }[];
    expect(events.find((e) => e.type === 'incident.stuck')).toMatchObject({ data: { build: broken.buildId } });
    const ready = await getJson(`${engine.baseUrl}/readyz`, null);
    expect(ready.body.stuck.incidents.map((i: { id: string }) => i.id)).toContain(id);
    const metricsToken = await tokenFor(engine.baseUrl, 'metrics', 'viewer');
    const scrape = async () => (await fetch(`${engine.baseUrl}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
    const metrics = await scrape();
    expect(metrics).toMatch(/^palisade_incidents_stuck [1-9]/m);
    // Paged once, on a page of its own beside the incident's.
    const stuckPage = await eventually('the stuck alarm to page', async () => pd.alerts.find((a) => a.dedupKey.startsWith(`${id}:stuck:`)), 30_000);
    expect(stuckPage).toMatchObject({ status: 'triggered', routingKey: ROUTING_KEY });
    expect(stuckPage.summary).toContain('[stuck]');
    expect(stuckPage.summary).toContain(broken.buildId);
    expect(pd.open(id)).toMatchObject({ status: 'triggered' });
    // Three more checks see it stuck: still the one page.
    const checks = async () => Number(/^palisade_stuck_checks_total (\d+)/m.exec(await scrape())?.[1] ?? Number.NaN);
    const seen = await checks();
    await eventually('three more stuck checks', async () => ((await checks()) >= seen + 3 ? true : undefined), 30_000);
    await eventually('the outbox to have sent what it had', async () => ((await engine.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM paging_outbox WHERE incident_id = $1 AND sent_at IS NULL AND dead_at IS NULL`, [id]))[0].n === 0 ? true : undefined), 30_000);
    expect((pd.triggers() as { dedup_key?: string }[]).filter((t) => t.dedup_key === stuckPage.dedupKey)).toHaveLength(1);
    // A responder sees it in `palisade incidents ls` and on the web page (the list's badge, the incident's Stuck row).
    const listedByCli = await palisadeCli(['incidents', 'ls'], { apiUrl: engine.baseUrl, token: carol });
    expect(listedByCli.status, listedByCli.stderr).toBe(0);
    expect(listedByCli.stdout.split('\n').find((line) => line.startsWith(id.slice(0, 8)))).toMatch(/\b(open|acknowledged|responding) STUCK\b/);
    const page = await signedIn(carol);
    const row = page.locator(`tr.incident[data-id="${id}"]`);
    await row.locator('.badge.stuck').waitFor();
    expect(await row.locator('.badge.stuck').getAttribute('title')).toContain(broken.buildId);
    await row.click();
    await page.getByText('Nondeterminism', { exact: false }).first().waitFor();

    // Rolled back: the first build takes the task, the incident moves on and the flag clears.
    await broken.promoteBuild(v1);
    const moved = await eventually('the incident to move again', async () => {
      const res = await getJson(`${engine.baseUrl}/incidents/${id}`);
      return !res.body.stuckSince && res.body.status === 'resolved' ? res.body : undefined;
    }, 90_000);
    expect(moved.stuckReason).toBeNull();
    const after = ((await getJson(`${engine.baseUrl}/incidents/${id}/timeline`)).body.events as { type: string }[]).map((e) => e.type);
    expect(after).toContain('incident.unstuck');
    const clearedCli = await palisadeCli(['incidents', 'ls', '--all'], { apiUrl: engine.baseUrl, token: carol });
    expect(clearedCli.status, clearedCli.stderr).toBe(0);
    const line = clearedCli.stdout.split('\n').find((l) => l.startsWith(id.slice(0, 8)));
    expect(line).toMatch(/\bresolved\b/);
    expect(line).not.toContain('STUCK');
    await page.goto(`${engine.baseUrl}/`);
    await page.locator(`tr.incident[data-id="${id}"]`).waitFor();
    expect(await page.locator(`tr.incident[data-id="${id}"] .badge.stuck`).count()).toBe(0);
    await page.close();
    // The alarm's page resolves, and was triggered once for the whole episode (many sweeps saw it stuck).
    await eventually('the stuck page to resolve', async () => (pd.open(stuckPage.dedupKey)?.status === 'resolved' ? true : undefined), 30_000);
    const triggers = pd.triggers() as { dedup_key?: string }[];
    expect(triggers.filter((t) => t.dedup_key === stuckPage.dedupKey)).toHaveLength(1);
    const notices = ((await getJson(`${engine.baseUrl}/incidents/${id}/timeline`)).body.events as { type: string; summary: string }[]).filter((e) => e.type === 'notice.sent');
    expect(notices.map((n) => n.summary)).toEqual(expect.arrayContaining([expect.stringMatching(/^Paged secops through pagerduty for the stuck playbook/), expect.stringMatching(/^Resolved the pagerduty page for the stuck playbook: it moves again, the alarm is cleared/)]));
  }, 240_000);

  /** The web page, signed in with `token`, showing the incident list. */
  async function signedIn(token: string): Promise<Page> {
    const page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${engine.baseUrl}/`);
    await page.fill('#token', token);
    await page.click('#sign-in-form button[type=submit]');
    await page.locator('#who').waitFor({ state: 'visible' });
    return page;
  }
});
