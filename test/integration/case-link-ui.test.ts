import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureChromium } from '../support/chromium';
import { getJson, postJson, startTestEngine, tokenFor, TRIAGE_ROUTING, type TestEngine } from '../support/engine';
import { openedByAlert } from '../support/timeline';

const ROOT = path.resolve(__dirname, '../..');
const SCREENSHOT = path.resolve(__dirname, '../artifacts/web-review.png');

/**
 * Postmortem review and related incidents as responders do them: on the web page in a real
 * headless Chromium, and with the `palisade` CLI as a child process, against a real engine.
 */
describe('postmortem review and related incidents on the page and in the CLI', () => {
  let engine: TestEngine;
  let browser: Browser;

  beforeAll(async () => {
    const executablePath = await ensureChromium();
    engine = await startTestEngine({ env: TRIAGE_ROUTING });
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await engine?.close();
  });

  const opened = (host: string) => openedByAlert(engine.baseUrl, host, `Beacon from ${host}`);

  /** A page signed in as `token` on the incident; its errors land in `errors`, asserted empty at the end. */
  async function signedIn(token: string, incidentId: string, errors: string[]): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1600 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${engine.baseUrl}/`);
    await page.fill('#token', token);
    await page.click('#sign-in-form button[type=submit]');
    await page.locator('#who').waitFor({ state: 'visible' });
    await page.goto(`${engine.baseUrl}/#/incidents/${incidentId}`);
    await page.locator('#incident-title').waitFor();
    return page;
  }

  const cli = (token: string, ...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PALISADE_'))), PALISADE_API_URL: engine.baseUrl, PALISADE_TOKEN: token };
      const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/cli/main.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('close', (status) => resolve({ status, stdout, stderr }));
    });

  it('writes, submits, signs off and publishes a postmortem on the page; links and merges incidents there; the CLI does the same', async () => {
    const a = await opened(`ui-a-${randomUUID().slice(0, 6)}`);
    const b = await opened(`ui-b-${randomUUID().slice(0, 6)}`);
    const c = await opened(`ui-c-${randomUUID().slice(0, 6)}`);
    const [ana, bob, carol, vic] = await Promise.all([
      tokenFor(engine.baseUrl, 'ana', 'responder'),
      tokenFor(engine.baseUrl, 'bob', 'responder'),
      tokenFor(engine.baseUrl, 'carol', 'responder'),
      tokenFor(engine.baseUrl, 'vic', 'viewer'),
    ]);

    const pageErrors: string[] = [];
    // Ana writes the postmortem of A on the page, with an action item, and sends it to review.
    const page = await signedIn(ana, a, pageErrors);
    await page.locator('#review-form').waitFor();
    await page.fill('#review-form textarea[name=rootCause]', 'A beacon implant from a phishing mail.');
    await page.fill('#review-form textarea[name=wentWell]', 'Contained in minutes');
    await page.fill('#action-add input[name=title]', 'Block the C2 domain at the proxy');
    await page.fill('#action-add input[name=owner]', 'dana');
    await page.fill('#action-add input[name=due]', '2026-12-31');
    await page.click('#review-save');
    await page.locator('#action-items tr[data-item="1"]').waitFor();
    expect(await page.locator('#action-items tr[data-item="1"]').innerText()).toContain('dana');
    await page.click('#review-submit');
    await page.locator('#review-sign-off').waitFor();
    expect(await page.locator('#review-state').innerText()).toContain('in review');
    // Her own sign-off is refused, with the API's reason on the page.
    await page.click('#review-sign-off');
    await page.locator('#review-error').waitFor({ state: 'visible' });
    expect(await page.locator('#review-error').innerText()).toContain('an author does not sign off');

    // Ana links A to B on the page; B shows the link too.
    await page.fill('#link-form input[name=incidentId]', b);
    await page.selectOption('#link-form select[name=relation]', 'caused-by');
    await page.click('#link-form button[type=submit]');
    await page.locator(`#links a[href="#/incidents/${b}"]`).waitFor();
    expect((await getJson(`${engine.baseUrl}/incidents/${b}`)).body.links).toEqual([expect.objectContaining({ incidentId: a, relation: 'causes' })]);

    // Bob signs off on his page, Carol with the CLI: published, and the page says who.
    const bobPage = await signedIn(bob, a, pageErrors);
    await bobPage.click('#review-sign-off');
    // Bob's sign-off is recorded before Carol's: the page re-renders it once the API has it.
    await bobPage.getByText('Sign-offs: 1 of 2 (bob)').waitFor();
    expect((await getJson(`${engine.baseUrl}/postmortems/${a}`, vic)).body.current.signOffs).toEqual([expect.objectContaining({ reviewer: 'bob' })]);
    const signed = await cli(carol, 'review', 'sign-off', a, '--note', 'read it');
    expect(signed.stderr).toBe('');
    expect(signed.stdout).toContain('is published, signed off by bob and carol');
    await page.reload();
    await page.locator('#review-published').waitFor();
    expect(await page.locator('#review-published').innerText()).toContain('signed off by bob and carol');
    expect(await page.locator('#review-form textarea[name=rootCause]').getAttribute('readonly')).not.toBeNull();
    expect(await page.locator('#detail-view').innerText()).not.toContain('null');
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // The CLI: show, a refused edit of the published one, a new revision, the diff.
    const shown = await cli(vic, 'review', 'show', a);
    expect(shown.stdout).toContain('Root cause: A beacon implant from a phishing mail.');
    expect(shown.stdout).toMatch(/1\. \[ \] Block the C2 domain at the proxy — dana, due 2026-12-31/);
    const refused = await cli(ana, 'review', 'edit', a, '--root-cause', 'rewritten');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('published');
    expect((await cli(bob, 'review', 'revise', a, '--reason', 'the proxy block landed')).stdout).toContain('Revision 2 started');
    expect((await cli(bob, 'review', 'edit', a, '--done', '1')).status).toBe(0);
    const diff = await cli(vic, 'review', 'diff', a, '1', '2');
    expect(diff.stdout).toContain('actionItems:');
    expect(diff.stdout).toContain('{"status":"open"} → {"status":"done"}');

    // Merge C into A: on the page for C, then the CLI links and merges nothing twice.
    const cPage = await signedIn(ana, c, pageErrors);
    await cPage.fill('#merge-form input[name=into]', a);
    await cPage.fill('#merge-form input[name=reason]', 'the same implant');
    await cPage.click('#merge-form button[type=submit]');
    await cPage.getByText('Merged as a duplicate into').waitFor();
    expect((await postJson(`${engine.baseUrl}/incidents/${c}/merge`, { into: a, reason: 'x' }, vic)).status).toBe(403);
    const again = await cli(ana, 'incidents', 'merge', c, '--into', a, '--reason', 'again');
    expect(again.stdout).toContain('0 alert(s) moved');
    const linkedAgain = await cli(ana, 'incidents', 'link', b, a);
    expect(linkedAgain.stdout).toContain('Already linked (causes)');
    expect(pageErrors).toEqual([]);
  }, 300_000);
});
