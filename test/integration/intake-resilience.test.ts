import fc from 'fast-check';
import { createHmac, randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runMigrations } from '../../lib/db/data-source';
import { SOURCES, type SourceName } from '../../lib/intake/alert';
import { createDatabase } from '../setup/postgres';
import { eventually, getJson, postJson, startTestEngine, testSecret, type TestEngine, TRIAGE_ROUTING } from '../support/engine';
import { genericAlert, post, sendGeneric } from '../support/webhooks';

/** Headers that pass each source's authentication, so random bodies reach the parsers. */
function signedHeaders(source: SourceName, body: string): Record<string, string> {
  const secret = testSecret(source);
  if (source === 'github') {
    return { 'x-github-event': 'secret_scanning_alert', 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` };
  }
  if (source === 'generic') {
    const ts = String(Math.floor(Date.now() / 1000));
    return { 'x-palisade-timestamp': ts, 'x-palisade-signature': `v1=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}` };
  }
  return { authorization: `Bearer ${secret}` };
}

function signedGeneric(payload: unknown, delivery: string): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(payload);
  return { body, headers: { 'content-type': 'application/json', 'x-palisade-delivery': delivery, ...signedHeaders('generic', body) } };
}

describe('the door under bad input', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ withWorker: false });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('answers fuzzed bodies and headers with 2xx or a typed 4xx, never a 5xx', async () => {
    const body = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string(),
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    const extraHeaders = fc.dictionary(
      fc.constantFrom('x-github-event', 'x-palisade-timestamp', 'x-amz-sns-message-type', 'x-palisade-delivery', 'content-encoding'),
      fc.string({ maxLength: 40 }).filter((v) => /^[\x20-\x7e]*$/.test(v)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SOURCES), body, fc.boolean(), extraHeaders, async (source, text, signed, extra) => {
        const headers = { 'content-type': 'application/json', ...(signed ? signedHeaders(source, text) : {}), ...extra };
        const res = await post(`${engine.baseUrl}/webhooks/${source}`, text, headers);
        expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
        if (res.status >= 400) expect(Object.keys(res.body as object).sort()).toEqual(['error', 'hint', 'message']);
      }),
      { numRuns: 250 },
    );
  }, 120_000);
});

describe('Postgres down', () => {
  let engine: TestEngine;
  let dbName: string;
  let admin: PgClient;
  beforeAll(async () => {
    dbName = `palisade_pgdown_${Date.now()}`;
    const db = await createDatabase(inject('postgresAdminUrl'), dbName);
    await runMigrations(db.url);
    engine = await startTestEngine({ withWorker: false, databaseUrl: db.url });
    admin = new PgClient({ connectionString: inject('postgresAdminUrl') });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS true`);
    await engine?.close();
    await admin?.end();
  });

  it('answers 503 with Retry-After, never 202, and recovers by itself when Postgres is back', async () => {
    const host = `pgdown-${randomUUID().slice(0, 8)}`;
    expect((await sendGeneric(engine.baseUrl, genericAlert(host), { delivery: `${host}-1` })).status).toBe(202);

    await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS false`);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [dbName]);
    const refusedRequest = signedGeneric(genericAlert(host, { id: 'finding-2' }), `${host}-2`);
    const refused = await post(`${engine.baseUrl}/webhooks/generic`, refusedRequest.body, refusedRequest.headers);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(refused.body).toMatchObject({ error: 'storage_unavailable' });

    await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS true`);
    const accepted = await eventually('the door to accept again', async () => {
      // The sender retries the very same signed request: a refused store is no replay.
      const res = await post(`${engine.baseUrl}/webhooks/generic`, refusedRequest.body, refusedRequest.headers);
      return res.status === 202 ? res : undefined;
    });
    // The refused delivery was not half-stored: its retry is new, not a duplicate.
    expect(accepted.body.disposition).toBe('merged');
    const incident = await getJson(`${engine.baseUrl}/incidents/${accepted.body.incidentId}`);
    expect(incident.body.alertCount).toBe(2);
  });
});

describe('an incident that cannot be dispatched', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ env: TRIAGE_ROUTING });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('is held back on its own while newer incidents reach their playbooks', async () => {
    // An older inbox row whose incident names a playbook that no longer exists.
    const poison = { incident: randomUUID(), alert: randomUUID(), workflow: `retired:host:${randomUUID()}` };
    await engine.db.query(
      `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity, detected_at)
       VALUES ($1, $2, 'old', 'high', 'open', 'retired-playbook', '0.0.1', 'host:old', now())`,
      [poison.incident, poison.workflow],
    );
    await engine.db.query(
      `INSERT INTO alerts (id, source, delivery_id, delivery_index, received_at, observed_at, title, description, severity,
         severity_original, category, entity_kind, entity_key, entity_display, fingerprint, labels, secrets, raw, incident_id, disposition)
       VALUES ($1, 'generic', $3, 0, now(), now(), 'old', '', 'high', 'high', 'other', 'host', 'old', 'old', 'f', '{}', '[]', '{}', $2, 'started')`,
      [poison.alert, poison.incident, poison.alert],
    );
    await engine.db.query(`INSERT INTO inbox (incident_id, workflow_id, alert_id, created_at) VALUES ($1, $2, $3, now() - interval '1 minute')`, [
      poison.incident,
      poison.workflow,
      poison.alert,
    ]);

    const host = `healthy-${randomUUID().slice(0, 8)}`;
    const fresh = await sendGeneric(engine.baseUrl, genericAlert(host), { delivery: host });
    await eventually('the newer incident’s playbook to run', async () => {
      const t = await getJson(`${engine.baseUrl}/incidents/${fresh.body.incidentId}/timeline`);
      return t.body.events?.length >= 2 ? true : undefined;
    }, 20_000);
    // Held: scheduled for another try (its backoff may already have run out on a slow machine, so not compared with now), not dispatched.
    const [held] = await engine.db.query(`SELECT attempts, last_error, dispatched_at, claimed_until IS NOT NULL AS held FROM inbox WHERE alert_id = $1`, [poison.alert]);
    expect(held).toMatchObject({ dispatched_at: null, held: true });
    expect(held.attempts).toBeGreaterThanOrEqual(1);
    expect(held.last_error).toContain("unknown playbook 'retired-playbook'");
    await engine.db.query(`DELETE FROM inbox WHERE alert_id = $1`, [poison.alert]);
  });
});

describe('after an incident resolves', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ env: TRIAGE_ROUTING });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('a new alert for the same entity opens a new incident', async () => {
    const host = `reopen-${randomUUID().slice(0, 8)}`;
    const first = await sendGeneric(engine.baseUrl, genericAlert(host), { delivery: `${host}-1` });
    await eventually('the playbook to run', async () => {
      const t = await getJson(`${engine.baseUrl}/incidents/${first.body.incidentId}/timeline`);
      return t.body.events?.length >= 2 ? true : undefined;
    });
    const resolved = await postJson(`${engine.baseUrl}/incidents/${first.body.incidentId}/resolve`, { classification: 'true_positive', reason: 'reimaged', actor: 'alice' });
    expect(resolved).toMatchObject({ status: 202, body: { status: 'resolving' } });
    const closed = await eventually('the incident to be resolved', async () => {
      const i = await getJson(`${engine.baseUrl}/incidents/${first.body.incidentId}`);
      return i.body.status === 'resolved' ? i.body : undefined;
    });
    expect(closed.resolvedAt).toEqual(expect.any(String));
    const again = await postJson(`${engine.baseUrl}/incidents/${first.body.incidentId}/resolve`, { classification: 'true_positive', reason: 'twice' });
    expect(again).toMatchObject({ status: 409, body: { error: 'incident_closed' } });

    const next = await sendGeneric(engine.baseUrl, genericAlert(host, { id: "after-resolve" }), { delivery: `${host}-2` });
    expect(next.body.disposition).toBe('started');
    expect(next.body.incidentId).not.toBe(first.body.incidentId);
    const timeline = await eventually('the new incident’s playbook', async () => {
      const t = await getJson(`${engine.baseUrl}/incidents/${next.body.incidentId}/timeline`);
      return t.body.events?.length >= 3 ? t.body.events : undefined;
    });
    expect(timeline.map((e: { type: string }) => e.type)).toEqual(['incident.created', 'playbook.started', 'alerts.merged']);
  });

  it('within the rule’s reopen window, a new alert reopens the same incident and continues its timeline', async () => {
    // runbooks/routing.yaml: leaked secrets reopen within 24h.
    const secret = { kind: 'credential', key: `secret:${randomUUID()}` };
    const leak = (id: string) => genericAlert('unused', { id, category: 'secret-leak', severity: 'critical', entity: secret, title: 'Token leaked' });
    const first = await sendGeneric(engine.baseUrl, leak('first'), { delivery: `${secret.key}-1` });
    expect(first.body.disposition).toBe('started');
    await eventually('the playbook to run', async () => {
      const t = await getJson(`${engine.baseUrl}/incidents/${first.body.incidentId}/timeline`);
      return t.body.events?.length >= 2 ? true : undefined;
    });
    await postJson(`${engine.baseUrl}/incidents/${first.body.incidentId}/resolve`, { classification: 'true_positive', reason: 'rotated', actor: 'bob' });
    await eventually('resolved', async () => ((await getJson(`${engine.baseUrl}/incidents/${first.body.incidentId}`)).body.status === 'resolved' ? true : undefined));

    const again = await sendGeneric(engine.baseUrl, leak('again'), { delivery: `${secret.key}-2` });
    expect(again.body).toMatchObject({ disposition: 'merged', incidentId: first.body.incidentId });
    const events = await eventually('the reopened incident’s timeline', async () => {
      const t = await getJson(`${engine.baseUrl}/incidents/${first.body.incidentId}/timeline`);
      const list = (t.body.events ?? []) as { type: string; sequence: number }[];
      return list.at(-1)?.type === 'alerts.merged' && list.length === 7 ? list : undefined;
    });
    // The reopened incident's new run starts its playbook again, and says so.
    expect(events.map((e) => e.type)).toEqual(['incident.created', 'playbook.started', 'alerts.merged', 'incident.resolved', 'incident.reopened', 'playbook.started', 'alerts.merged']);
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const incident = await getJson(`${engine.baseUrl}/incidents/${first.body.incidentId}`);
    expect(incident.body).toMatchObject({ status: 'open', resolvedAt: null, alertCount: 2 });
  });
});
