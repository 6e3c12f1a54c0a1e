import { mkdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureChromium } from '../support/chromium';
import { eventually, gateOpenOverApi, getJson, postJson, startTestEngine, tokenFor, type TestEngine } from '../support/engine';
import { cutPlaceholders } from '../support/placeholders';
import { artifactPath, updateCommittedScreenshot } from '../support/screenshots';

const SCREENSHOT = path.resolve(__dirname, '../artifacts/web-page.png');
const POSTMORTEM_SCREENSHOT = path.resolve(__dirname, '../artifacts/web-page-postmortem.png');
/** Both also committed as test/screenshots/report.png and incident-case-work.png, refreshed with UPDATE_SCREENSHOTS=1. */
const REPORT_SCREENSHOT = artifactPath('web-page-report.png');
const CASE_WORK_SCREENSHOT = artifactPath('web-page-case-work.png');

// The responders' page at /, in a real headless Chromium against a real engine (API, worker,
// Temporal, Postgres): sign in, the list, an incident, a vote, the live timeline.
describe('web page', () => {
  let engine: TestEngine;
  let browser: Browser;

  beforeAll(async () => {
    // First run on a fresh machine: apt installs Chromium (a minute or two).
    const executablePath = await ensureChromium();
    engine = await startTestEngine();
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await engine?.close();
  });

  const text = (page: Page, selector: string) => page.locator(selector).first().innerText();

  it('serves the page and its assets without a token, from this origin only', async () => {
    const index = await fetch(`${engine.baseUrl}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    const html = await index.text();
    expect(html).toContain('<script type="module" src="/ui/app.js"></script>');
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)/);

    for (const module of ['app.js', 'api.js', 'dom.js', 'list.js', 'incident.js', 'approvals.js', 'actions.js', 'report.js', 'related.js', 'review.js']) {
      const js = await fetch(`${engine.baseUrl}/ui/${module}`);
      expect(js.status, module).toBe(200);
      expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    }
    const css = await fetch(`${engine.baseUrl}/ui/app.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');

    const missing = await fetch(`${engine.baseUrl}/ui/secrets.env`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found' });
  });

  it('signs in, lists and filters incidents, opens one, approves its gate, sees the timeline update live, and reads the postmortem', async () => {
    const host = `web-${randomUUID().slice(0, 8)}`;
    const alice = await tokenFor(engine.baseUrl, 'alice', 'responder');
    const started = await postJson(`${engine.baseUrl}/playbooks/host-compromise/runs`, { params: { host } }, alice);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const incidentId: string = started.body.incidentId;
    await gateOpenOverApi(engine.baseUrl, incidentId, 'isolate-host');
    const bob = await tokenFor(engine.baseUrl, 'bob', 'approver');

    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 }, timezoneId: 'Europe/Paris' });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      // The browser logs every 4xx it fetched (the wrong token's 401 below): the page shows those itself.
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) pageErrors.push(msg.text());
    });
    page.setDefaultTimeout(20_000);
    const urls: string[] = [];
    page.on('request', (req) => urls.push(req.url()));

    // A wrong token: the API's message and hint show, and the page stays signed out.
    await page.goto(`${engine.baseUrl}/`);
    await page.fill('#token', 'pal_not-a-token');
    await page.click('#sign-in-form button[type=submit]');
    await page.locator('#sign-in-error').waitFor({ state: 'visible' });
    expect(await text(page, '#sign-in-error')).toContain('The API token is not known');
    expect(await text(page, '#sign-in-error .hint')).toContain('palisade token create');
    expect(await page.locator('#list-view').isVisible()).toBe(false);

    // Bob signs in: his name and role, then the list with the new incident.
    await page.fill('#token', bob);
    await page.click('#sign-in-form button[type=submit]');
    await page.locator('#who').waitFor({ state: 'visible' });
    expect(await text(page, '#who-name')).toBe('bob');
    expect(await text(page, '#who-role')).toBe('approver');
    expect(await page.evaluate("sessionStorage.getItem('palisade.token')")).toBe(bob);

    const row = page.locator(`tr.incident[data-id="${incidentId}"]`);
    await row.waitFor();
    const rowText = await row.innerText();
    expect(rowText).toContain(`Suspected compromise of ${host}`);
    expect(rowText).toContain(`host:${host}`);
    expect(rowText).toContain('host-compromise');
    expect(rowText).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(rowText).toContain('local');
    // Every placeholder fits its input (the filters).
    expect(await cutPlaceholders(page)).toEqual([]);
    const badge = row.locator('.sev');
    expect((await badge.innerText()).toLowerCase()).toBe('high');
    // High is orange, whatever the theme around it.
    expect(await page.evaluate(`getComputedStyle(document.querySelector('tr.incident[data-id="${incidentId}"] .sev')).backgroundColor`)).toBe('rgb(255, 140, 26)');

    // Filters: an entity pattern keeps it; severity critical alone drops it.
    await page.fill('#filters input[name=entity]', `host:${host}`);
    await page.check('#filters input[name=severity][value=critical]');
    await page.click('#filters button[type=submit]');
    await page.locator('#list-empty').waitFor({ state: 'visible' });
    expect(page.url()).toContain('severity=critical');
    expect(await page.locator('tr.incident').count()).toBe(0);
    await page.uncheck('#filters input[name=severity][value=critical]');
    await page.check('#filters input[name=severity][value=high]');
    await page.click('#filters button[type=submit]');
    await row.waitFor();
    expect(await page.locator('tr.incident').count()).toBe(1);

    // The incident: header, the open gate, the timeline so far, followed live.
    await row.locator('td.title a').click();
    await page.waitForURL(`**/#/incidents/${incidentId}`);
    await page.locator('#incident-title').waitFor();
    expect(await text(page, '#incident-title')).toBe(`Suspected compromise of ${host}`);
    const header = await text(page, '#incident-header');
    expect(header).toContain('host-compromise');
    expect(header).toContain(`host:${host}`);
    expect(header).toContain('UTC');
    const gate = page.locator('article.gate[data-gate="isolate-host"]');
    await gate.waitFor();
    expect(await gate.innerText()).toContain('0 of 1 needed');
    expect(await cutPlaceholders(page)).toEqual([]);
    await page.locator('#timeline li[data-type="gate.requested"]').waitFor();
    await page.waitForFunction("document.getElementById('live-state')?.textContent === '● live'");
    expect(await page.locator('#timeline li[data-type="gate.decided"]').count()).toBe(0);

    // Nothing reloads from here: the marker would be lost. (Page code is passed as strings: the project's types have no DOM.)
    await page.evaluate('window.stayedOnPage = true');
    await gate.locator('input[name=reason]').fill('reverse shell confirmed');
    await gate.locator('button.approve').click();

    await page.locator('#verdict.outcome-approved').waitFor();
    expect(await text(page, '#verdict')).toContain('Your vote on isolate-host counted: the gate is approved (1 of 1 approvals)');

    // The vote and the decision arrive over the stream (fresh), not from a reload.
    const decided = page.locator('#timeline li.fresh[data-type="gate.decided"]');
    await decided.waitFor();
    expect(await decided.innerText()).toContain('bob');
    expect(await page.locator('#timeline li.fresh[data-type="gate.vote"]').innerText()).toContain('reverse shell confirmed');
    expect(await page.evaluate('window.stayedOnPage')).toBe(true);
    // The gates follow the timeline: isolate-host approved, by bob.
    await page.waitForFunction(`document.querySelector('article.gate[data-gate="isolate-host"]')?.classList.contains('gate-approved')`);
    expect(await page.locator('article.gate[data-gate="isolate-host"] .votes').innerText()).toContain('bob');
    // The playbook isolates the host and asks for the rebuild: header and gates follow, still without a reload.
    await page.locator('#incident-header .status-contained').waitFor();
    await page.locator('article.gate.gate-open[data-gate="replace-host"] button.approve').waitFor();
    expect(await page.evaluate('window.stayedOnPage')).toBe(true);

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // The postmortem: shown in a sandboxed frame (its inline CSS applies), and downloaded as Markdown.
    await page.click('#postmortem-view');
    const postmortem = page.frameLocator('#postmortem-frame');
    await postmortem.locator('h1').waitFor();
    expect(await postmortem.locator('h1').innerText()).toContain(`Suspected compromise of ${host}`);
    expect(await postmortem.locator('body').innerText()).toContain('isolate-host');
    expect(await page.getAttribute('#postmortem-frame', 'sandbox')).toBe('');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#postmortem-md')]);
    expect(download.suggestedFilename()).toBe(`postmortem-${incidentId}.md`);
    expect(readFileSync(await download.path(), 'utf8')).toContain(`Suspected compromise of ${host}`);
    // (A full-page capture leaves the sandboxed frame blank: the frame gets its own picture.)
    await page.locator('#postmortem-frame').screenshot({ path: POSTMORTEM_SCREENSHOT });

    // The live timeline came over a stream ticket: the token never went into a URL (proxies and histories keep URLs).
    const streams = urls.filter((u) => u.includes('/timeline/stream?'));
    expect(streams.length).toBeGreaterThan(0);
    for (const u of streams) expect(u).toMatch(/\/timeline\/stream\?ticket=pst_[^&]+&after=\d+$/);
    expect(urls.filter((u) => u.includes(bob) || u.includes(encodeURIComponent(bob)))).toEqual([]);

    expect(pageErrors).toEqual([]);
    await page.close();
  }, 120_000);

  it('shows the report: response times as bars per playbook, and false-positive rates per rule', async () => {
    const carol = await tokenFor(engine.baseUrl, 'carol', 'responder');
    // What the report counted before this test's own incident is resolved (other tests share the engine).
    const since = encodeURIComponent(new Date(Date.now() - 30 * 86_400_000).toISOString());
    const resolvedBefore = (await getJson(`${engine.baseUrl}/reports/response-times?by=playbook&since=${since}`, carol)).body.groups
      .find((g: { key: string }) => g.key === 'manual-incident')?.mttr.count ?? 0;
    const classifiedBefore: number = (await getJson(`${engine.baseUrl}/reports/false-positives?since=${since}`, carol)).body.classified;
    const created = await postJson(`${engine.baseUrl}/incidents`, { title: 'Report: a phishing mail reported by hand', severity: 'medium' }, carol);
    const incidentId: string = created.body.incidentId;
    await eventually('the resolve to be taken', async () =>
      (await postJson(`${engine.baseUrl}/incidents/${incidentId}/resolve`, { classification: 'true_positive', reason: 'mail purged' }, carol)).status === 202 ? true : undefined,
    );
    await eventually('resolved', async () => ((await getJson(`${engine.baseUrl}/incidents/${incidentId}`)).body.status === 'resolved' ? true : undefined));

    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.setDefaultTimeout(20_000);
    await page.goto(`${engine.baseUrl}/#/report`);
    await page.fill('#token', carol);
    await page.click('#sign-in-form button[type=submit]');
    const group = page.locator('#report-times figure.report-group', { hasText: 'manual-incident' });
    await group.waitFor();
    // One bar per measure; the resolved incident's time to resolve has a bar and its numbers.
    expect(await group.locator('rect.bar').count()).toBe(4);
    expect(Number(await group.locator('rect.bar-mttr').getAttribute('width'))).toBeGreaterThan(0);
    // The numbers count this test's resolve: its time to resolve and its classification.
    const resolvedShown = (await group.innerText()).match(/time to resolve.*mean .* median .* p90 \((\d+)\)/s);
    expect(resolvedShown, await group.innerText()).not.toBeNull();
    expect(Number(resolvedShown![1])).toBeGreaterThanOrEqual(Math.max(1, resolvedBefore + 1));
    const classifiedShown = (await page.locator('#report-fp').innerText()).match(/(\d+) classified incident\(s\)/);
    expect(classifiedShown).not.toBeNull();
    expect(Number(classifiedShown![1])).toBeGreaterThanOrEqual(classifiedBefore + 1);
    await page.selectOption('#report-by', 'severity');
    await page.click('#report-form button[type=submit]');
    await page.locator('#report-times figure.report-group', { hasText: 'medium' }).waitFor();
    await page.screenshot({ path: REPORT_SCREENSHOT, fullPage: true });
    updateCommittedScreenshot(REPORT_SCREENSHOT, 'report.png');
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 120_000);

  it('works an incident from the page: acknowledge, take, assign, a note, tags and severity, resolve; a viewer gets no buttons', async () => {
    const carol = await tokenFor(engine.baseUrl, 'carol', 'responder');
    const opened = await postJson(`${engine.baseUrl}/incidents`, { title: `Phishing report ${randomUUID().slice(0, 8)}`, severity: 'medium' }, carol);
    expect(opened.status, JSON.stringify(opened.body)).toBe(202);
    const incidentId: string = opened.body.incidentId;

    const page = await browser.newPage({ viewport: { width: 1400, height: 1400 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.setDefaultTimeout(20_000);
    await page.goto(`${engine.baseUrl}/`);
    await page.fill('#token', carol);
    await page.click('#sign-in-form button[type=submit]');
    await page.locator('#who').waitFor({ state: 'visible' });
    await page.goto(`${engine.baseUrl}/#/incidents/${incidentId}`);
    await page.locator('#incident-title').waitFor();
    await page.locator('#live-state', { hasText: '● live' }).waitFor();
    const result = () => text(page, '#action-result');

    await page.click('#action-ack');
    await page.locator('#action-result', { hasText: /^Acknowledged by carol\.$/ }).waitFor();
    await page.click('#action-take');
    await page.locator('#incident-assignee', { hasText: /^carol$/ }).waitFor();
    await page.fill('#action-assignee', 'mallory');
    await page.click('#action-assign');
    await page.locator('#actions-error').waitFor({ state: 'visible' });
    expect(await text(page, '#actions-error')).toContain("'mallory' is not a person Palisade knows");
    await page.fill('#action-assignee', 'bob');
    await page.click('#action-assign');
    await page.locator('#incident-assignee', { hasText: /^bob$/ }).waitFor();
    expect(await result()).toBe("It is bob's now.");
    // The list by owner: bob's shows it with its owner; carol's own ("me") and nobody's do not.
    await page.goto(`${engine.baseUrl}/#/?assignee=bob`);
    const owned = page.locator(`tr.incident[data-id="${incidentId}"]`);
    await owned.waitFor();
    expect(await owned.locator('td.assignee').innerText()).toBe('bob');
    expect(await page.inputValue('#filters input[name=assignee]')).toBe('bob');
    await page.fill('#filters input[name=assignee]', 'me');
    await page.click('#filters button[type=submit]');
    await page.waitForURL('**/#/?assignee=me');
    await owned.waitFor({ state: 'detached' });
    await page.goto(`${engine.baseUrl}/#/incidents/${incidentId}`);
    await page.locator('#action-note').waitFor();
    // Every placeholder of the responder's page fits its input (case work, related incidents, the review).
    await page.locator('#related input[name=incidentId]').waitFor();
    await page.locator('#review input[name=owner]').waitFor();
    expect(await cutPlaceholders(page)).toEqual([]);

    await page.fill('#action-note', 'Mail gateway quarantined the sender.\n<b>not bold</b>');
    await page.click('#action-add-note');
    const note = page.locator('#timeline li[data-type="incident.note"]');
    await note.waitFor();
    expect(await note.locator('.summary').innerText()).toBe('Note by carol: Mail gateway quarantined the sender.\n<b>not bold</b>');

    await page.fill('#action-tags', 'phishing, team:mail');
    await page.selectOption('#action-severity', 'low');
    await page.fill('#action-reason', 'one user, reported early');
    await page.click('#action-save');
    await page.locator('#action-result', { hasText: /^Changed: tags, severity\.$/ }).waitFor();
    await page.locator('#incident-header .sev-low').waitFor();
    expect(await text(page, '#incident-header')).toContain('phishing, team:mail');
    await page.screenshot({ path: CASE_WORK_SCREENSHOT, fullPage: true });
    updateCommittedScreenshot(CASE_WORK_SCREENSHOT, 'incident-case-work.png');

    await page.fill('#action-reason', 'sender blocked, nobody clicked');
    await page.click('#action-resolve');
    // Resolving says what it was: without a classification the API's message is shown, and nothing is closed.
    await page.locator('#actions-error', { hasText: 'classification' }).waitFor({ state: 'visible' });
    await page.selectOption('#action-classification', 'benign_true_positive');
    await page.click('#action-resolve');
    await page.locator('#timeline li.fresh[data-type="incident.resolved"]').waitFor();
    const incident = await eventually('the incident resolved', async () => {
      const res = await getJson(`${engine.baseUrl}/incidents/${incidentId}`);
      return res.body.status === 'resolved' ? res.body : undefined;
    });
    expect(incident).toMatchObject({ assignee: 'bob', severity: 'low', tags: ['phishing', 'team:mail'], acknowledgedAt: expect.any(String), classification: 'benign_true_positive' });
    expect(pageErrors).toEqual([]);

    // Cancel from the page: another report, a false positive unless the responder says otherwise.
    const other = await postJson(`${engine.baseUrl}/incidents`, { title: `Phishing drill ${randomUUID().slice(0, 8)}`, severity: 'low' }, carol);
    await page.goto(`${engine.baseUrl}/#/incidents/${other.body.incidentId}`);
    await page.locator('#live-state', { hasText: '● live' }).waitFor();
    await page.fill('#action-reason', 'announced phishing drill');
    await page.click('#action-cancel');
    await page.locator('#timeline li.fresh[data-type="incident.cancelled"]').waitFor();
    const cancelled = await eventually('the incident cancelled', async () => {
      const res = await getJson(`${engine.baseUrl}/incidents/${other.body.incidentId}`);
      return res.body.status === 'cancelled' ? res.body : undefined;
    });
    expect(cancelled).toMatchObject({ classification: 'false_positive', classifiedBy: 'carol' });
    expect(pageErrors).toEqual([]);

    // A viewer sees the incident, not the buttons.
    const viewer = await tokenFor(engine.baseUrl, 'victor', 'viewer');
    await page.evaluate('sessionStorage.clear()');
    await page.goto(`${engine.baseUrl}/`);
    await page.reload();
    await page.fill('#token', viewer);
    await page.click('#sign-in-form button[type=submit]');
    await page.locator('#who').waitFor({ state: 'visible' });
    await page.goto(`${engine.baseUrl}/#/incidents/${incidentId}`);
    await page.locator('#incident-title').waitFor();
    expect(await text(page, '#actions')).toContain('cannot work on incidents: responders can');
    expect(await page.locator('#action-ack').count()).toBe(0);
    await page.close();
  }, 120_000);
});
