import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedFleet } from '../../activities/providers/simulated/fleet';
import { Redactor } from '../../lib/intake/redact';
import { startTracing, type Tracing } from '../../lib/telemetry/tracing';
import { eventually, getJson, startTestEngine, TEST_REDACTION_KEY, type TestEngine } from '../support/engine';
import { FakeGitHub, providersWithGitHub } from '../support/vendors/github';
import { sendGithub, sendWithToken } from '../support/webhooks';

const TOKEN_VARIABLE = 'PALISADE_TEST_GITHUB_TOKEN';
const FIXTURE = path.resolve(__dirname, '../fixtures/webhooks/github/secret-scanning-alert-created.json');

/**
 * One alert's trace, from the webhook to the vendor's HTTP call: the API and a worker in this
 * process on real Temporal and Postgres, GitHub on loopback, every span in an in-memory exporter.
 */
describe('traces', () => {
  const github = new FakeGitHub();
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing | undefined;
  let engine: TestEngine;

  beforeAll(async () => {
    tracing = startTracing({ service: 'palisade-api', spanProcessor: new SimpleSpanProcessor(exporter) });
    await github.start();
    const providers = providersWithGitHub(github, TOKEN_VARIABLE, { intakeTimeoutMs: 3000, timeoutMs: 10_000 });
    engine = await startTestEngine({ env: { PALISADE_PROVIDERS_FILE: providers, [TOKEN_VARIABLE]: github.token }, tracing });
  });
  afterAll(async () => {
    await engine?.close();
    await github.close();
    await tracing?.shutdown();
  });

  it('one alert gives one connected trace: webhook, dispatch, signalWithStart, the workflow run, each activity, the vendor call', async () => {
    const tag = randomUUID().slice(0, 8);
    const repository = `acme-corp/app-${tag}`;
    const number = 1 + Math.floor(Math.random() * 1e6);
    const secret = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
    github.addAlert(repository, number, { secret, validity: 'active' });
    const fingerprint = new Redactor(Buffer.from(TEST_REDACTION_KEY)).fingerprint(secret);
    await new SimulatedFleet(engine.db).addCredential({ id: `AKIA-${tag}`, type: 'aws_access_key_id', fingerprint, last4: secret.slice(-4), owner: `team-${tag}`, shared: false });
    const body = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    Object.assign(body.alert, { number, validity: 'active', secret_type: 'aws_access_key_id', secret_type_display_name: 'Amazon AWS Access Key ID' });
    body.repository.full_name = repository;

    const sent = await sendGithub(engine.baseUrl, 'secret_scanning_alert', body, randomUUID());
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const incidentId: string = sent.body.incidentId;
    await eventually(`incident ${incidentId} resolved`, async () => ((await getJson(`${engine.baseUrl}/incidents/${incidentId}`)).body.status === 'resolved' ? true : undefined), 60_000);
    // The run's own span ends with the run.
    const spans = await eventually('the workflow run span', async () => {
      const all = exporter.getFinishedSpans();
      return all.some((s) => s.name.startsWith('RunWorkflow:')) ? all : undefined;
    });

    const webhook = only(spans, (s) => s.name === 'webhook github' && (s.attributes['palisade.alert.ids'] as string[] | undefined)?.includes(sent.body.alertIds[0]) === true);
    expect(webhook.attributes).toMatchObject({ 'palisade.source': 'github', 'http.response.status_code': 202 });
    const traceId = webhook.spanContext().traceId;
    const trace = spans.filter((s) => s.spanContext().traceId === traceId);
    const byName = (name: string | RegExp) => trace.filter((s) => (typeof name === 'string' ? s.name === name : name.test(s.name)));
    const parentOf = (s: ReadableSpan) => trace.find((p) => p.spanContext().spanId === s.parentSpanId);

    const dispatch = only(byName('dispatch'), () => true);
    expect(parentOf(dispatch)).toBe(webhook);
    expect(dispatch.attributes['palisade.incident.id']).toBe(incidentId);
    const signalWithStart = only(byName(/^SignalWithStartWorkflow:/), () => true);
    expect(parentOf(signalWithStart)).toBe(dispatch);
    const run = only(byName(/^RunWorkflow:/), () => true);
    expect(parentOf(run)).toBe(signalWithStart);

    const activities = byName(/^RunActivity:/);
    expect(activities.length).toBeGreaterThan(2);
    for (const a of activities) {
      const start = parentOf(a);
      expect(start?.name).toBe(a.name.replace('RunActivity:', 'StartActivity:'));
      expect(parentOf(start!)).toBe(run);
    }
    // The provider's call to GitHub (closing its alert) is a span of the activity that made it.
    const calls = byName(/^HTTP (GET|POST|PATCH|PUT|DELETE)$/).filter((s) => parentOf(s)?.name.startsWith('RunActivity:'));
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) {
      expect(c.attributes['server.address']).toBe(new URL(github.url).hostname);
      expect(c.attributes['http.response.status_code']).toEqual(expect.any(Number));
      expect(JSON.stringify(c.attributes)).not.toContain(github.token);
    }
    // Nothing of this alert's journey is left in another trace.
    expect(spans.filter((s) => s.spanContext().traceId !== traceId && s.attributes['palisade.incident.id'] === incidentId)).toEqual([]);
  }, 120_000);

  it('an alert stored on its own (one statement, no group commit) keeps its trace across the inbox too', async () => {
    const body = JSON.parse(readFileSync(path.resolve(__dirname, '../fixtures/webhooks/falco/critical-drift.json'), 'utf8'));
    body.hostname = `tr-${randomUUID().slice(0, 8)}`;
    const sent = await sendWithToken(engine.baseUrl, 'falco', body);
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const alertId: string = sent.body.alertIds[0];
    const webhook = await eventually('the webhook span', async () =>
      exporter.getFinishedSpans().find((s) => s.name === 'webhook falco' && (s.attributes['palisade.alert.ids'] as string[] | undefined)?.includes(alertId) === true),
    );
    const traceId = webhook.spanContext().traceId;
    const signal = await eventually('the signalWithStart span in the same trace', async () =>
      exporter.getFinishedSpans().find((s) => s.spanContext().traceId === traceId && s.name.startsWith('SignalWithStartWorkflow:')),
    );
    const dispatch = exporter.getFinishedSpans().find((s) => s.spanContext().spanId === signal.parentSpanId);
    expect(dispatch?.name).toBe('dispatch');
    expect(dispatch?.parentSpanId).toBe(webhook.spanContext().spanId);
    expect(dispatch?.attributes['palisade.incident.id']).toBe(sent.body.incidentId);
  }, 60_000);
});

function only(spans: ReadableSpan[], which: (s: ReadableSpan) => boolean): ReadableSpan {
  const found = spans.filter(which);
  expect(found.map((s) => s.name), 'exactly one such span').toHaveLength(1);
  return found[0];
}
