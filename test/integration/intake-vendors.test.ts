import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stateQuery } from '../../workflows/shared/messages';
import { eventually, getJson, startTestEngine, type TestEngine, TRIAGE_ROUTING } from '../support/engine';
import type { SourceName } from '../../lib/intake/alert';
import { sendWithToken } from '../support/webhooks';

const FIXTURES = path.resolve(__dirname, '../fixtures/webhooks');
/** Vendors that prove themselves with a token (AWS: an EventBridge API destination); SNS-signed bodies are tested in sns-subscription.test.ts. */
const TOKEN_VENDORS: SourceName[] = ['splunk', 'elastic', 'wazuh', 'falco', 'guardduty', 'securityhub', 'sentinel'];
const vendorFixtures = TOKEN_VENDORS.flatMap((source) =>
  readdirSync(path.join(FIXTURES, source))
    .filter((f) => f.endsWith('.json') && !f.endsWith('.sns.json') && !/subscription-confirmation|unsubscribe-confirmation/.test(f))
    .map((f) => [source, f.replace(/\.json$/, '')] as const),
);

// Vendors' own delivery habits, over real HTTP, Postgres and Temporal.
describe('vendor deliveries', () => {
  let engine: TestEngine;
  let temporal: Client;

  beforeAll(async () => {
    engine = await startTestEngine({ env: TRIAGE_ROUTING });
    temporal = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
  });
  afterAll(async () => {
    await temporal?.connection.close();
    await engine?.close();
  });

  it('Splunk "for each result": two POSTs of one search run (one sid) for two hosts open two incidents; the same POST again is a duplicate', async () => {
    const run = randomUUID().slice(0, 8);
    const sid = `scheduler__admin__search__RMD5${run}_at_1714566900_4321`;
    // Splunk's webhook alert action, trigger "For each result": one POST per result row, all with the search's sid.
    const perResult = (host: string) => ({
      sid,
      search_name: 'Endpoint - Suspicious Shell Spawned by Web Server - Rule',
      app: 'search',
      owner: 'admin',
      results_link: `https://splunk.example.com:8000/app/search/@go?sid=${sid}`,
      result: { _time: '1714566896', host, user: 'www-data', urgency: 'high', _raw: `${host} auditd: a0="/bin/sh" parent="nginx"` },
    });
    const web1 = `web-1-${run}`;
    const web2 = `web-2-${run}`;

    const first = await sendWithToken(engine.baseUrl, 'splunk', perResult(web1));
    const second = await sendWithToken(engine.baseUrl, 'splunk', perResult(web2));
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(first.body).toMatchObject({ disposition: 'started', incidentId: expect.any(String) });
    expect(second.body).toMatchObject({ disposition: 'started', incidentId: expect.any(String) });
    expect(second.body.incidentId).not.toBe(first.body.incidentId);

    // Splunk re-sending the very same POST (a retry) is still the same delivery.
    const again = await sendWithToken(engine.baseUrl, 'splunk', perResult(web1));
    expect(again.body).toEqual({ ...first.body, disposition: 'duplicate' });

    for (const [host, answer] of [[web1, first], [web2, second]] as const) {
      const incident = await getJson(`${engine.baseUrl}/incidents/${answer.body.incidentId}`);
      expect(incident.body).toMatchObject({ entity: `host:${host}`, alertCount: 1 });
      const handle = temporal.workflow.getHandle(`triage:host:${host}`);
      await eventually(`${host}'s alert in its workflow`, async () => ((await handle.query(stateQuery).catch(() => undefined))?.alertCount === 1 ? true : undefined));
    }
  });

  it.each(vendorFixtures)('accepts the %s variant %s over HTTP, as the vendor sends it', async (source, name) => {
    const body: unknown = JSON.parse(readFileSync(path.join(FIXTURES, source, `${name}.json`), 'utf8'));
    const res = await sendWithToken(engine.baseUrl, source, body);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.alertIds.length).toBeGreaterThan(0);
  });
});
