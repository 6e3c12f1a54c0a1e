import { createHmac, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, TEST_ADMIN_TOKEN, testSecret, TRIAGE_ROUTING, type TestEngine } from '../support/engine';
import { postToSlackEndpoint, slackSignature, SLACK_TEST_BOT_TOKEN, SLACK_TEST_SIGNING_SECRET } from '../support/slack-requests';
import { genericAlert, post } from '../support/webhooks';

// What the HTTP adapter itself does, that no route's own test shows: compressed bodies, Swagger
// UI's page and assets, Slack's url_verification handshake on the raw body.
describe('the HTTP adapter', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({
      withWorker: false,
      // Slack on, pointing at a closed port: the handshake needs no Web API call.
      env: { ...TRIAGE_ROUTING, SLACK_SIGNING_SECRET: SLACK_TEST_SIGNING_SECRET, SLACK_BOT_TOKEN: SLACK_TEST_BOT_TOKEN, SLACK_API_URL: 'http://127.0.0.1:9/api/' },
    });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('takes a gzip-compressed webhook, verified on its inflated bytes', async () => {
    const body = JSON.stringify(genericAlert(`gz-${randomUUID().slice(0, 8)}`));
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', testSecret('generic')).update(`${timestamp}.${body}`).digest('hex');
    const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-palisade-timestamp': timestamp, 'x-palisade-signature': `v1=${signature}` };
    const res = await post(`${engine.baseUrl}/webhooks/generic`, gzipSync(body), headers);
    expect(res).toMatchObject({ status: 202, body: { disposition: 'started' } });
  });

  it('reads a gzip-compressed JSON body on the API, and refuses one past 1 MB inflated with 413 payload_too_large', async () => {
    const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
    const created = await post(`${engine.baseUrl}/tokens`, gzipSync(JSON.stringify({ name: `gz-${randomUUID().slice(0, 8)}`, role: 'viewer' })), headers);
    expect(created).toMatchObject({ status: 201, body: { token: expect.any(String) } });
    const bomb = await post(`${engine.baseUrl}/tokens`, gzipSync(JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024), role: 'viewer' })), headers);
    expect(bomb).toMatchObject({ status: 413, body: { error: 'payload_too_large', message: expect.any(String), hint: expect.any(String) } });
  });

  it('serves Swagger UI at /docs with its assets, and the document at /docs-json', async () => {
    const page = await fetch(`${engine.baseUrl}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toContain('./docs/swagger-ui-bundle.js');
    for (const asset of ['swagger-ui-bundle.js', 'swagger-ui-init.js', 'swagger-ui.css']) {
      const res = await fetch(`${engine.baseUrl}/docs/${asset}`);
      expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
      expect((await res.text()).length).toBeGreaterThan(0);
    }
    const doc = await fetch(`${engine.baseUrl}/docs-json`);
    expect(doc.status).toBe(200);
    expect(await doc.json()).toMatchObject({ openapi: '3.1.0', info: { title: 'Palisade API' } });
  });

  it("answers Slack's url_verification handshake when signed, and 401 slack_signature_invalid when not", async () => {
    const body = JSON.stringify({ token: 'legacy', challenge: `challenge-${randomUUID()}`, type: 'url_verification' });
    const timestamp = Math.floor(Date.now() / 1000);
    const send = (signature: string) =>
      fetch(`${engine.baseUrl}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature },
        body,
      });
    const signed = await send(slackSignature(SLACK_TEST_SIGNING_SECRET, timestamp, body));
    expect(signed.status).toBe(200);
    expect(await signed.json()).toEqual({ challenge: JSON.parse(body).challenge });
    const forged = await send(slackSignature('not-the-secret', timestamp, body));
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ error: 'slack_signature_invalid', hint: expect.stringContaining('SLACK_SIGNING_SECRET') });
    // The path as Express matched it: a trailing slash is the same endpoint.
    const slash = await fetch(`${engine.baseUrl}/slack/events/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': slackSignature(SLACK_TEST_SIGNING_SECRET, timestamp, body) },
      body,
    });
    expect(slash.status).toBe(200);
    expect(await slash.json()).toEqual({ challenge: JSON.parse(body).challenge });
    // Form-encoded, as interactivity and slash commands arrive: unsigned is refused the same way.
    const unsigned = await postToSlackEndpoint(engine.baseUrl, 'payload=%7B%7D', { signature: null });
    expect(unsigned).toMatchObject({ status: 401, json: { error: 'slack_signature_invalid' } });
  });

  it('answers a path it cannot decode with 400 and the error body', async () => {
    const res = await fetch(`${engine.baseUrl}/incidents/%E0%A4%A`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(res.status).toBe(400);
    expect(Object.keys((await res.json()) as object).sort()).toEqual(['error', 'hint', 'message']);
  });
});
