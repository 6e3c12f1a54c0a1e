import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InboxDispatcher } from '../../apps/api/webhooks/inbox-dispatcher.service';
import { MAX_ENTITY_KEY_BYTES } from '../../lib/intake/entity-key';
import { eventually, getJson, postJson, startTestEngine, testSecret, type TestEngine, TRIAGE_ROUTING } from '../support/engine';
import { genericAlert, post, sendGeneric } from '../support/webhooks';

const FALCO = path.resolve(__dirname, '../fixtures/webhooks/falco/notice-shell.json');

describe('entity keys past what Temporal accepts', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ env: TRIAGE_ROUTING });
  });
  afterAll(async () => {
    await engine?.close();
  });

  const timeline = async (incidentId: string) => ((await getJson(`${engine.baseUrl}/incidents/${incidentId}/timeline`)).body.events ?? []) as { type: string }[];

  it('a Falco alert with a 5,000-character hostname opens an incident whose playbook runs, under a bounded key', async () => {
    const payload = JSON.parse(readFileSync(FALCO, 'utf8'));
    const hostname = `h${randomUUID()}-${'x'.repeat(5_000)}`;
    payload.hostname = hostname;
    payload.uuid = randomUUID();
    const res = await post(`${engine.baseUrl}/webhooks/falco`, JSON.stringify(payload), {
      'content-type': 'application/json',
      authorization: `Bearer ${testSecret('falco')}`,
    });
    expect(res.status).toBe(202);
    expect(res.body.disposition).toBe('started');
    await eventually('the playbook to run', async () => ((await timeline(res.body.incidentId)).length >= 2 ? true : undefined), 20_000);

    const incident = (await getJson(`${engine.baseUrl}/incidents/${res.body.incidentId}`)).body;
    expect(Buffer.byteLength(incident.entity)).toBeLessThanOrEqual(MAX_ENTITY_KEY_BYTES);
    const alert = (await getJson(`${engine.baseUrl}/alerts/${res.body.alertIds[0]}`)).body;
    expect(Buffer.byteLength(alert.entity.key)).toBeLessThanOrEqual(MAX_ENTITY_KEY_BYTES);
    expect(alert.entity.key.startsWith(hostname.slice(0, 100))).toBe(true);
    // The whole value is still on record, and two long keys that share a prefix stay apart.
    expect(JSON.stringify(alert.raw)).toContain(hostname);
    const twin = { ...payload, uuid: randomUUID(), hostname: `${hostname}-twin` };
    const other = await post(`${engine.baseUrl}/webhooks/falco`, JSON.stringify(twin), { 'content-type': 'application/json', authorization: `Bearer ${testSecret('falco')}` });
    expect(other.body.disposition).toBe('started');
    expect(other.body.incidentId).not.toBe(res.body.incidentId);
  });

  it('an incident Temporal refuses for good is dead-lettered visibly, alone, and can be sent again once fixed', async () => {
    // An incident stored before keys were bounded: Temporal refuses its search attribute.
    const host = `legacy-${randomUUID().slice(0, 8)}`;
    const first = await sendGeneric(engine.baseUrl, genericAlert(host), { delivery: host });
    await eventually('the playbook to run', async () => ((await timeline(first.body.incidentId)).length >= 2 ? true : undefined), 20_000);
    const poison = { incident: randomUUID(), alert: randomUUID(), workflow: `triage:host:${randomUUID()}` };
    await engine.db.query(
      `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity, detected_at)
       VALUES ($1, $2, 'old', 'high', 'open', 'triage', '0.1.0', $3, now())`,
      [poison.incident, poison.workflow, `host:${'y'.repeat(5_000)}`],
    );
    await engine.db.query(
      `INSERT INTO alerts (id, source, delivery_id, delivery_index, received_at, observed_at, title, description, severity,
         severity_original, category, entity_kind, entity_key, entity_display, fingerprint, labels, secrets, raw, incident_id, disposition)
       VALUES ($1, 'generic', $3, 0, now(), now(), 'old', '', 'high', 'high', 'other', 'host', 'old', 'old', 'f', '{}', '[]', '{}', $2, 'started')`,
      [poison.alert, poison.incident, poison.alert],
    );
    await engine.db.query(`INSERT INTO inbox (incident_id, workflow_id, alert_id) VALUES ($1, $2, $3)`, [poison.incident, poison.workflow, poison.alert]);

    // One round: the refusal sets that incident aside and does not make the round fail (which
    // would slow every other incident down with it).
    const dispatcher = engine.app.get(InboxDispatcher);
    await eventually('the refused rows to be set aside', async () => {
      await dispatcher.drainOnce();
      const [row] = await engine.db.query(`SELECT dead_at, dead_reason FROM inbox WHERE alert_id = $1`, [poison.alert]);
      return row?.dead_at ? row : undefined;
    });
    const [dead] = await engine.db.query(`SELECT dead_reason, dispatched_at FROM inbox WHERE alert_id = $1`, [poison.alert]);
    expect(dead.dispatched_at).toBeNull();
    expect(dead.dead_reason).toMatch(/refused/i);

    const next = await sendGeneric(engine.baseUrl, genericAlert(`${host}-next`), { delivery: `${host}-next` });
    await eventually('a newer incident to reach its playbook', async () => ((await timeline(next.body.incidentId)).length >= 2 ? true : undefined), 20_000);

    // Visible: on the incident, in /readyz (still ready: the door and the others work), in /metrics.
    const view = (await getJson(`${engine.baseUrl}/incidents/${poison.incident}`)).body;
    expect(view.dispatch).toMatchObject({ deadLetters: 1, error: expect.stringMatching(/refused/i) });
    const ready = await getJson(`${engine.baseUrl}/readyz`, null);
    expect(ready.body.inbox).toMatchObject({ deadLetters: 1 });
    const metrics = await (await fetch(`${engine.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^palisade_inbox_dead_letters 1$/m);

    // Sending it again while the cause remains only sets it aside again; once fixed, it goes.
    await engine.db.query(`UPDATE incidents SET entity = $2 WHERE id = $1`, [poison.incident, `host:${host}-fixed`]);
    const again = await postJson(`${engine.baseUrl}/incidents/${poison.incident}/redispatch`, {});
    expect(again).toMatchObject({ status: 202, body: { requeued: 1 } });
    await eventually('the fixed incident to reach its playbook', async () => ((await timeline(poison.incident)).length >= 2 ? true : undefined), 20_000);
    const [sent] = await engine.db.query(`SELECT dead_at, dispatched_at FROM inbox WHERE alert_id = $1`, [poison.alert]);
    expect(sent.dead_at).toBeNull();
    expect(sent.dispatched_at).not.toBeNull();
  });

  it('redispatch is for admins, and says so', async () => {
    const viewer = await postJson(`${engine.baseUrl}/tokens`, { name: 'dana', role: 'responder' });
    const res = await postJson(`${engine.baseUrl}/incidents/${randomUUID()}/redispatch`, {}, viewer.body.token);
    expect(res).toMatchObject({ status: 403, body: { error: 'forbidden' } });
  });
});
