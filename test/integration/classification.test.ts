import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SimulatedFleet } from '../../activities/providers/simulated/fleet';
import { eventually, getJson, postJson, startTestEngine, tokenFor, type TestEngine } from '../support/engine';
import { incidentStatus, startRun, timeline } from '../support/playbooks';

const ALLOWED = 'true_positive, benign_true_positive, false_positive, duplicate, test';

// Closing an incident says what it was: over real HTTP, a real worker, Temporal and Postgres.
describe('classification on close', () => {
  let engine: TestEngine;
  let client: Client;
  let carol: string;
  beforeAll(async () => {
    engine = await startTestEngine();
    client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
    carol = await tokenFor(engine.baseUrl, 'carol', 'responder');
  });
  afterAll(async () => {
    await client?.connection.close();
    await engine?.close();
  });

  /** An incident reported by hand, once its playbook has opened it (it waits for a responder). */
  async function reported(title: string): Promise<string> {
    const created = await postJson(`${engine.baseUrl}/incidents`, { title, severity: 'high' }, carol);
    expect(created.status).toBe(202);
    const id = created.body.incidentId as string;
    await eventually('the playbook to open it', async () => ((await getJson(`${engine.baseUrl}/incidents/${id}`)).body.liveStatus === 'running' ? true : undefined), 30_000);
    return id;
  }

  it('refuses a resolve without a classification, naming the allowed values, and records the one a person gives', async () => {
    const id = await reported('Badge reader logs show a cloned badge');
    for (const body of [{ reason: 'the badge was revoked' }, { reason: 'the badge was revoked', classification: 'maybe' }]) {
      const refused = await postJson(`${engine.baseUrl}/incidents/${id}/resolve`, body, carol);
      expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
      expect(refused.body.message).toContain('classification');
      expect(refused.body.message).toContain(ALLOWED);
    }
    expect((await getJson(`${engine.baseUrl}/incidents/${id}`)).body.status).toBe('open');

    const res = await postJson(`${engine.baseUrl}/incidents/${id}/resolve`, { classification: 'benign_true_positive', reason: 'the facilities team tested a new reader' }, carol);
    expect(res.status).toBe(202);
    await incidentStatus(engine, id, 'resolved');
    const incident = (await getJson(`${engine.baseUrl}/incidents/${id}`)).body;
    expect(incident).toMatchObject({ classification: 'benign_true_positive', classificationReason: 'the facilities team tested a new reader', classifiedBy: 'carol' });
    const closing = (await timeline(engine, id)).find((e) => e.type === 'incident.resolved')!;
    expect(closing).toMatchObject({ actor: 'carol', data: { classification: 'benign_true_positive', classifiedBy: 'carol' } });
    expect(closing.summary).toContain('benign true positive');

    const pm = await getJson(`${engine.baseUrl}/incidents/${id}/postmortem?format=json`);
    expect(pm.body.summary.classification).toEqual({ classification: 'benign_true_positive', label: 'benign true positive', reason: 'the facilities team tested a new reader', by: 'carol' });
    const md = await (await fetch(`${engine.baseUrl}/incidents/${id}/postmortem?format=md`, { headers: { authorization: `Bearer ${carol}` } })).text();
    expect(md).toContain('benign true positive');
  }, 90_000);

  it('a cancel records a false positive unless the responder says otherwise', async () => {
    const plain = await reported('Impossible travel for the CFO');
    const test = await reported('Red team exercise: phishing click');
    expect((await postJson(`${engine.baseUrl}/incidents/${plain}/cancel`, { reason: 'the CFO uses a VPN' }, carol)).status).toBe(202);
    expect((await postJson(`${engine.baseUrl}/incidents/${test}/cancel`, { reason: 'planned exercise', classification: 'test' }, carol)).status).toBe(202);
    await incidentStatus(engine, plain, 'cancelled');
    await incidentStatus(engine, test, 'cancelled');
    expect((await getJson(`${engine.baseUrl}/incidents/${plain}`)).body).toMatchObject({ classification: 'false_positive', classificationReason: 'the CFO uses a VPN', classifiedBy: 'carol' });
    expect((await getJson(`${engine.baseUrl}/incidents/${test}`)).body).toMatchObject({ classification: 'test', classificationReason: 'planned exercise', classifiedBy: 'carol' });
    const refused = await postJson(`${engine.baseUrl}/incidents/${plain}/cancel`, { reason: 'x', classification: 'nonsense' }, carol);
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(refused.body.message).toContain(ALLOWED);
  }, 90_000);

  it('a playbook that resolves by itself records a true positive by automation', async () => {
    const fleet = new SimulatedFleet(engine.db);
    const id = `sg-${randomUUID().slice(0, 8)}`;
    const baseline = { ingress: [{ port: 22, protocol: 'tcp', cidr: '10.0.0.0/8' }] };
    await fleet.addResource({ id, kind: 'aws_security_group', baseline, current: { ingress: [{ port: 22, protocol: 'tcp', cidr: '0.0.0.0/0' }] } });
    const run = await startRun(client, engine, 'config-drift', { entity: { kind: 'resource', key: id, display: id } });
    await incidentStatus(engine, run.incidentId, 'resolved');
    const incident = (await getJson(`${engine.baseUrl}/incidents/${run.incidentId}`)).body;
    expect(incident).toMatchObject({ classification: 'true_positive', classifiedBy: 'automation' });
    expect(incident.classificationReason).toContain('reverted');
    expect((await timeline(engine, run.incidentId)).find((e) => e.type === 'incident.resolved')).toMatchObject({ data: { classification: 'true_positive', classifiedBy: 'automation' } });
  }, 90_000);
});
