import { Client, Connection } from '@temporalio/client';
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stateQuery } from '../../workflows/shared/messages';
import { eventually, getJson, startTestEngine, testSecret, type TestEngine, TRIAGE_ROUTING } from '../support/engine';
import { genericAlert, post, sendGeneric } from '../support/webhooks';

// The front door over real HTTP, Postgres and Temporal.
describe('POST /webhooks/:source', () => {
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

  it('starts an incident, merges the next alert for the entity, and answers a re-sent delivery as duplicate', async () => {
    const host = `web-${randomUUID().slice(0, 8)}`;
    const first = await sendGeneric(engine.baseUrl, genericAlert(host), { delivery: `d-${host}-1` });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ disposition: 'started', alertIds: [expect.any(String)], incidentId: expect.any(String) });

    const second = await sendGeneric(engine.baseUrl, genericAlert(host, { title: 'Outbound C2 beacon' }), { delivery: `d-${host}-2` });
    expect(second.body).toMatchObject({ disposition: 'merged', incidentId: first.body.incidentId });

    // A re-send signs anew (same delivery id, new timestamp): the door answers duplicate.
    const again = await sendGeneric(engine.baseUrl, genericAlert(host), { delivery: `d-${host}-1`, timestamp: Math.floor(Date.now() / 1000) + 1 });
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ ...first.body, disposition: 'duplicate' });

    const stored = await getJson(`${engine.baseUrl}/alerts/${first.body.alertIds[0]}`);
    expect(stored.body).toMatchObject({ source: 'generic', severity: 'high', entity: { kind: 'host', key: host }, disposition: 'started', rule: 'compromised-hosts' });
    const ocsf = await getJson(`${engine.baseUrl}/alerts/${first.body.alertIds[0]}?format=ocsf`);
    expect(ocsf.body).toMatchObject({ class_uid: 2004, severity_id: 4, finding_info: { title: `Suspicious process on ${host}` } });

    const incident = await getJson(`${engine.baseUrl}/incidents/${first.body.incidentId}`);
    expect(incident.body).toMatchObject({ alertCount: 2, playbook: 'triage', entity: `host:${host}`, workflowId: `triage:host:${host}` });

    // The dispatcher hands both alerts to the incident's workflow.
    const handle = temporal.workflow.getHandle(`triage:host:${host}`);
    const state = await eventually('both alerts in the workflow', async () => {
      const s = await handle.query(stateQuery).catch(() => undefined);
      return s && s.alertCount === 2 ? s : undefined;
    });
    expect(state).toMatchObject({ incidentId: first.body.incidentId, sources: ['generic'], maxSeverity: 'high' });
    const timeline = await eventually('merged alerts on the timeline', async () => {
      const res = await getJson(`${engine.baseUrl}/incidents/${first.body.incidentId}/timeline`);
      const events = (res.body.events ?? []) as { type: string }[];
      return events.some((e) => e.type === 'alerts.merged') ? events : undefined;
    });
    expect(timeline[0]).toMatchObject({ type: 'incident.created', actor: 'generic' });

    const metrics = await (await fetch(`${engine.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/palisade_alerts_received_total\{source="generic",disposition="started"\} [1-9]/);
    expect(metrics).toMatch(/palisade_alerts_received_total\{source="generic",disposition="duplicate"\} [1-9]/);
    expect(metrics).toMatch(/palisade_webhook_duration_seconds_count\{source="generic",status="202"\} [1-9]/);
    // Each store was a group commit of its own (one delivery at a time here): timed and counted.
    expect(metrics).toMatch(/^palisade_intake_flush_seconds_count [1-9]/m);
    expect(metrics).toMatch(/^palisade_intake_flush_deliveries_bucket\{le="1"\} [1-9]/m);
    expect(metrics).toMatch(/^palisade_inbox_pending \d+$/m);
    expect(metrics).toMatch(/^palisade_inbox_oldest_age_seconds \d+$/m);
  });

  // RFC 3339 allows offsets PostgreSQL's timestamptz refuses (past ±15:59): the alert is stored at the same instant, in UTC, not refused with a 500.
  it('stores an alert observed at a time given with any offset RFC 3339 allows', async () => {
    const host = `offset-${randomUUID().slice(0, 8)}`;
    const sent = await sendGeneric(engine.baseUrl, genericAlert(host, { observedAt: '2026-12-06T03:05:06.875-17:48' }));
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const [row] = await engine.db.query<{ at: Date }[]>(`SELECT observed_at AS at FROM alerts WHERE id = $1`, [sent.body.alertIds[0]]);
    expect(row.at.toISOString()).toBe('2026-12-06T20:53:06.875Z');
  });

  it('merges 1,000 concurrent alerts for one entity into exactly one incident', async () => {
    const host = `storm-${randomUUID().slice(0, 8)}`;
    const answers = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => sendGeneric(engine.baseUrl, genericAlert(host, { id: `finding-${i}` }), { delivery: `${host}-${i}` })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(1000).fill(202));
    const incidents = new Set(answers.map((a) => a.body.incidentId as string));
    expect(incidents.size).toBe(1);
    expect(answers.filter((a) => a.body.disposition === 'started')).toHaveLength(1);

    const [incidentId] = [...incidents];
    const incident = await getJson(`${engine.baseUrl}/incidents/${incidentId}`);
    expect(incident.body.alertCount).toBe(1000);

    const handle = temporal.workflow.getHandle(`triage:host:${host}`);
    await eventually(
      'all 1,000 alerts in the workflow',
      async () => ((await handle.query(stateQuery).catch(() => undefined))?.alertCount === 1000 ? true : undefined),
      60_000,
    );
    // Coalesced: far fewer signals than alerts.
    const history = await handle.fetchHistory();
    const signals = history.events?.filter((e) => e.workflowExecutionSignaledEventAttributes).length ?? 0;
    expect(signals).toBeGreaterThan(0);
    expect(signals).toBeLessThan(200);
  }, 120_000);

  it('stores concurrent deliveries for many entities together, each joining its own incident', async () => {
    const run = randomUUID().slice(0, 6);
    const hosts = Array.from({ length: 10 }, (_, h) => `batch-${run}-${h}`);
    const sends = hosts.flatMap((host) =>
      Array.from({ length: 5 }, (_, i) => sendGeneric(engine.baseUrl, genericAlert(host, { id: `f${i}` }), { delivery: `${host}-${i}` })),
    );
    // Two copies of one delivery in flight at once: one is stored, the other is its duplicate.
    const copy = () => sendGeneric(engine.baseUrl, genericAlert(hosts[0], { id: 'copied' }), { delivery: `${hosts[0]}-copied`, timestamp: Math.floor(Date.now() / 1000) + Math.floor(Math.random() * 100) });
    const answers = await Promise.all([...sends, copy(), copy()]);
    expect(answers.map((a) => a.status)).toEqual(Array(52).fill(202));
    const copies = answers.slice(50);
    const copyDispositions = copies.map((c) => c.body.disposition as string);
    expect(copyDispositions.filter((d) => d === 'duplicate')).toHaveLength(1);
    expect(copyDispositions.find((d) => d !== 'duplicate')).toMatch(/^(started|merged)$/);
    expect(copies[0].body.alertIds).toEqual(copies[1].body.alertIds);

    for (const [h, host] of hosts.entries()) {
      const mine = answers.slice(h * 5, h * 5 + 5);
      const ids = new Set(mine.map((a) => a.body.incidentId as string));
      expect(ids.size, host).toBe(1);
      const incident = await getJson(`${engine.baseUrl}/incidents/${[...ids][0]}`);
      expect(incident.body.alertCount).toBe(h === 0 ? 6 : 5);
      expect(mine.filter((a) => a.body.disposition === 'started').length + (h === 0 ? copies.filter((c) => c.body.disposition === 'started').length : 0)).toBe(1);
    }
  });

  it('within a rule’s dedupe window, a re-fired detection is kept as a duplicate of the open incident, not merged again', async () => {
    // test/fixtures/runbooks/routing-triage.yaml: alerts labelled refires=yes dedupe within 10m.
    const host = `refire-${randomUUID().slice(0, 8)}`;
    // Each re-send is a new body (the SIEM's own run time), so it is not a replayed request.
    const detection = (id: string) => genericAlert(host, { id, labels: { refires: 'yes' }, description: `run ${randomUUID()}` });
    const first = await sendGeneric(engine.baseUrl, detection('beacon'), { delivery: `${host}-1` });
    expect(first.body).toMatchObject({ disposition: 'started' });

    const refire = await sendGeneric(engine.baseUrl, detection('beacon'), { delivery: `${host}-2` });
    expect(refire.status).toBe(202);
    expect(refire.body).toMatchObject({ disposition: 'duplicate', incidentId: first.body.incidentId });
    expect(refire.body.alertIds[0]).not.toBe(first.body.alertIds[0]);
    // Kept, so nothing answered 202 is lost: readable, and linked to its incident.
    expect((await getJson(`${engine.baseUrl}/alerts/${refire.body.alertIds[0]}`)).body).toMatchObject({ disposition: 'duplicate', incidentId: first.body.incidentId });

    // Re-fires arriving together (stored as one group) are duplicates too; another detection merges.
    const burst = await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => sendGeneric(engine.baseUrl, detection('beacon'), { delivery: `${host}-burst-${i}` })),
      sendGeneric(engine.baseUrl, detection('persistence'), { delivery: `${host}-other` }),
      sendGeneric(engine.baseUrl, detection('persistence'), { delivery: `${host}-other-again` }),
    ]);
    expect(burst.slice(0, 5).map((b) => b.body.disposition)).toEqual(Array(5).fill('duplicate'));
    expect(burst.slice(5).map((b) => b.body.disposition).sort()).toEqual(['duplicate', 'merged']);
    expect(new Set(burst.map((b) => b.body.incidentId))).toEqual(new Set([first.body.incidentId]));

    // The incident counts the two detections; the workflow got only those.
    const incident = await getJson(`${engine.baseUrl}/incidents/${first.body.incidentId}`);
    expect(incident.body.alertCount).toBe(2);
    const handle = temporal.workflow.getHandle(`triage:host:${host}`);
    await eventually('the merged detection in the workflow', async () => ((await handle.query(stateQuery).catch(() => undefined))?.alertCount === 2 ? true : undefined));
    const pending = await engine.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM inbox WHERE incident_id = $1`, [first.body.incidentId]);
    expect(pending[0].n).toBe(2);
  });

  it('answers bad requests with a typed 4xx that says what to do', async () => {
    const unknown = await post(`${engine.baseUrl}/webhooks/nagios`, '{}', { 'content-type': 'application/json' });
    expect(unknown).toMatchObject({ status: 404, body: { error: 'unknown_source' } });
    expect(unknown.body.hint).toContain('splunk, elastic, wazuh, falco, guardduty, securityhub, github, sentinel, generic');

    const form = await post(`${engine.baseUrl}/webhooks/generic`, 'a=b', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form).toMatchObject({ status: 415, body: { error: 'unsupported_content_type' } });

    const encoded = await post(`${engine.baseUrl}/webhooks/generic`, '{}', { 'content-type': 'application/json', 'content-encoding': 'zstd-bogus' });
    expect(encoded).toMatchObject({ status: 415, body: { error: 'unsupported_content_encoding' } });

    const malformed = await post(`${engine.baseUrl}/webhooks/generic`, '{"title":', { 'content-type': 'application/json' });
    expect(malformed).toMatchObject({ status: 400, body: { error: 'malformed_json' } });

    const unsigned = await post(`${engine.baseUrl}/webhooks/generic`, JSON.stringify(genericAlert('x')), { 'content-type': 'application/json' });
    expect(unsigned).toMatchObject({ status: 401, body: { error: 'missing_signature' } });
    expect(unsigned.body.hint).toContain('PALISADE_WEBHOOK_SECRET_GENERIC');

    const forged = await sendGeneric(engine.baseUrl, genericAlert('x'), { secret: 'not-the-secret' });
    expect(forged).toMatchObject({ status: 401, body: { error: 'invalid_signature' } });

    const stale = await sendGeneric(engine.baseUrl, genericAlert('x'), { timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(stale).toMatchObject({ status: 401, body: { error: 'stale_signature' } });

    const invalid = await sendGeneric(engine.baseUrl, { title: 'no severity', entity: { kind: 'host', key: 'h' } });
    expect(invalid).toMatchObject({ status: 400, body: { error: 'invalid_payload' } });
    expect(invalid.body.message).toContain('severity');

    const huge = await sendGeneric(engine.baseUrl, genericAlert('x', { description: 'x'.repeat(2 * 1024 * 1024) }));
    expect(huge).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
    expect(huge.body.hint).toContain('PALISADE_WEBHOOK_MAX_BYTES');
  });

  it('refuses a replayed signed request', async () => {
    const payload = JSON.stringify(genericAlert(`replay-${randomUUID().slice(0, 6)}`));
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = `v1=${createHmac('sha256', testSecret('generic')).update(`${timestamp}.${payload}`).digest('hex')}`;
    const headers = { 'content-type': 'application/json', 'x-palisade-timestamp': timestamp, 'x-palisade-signature': signature };
    expect((await post(`${engine.baseUrl}/webhooks/generic`, payload, headers)).status).toBe(202);
    const replay = await post(`${engine.baseUrl}/webhooks/generic`, payload, headers);
    expect(replay).toMatchObject({ status: 401, body: { error: 'replayed_request' } });
  });

  it('stores a signed request sent twice at once, among other deliveries, once: the copy is refused, the others stored', async () => {
    const host = `replay-together-${randomUUID().slice(0, 6)}`;
    const payload = JSON.stringify(genericAlert(host));
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = `v1=${createHmac('sha256', testSecret('generic')).update(`${timestamp}.${payload}`).digest('hex')}`;
    const headers = { 'content-type': 'application/json', 'x-palisade-timestamp': timestamp, 'x-palisade-signature': signature };
    // Both copies pass the signature check before either is stored, so the store's replay claim decides.
    const [copies, others] = await Promise.all([
      Promise.all([post(`${engine.baseUrl}/webhooks/generic`, payload, headers), post(`${engine.baseUrl}/webhooks/generic`, payload, headers)]),
      Promise.all(Array.from({ length: 6 }, (_, i) => sendGeneric(engine.baseUrl, genericAlert(`${host}-other-${i}`)))),
    ]);
    expect(copies.map((c) => c.status).sort()).toEqual([202, 401]);
    expect(copies.find((c) => c.status === 401)!.body).toMatchObject({ error: 'replayed_request' });
    expect(others.map((o) => o.status)).toEqual(Array(6).fill(202));
    const stored = await engine.db.query<{ entity_key: string; n: number }[]>(
      `SELECT entity_key, count(*)::int AS n FROM alerts WHERE entity_key LIKE $1 GROUP BY entity_key ORDER BY 1`,
      [`${host}%`],
    );
    expect(stored).toEqual([{ entity_key: host, n: 1 }, ...Array.from({ length: 6 }, (_, i) => ({ entity_key: `${host}-other-${i}`, n: 1 }))]);
  });
});
