import { Client, Connection } from '@temporalio/client';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, getJson, postJson, startTestEngine, testSecret, tokenFor, type TestEngine } from '../support/engine';
import { post, sendGeneric } from '../support/webhooks';

// Secrets in what senders and people send reach neither Postgres (alerts, timeline) nor
// Temporal history: the door redacts alerts after its adapters parse them, and the API
// redacts reasons, titles and params before it hands them to a playbook.
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const fresh = (n: number) => Array.from(randomBytes(n), (b) => ALNUM[b % ALNUM.length]).join('');
const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Five secrets of the shapes a security review got through the door, made fresh for each test. */
function secrets() {
  return {
    password: `pw-${fresh(14)}`,
    jwt: `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: fresh(8) })}.${fresh(43)}`,
    gitlab: `glpat-${fresh(20)}`,
    stripe: `sk_live_${fresh(24)}`,
    pg: `pg-${fresh(16)}`,
  };
}

describe('redaction before Postgres and Temporal history', () => {
  let engine: TestEngine;
  let temporal: Client;
  let connection: Connection;

  beforeAll(async () => {
    engine = await startTestEngine({ env: { PALISADE_ROUTING_FILE: 'test/fixtures/runbooks/routing-triage.yaml' } });
    connection = await Connection.connect({ address: inject('temporalAddress') });
    temporal = new Client({ connection });
  });
  afterAll(async () => {
    await connection?.close();
    await engine?.close();
  });

  /** A history as text, its payloads (bytes, which JSON.stringify shows as a Buffer's numbers) decoded. */
  const historyOf = async (workflowId: string) =>
    JSON.stringify(await temporal.workflow.getHandle(workflowId).fetchHistory(), (k, v: unknown) => {
      if (k === 'data' && typeof v === 'string') return Buffer.from(v, 'base64').toString('utf8');
      const b = v as { type?: unknown; data?: unknown } | null;
      return b && b.type === 'Buffer' && Array.isArray(b.data) ? Buffer.from(b.data as number[]).toString('utf8') : v;
    });
  const workflowIdOf = async (incidentId: string) => (await engine.db.query<{ workflow_id: string }[]>(`SELECT workflow_id FROM incidents WHERE id = $1`, [incidentId]))[0].workflow_id;
  const timelineText = async (incidentId: string) => JSON.stringify((await getJson(`${engine.baseUrl}/incidents/${incidentId}/timeline`)).body);
  const expectNone = (text: string, values: string[], where: string) => {
    for (const v of values) expect(text, `${where} holds ${v.slice(0, 12)}…`).not.toContain(v);
  };

  it('a generic alert whose description holds password=, a JWT, glpat-, sk_live_ and PGPASSWORD= keeps none of them', async () => {
    const s = secrets();
    const host = `red-${randomUUID().slice(0, 8)}`;
    const description = `login with password=${s.password} then ${s.jwt}; pushed ${s.gitlab}; billing ${s.stripe}; PGPASSWORD=${s.pg} psql`;
    const sent = await sendGeneric(engine.baseUrl, { title: 'Credentials in a build log', severity: 'high', entity: { kind: 'host', key: host }, description, labels: { cookie: `sid=${s.password}` } });
    expect(sent.status).toBe(202);
    const incidentId = sent.body.incidentId as string;

    const alert = await getJson(`${engine.baseUrl}/alerts/${sent.body.alertIds[0]}`);
    expect(alert.status).toBe(200);
    expectNone(JSON.stringify(alert.body), Object.values(s), 'GET /alerts/:id');
    expect(alert.body.description).toContain('[REDACTED');
    expect(alert.body.description).toContain('psql');

    const workflowId = await workflowIdOf(incidentId);
    const history = await eventually('the alert in the playbook history', async () => {
      const text = await historyOf(workflowId).catch(() => ''); // not started until the inbox hands it over
      return text.includes('Credentials in a build log') ? text : undefined;
    }, 30_000);
    expectNone(history, Object.values(s), 'Temporal history');
    expectNone(await timelineText(incidentId), Object.values(s), 'the timeline');
  }, 60_000);

  it('a Splunk row with a password field and a JSON _raw keeps neither in its description or raw', async () => {
    const s = secrets();
    const host = `spl-${randomUUID().slice(0, 8)}`;
    const body = {
      sid: `scheduler__admin__search__RMD5${fresh(10)}`,
      search_name: 'Cleartext credentials in logs',
      result: { host, user: 'svc-backup', password: s.password, _raw: JSON.stringify({ host, passphrase: s.pg, msg: 'backup ok' }) },
    };
    const sent = await post(`${engine.baseUrl}/webhooks/splunk`, JSON.stringify(body), { 'content-type': 'application/json', authorization: `Bearer ${testSecret('splunk')}` });
    expect(sent.status).toBe(202);
    const alert = await getJson(`${engine.baseUrl}/alerts/${sent.body.alertIds[0]}`);
    expectNone(JSON.stringify(alert.body), [s.password, s.pg], 'GET /alerts/:id');
    expect(JSON.parse(alert.body.description)).toMatchObject({ host, msg: 'backup ok' });
  });

  it('reasons, titles and params people type are redacted before Temporal history', async () => {
    const s = secrets();
    const responder = await tokenFor(engine.baseUrl, 'alice', 'responder');
    const closed = async (incidentId: string) => {
      let last = '';
      await eventually(`incident ${incidentId} closed`, async () => {
        const res = await getJson(`${engine.baseUrl}/incidents/${incidentId}`);
        last = JSON.stringify(res.body).slice(0, 400);
        return ['resolved', 'cancelled'].includes(res.body.status) ? true : undefined;
      }, 60_000).catch((err: Error) => { throw new Error(`${err.message}: ${last}`); });
    };
    const checked: string[] = [];
    const expectClean = async (incidentId: string) => {
      expectNone(await historyOf(await workflowIdOf(incidentId)), [...Object.values(s), `${s.password}x`], `Temporal history of ${incidentId}`);
      expectNone(await timelineText(incidentId), [...Object.values(s), `${s.password}x`], `the timeline of ${incidentId}`);
      checked.push(incidentId);
    };

    // A playbook started by hand, its title and params carrying secrets; a deny with one in its reason.
    const host = `hand-${randomUUID().slice(0, 8)}`;
    const run = await postJson(`${engine.baseUrl}/playbooks/host-compromise/runs`, { params: { host, image: `ami-1 --password ${s.password}` }, title: `Compromise, key ${s.stripe}` }, responder);
    expect(run, JSON.stringify(run.body)).toMatchObject({ status: 202 });
    await eventually('the isolate-host gate', async () => {
      const res = await getJson(`${engine.baseUrl}/incidents/${run.body.incidentId}/approvals`);
      return res.status === 200 && res.body.gates.some((g: { id: string; status: string }) => g.id === 'isolate-host' && g.status === 'open') ? true : undefined;
    }, 30_000);
    const denied = await postJson(`${engine.baseUrl}/incidents/${run.body.incidentId}/approvals/isolate-host`, { decision: 'deny', reason: `false positive, see ${s.jwt}` }, await tokenFor(engine.baseUrl, 'bob', 'approver'));
    expect(denied, JSON.stringify(denied.body)).toMatchObject({ status: 200 });
    const cancelled = await postJson(`${engine.baseUrl}/incidents/${run.body.incidentId}/cancel`, { reason: `test run; password=${s.password}x` }, responder);
    expect(cancelled, JSON.stringify(cancelled.body)).toMatchObject({ status: 202 });
    await closed(run.body.incidentId as string);
    await expectClean(run.body.incidentId as string);

    // A manual incident whose title holds a token.
    const manual = await postJson(`${engine.baseUrl}/incidents`, { title: `Leaked ${s.gitlab} in chat`, severity: 'medium', entity: `host:${host} PGPASSWORD=${s.pg}` }, responder);
    expect(manual, JSON.stringify(manual.body)).toMatchObject({ status: 202 });
    await eventually('the manual incident', async () => ((await getJson(`${engine.baseUrl}/incidents/${manual.body.incidentId}`)).status === 200 ? true : undefined));
    await expectClean(manual.body.incidentId as string);

    // An alert's incident resolved with a secret in the reason.
    const sent = await sendGeneric(engine.baseUrl, { title: 'To resolve', severity: 'low', entity: { kind: 'host', key: `res-${randomUUID().slice(0, 8)}` } });
    const incidentId = sent.body.incidentId as string;
    await eventually('its playbook running', async () => ((await getJson(`${engine.baseUrl}/incidents/${incidentId}`)).body.liveStatus === 'running' ? true : undefined), 30_000);
    const resolved = await postJson(`${engine.baseUrl}/incidents/${incidentId}/resolve`, { classification: 'true_positive', reason: `rotated, old PGPASSWORD=${s.pg}` }, responder);
    expect(resolved, JSON.stringify(resolved.body)).toMatchObject({ status: 202 });
    await closed(incidentId);
    await expectClean(incidentId);
    expect(checked).toHaveLength(3);
  }, 120_000);
});
