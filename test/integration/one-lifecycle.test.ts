import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, getJson, postJson, startTestEngine, tokenFor, type TestEngine } from '../support/engine';
import { genericAlert, sendGeneric } from '../support/webhooks';

// Triage and manual incidents run on the same runner as the response playbooks: cancel and
// resolve mean the same thing for every incident (both answered 202 and did nothing before).
describe('one lifecycle for every incident', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine();
  });
  afterAll(async () => {
    await engine?.close();
  });

  const statusOf = (id: string, status: string) =>
    eventually(`incident ${id} to be ${status}`, async () => {
      const res = await getJson(`${engine.baseUrl}/incidents/${id}`);
      return res.body.status === status ? res.body : undefined;
    }, 30_000);

  const timelineTypes = async (id: string): Promise<string[]> => ((await getJson(`${engine.baseUrl}/incidents/${id}/timeline`)).body.events as { type: string }[]).map((e) => e.type);

  it('cancels a triage incident: its run stops and the incident closes as cancelled', async () => {
    const host = `triage-${randomUUID().slice(0, 8)}`;
    const sent = await sendGeneric(engine.baseUrl, genericAlert(host, { category: 'other', title: 'Odd login banner' }), { delivery: `d-${host}` });
    expect(sent.status).toBe(202);
    const id = sent.body.incidentId as string;
    await eventually('the triage run to hold the alert', async () => {
      const res = await getJson(`${engine.baseUrl}/incidents/${id}`);
      return res.body.playbook === 'triage' && res.body.live?.alertCount === 1 ? true : undefined;
    });

    const cancel = await postJson(`${engine.baseUrl}/incidents/${id}/cancel`, { reason: 'a scheduled banner change' }, await tokenFor(engine.baseUrl, 'carol', 'responder'));
    expect(cancel.status).toBe(202);
    const closed = await statusOf(id, 'cancelled');
    expect(closed).toMatchObject({ id, playbook: 'triage', liveStatus: 'closed' });
    expect(await timelineTypes(id)).toContain('incident.cancelled');
  });

  it('resolves an incident reported by hand: its run waits for a responder, then closes it', async () => {
    const made = await postJson(`${engine.baseUrl}/incidents`, { title: 'Laptop stolen from a car', severity: 'high' }, await tokenFor(engine.baseUrl, 'carol', 'responder'));
    expect(made.status).toBe(202);
    const id = made.body.incidentId as string;
    const running = await eventually('the manual incident to run', async () => {
      const res = await getJson(`${engine.baseUrl}/incidents/${id}`);
      return res.body.liveStatus === 'running' && res.body.live ? res.body : undefined;
    });
    expect(running).toMatchObject({ status: 'open', playbook: 'manual-incident', live: { incidentId: id, status: 'open' } });

    const resolve = await postJson(`${engine.baseUrl}/incidents/${id}/resolve`, { classification: 'true_positive', reason: 'the laptop was found, disk encrypted' }, await tokenFor(engine.baseUrl, 'carol', 'responder'));
    expect(resolve.status).toBe(202);
    await statusOf(id, 'resolved');
    const types = await timelineTypes(id);
    expect(types.slice(0, 2)).toEqual(['incident.created', 'playbook.started']);
    expect(types).toContain('incident.resolved');
  });
});
