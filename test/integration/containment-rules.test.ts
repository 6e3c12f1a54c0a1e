import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eventually, getJson, postJson, tokenFor } from '../support/engine';
import { incidentStatus, playbookTestBed, timeline } from '../support/playbooks';
import { genericAlert, sendGeneric } from '../support/webhooks';

// Who may undo containment, and who may order it: a person's word alone does neither.
describe('containment needs two people', () => {
  const bed = playbookTestBed();

  async function developmentHost(): Promise<string> {
    const id = `i-${randomUUID().slice(0, 8)}`;
    await bed.fleet.addHost({ id, hostname: `dev-${id}`, owner: 'team-web', environment: 'development', criticality: 'medium', tags: {} });
    return id;
  }

  /** A host-compromise alert for a development host: isolated at once, without a gate. */
  async function isolatedByAlert(host: string): Promise<string> {
    const res = await sendGeneric(bed.engine.baseUrl, genericAlert(host, { category: 'host-compromise', severity: 'high' }), { delivery: `${host}-alert` });
    expect(res.body.disposition).toBe('started');
    await incidentStatus(bed.engine, res.body.incidentId, 'contained');
    expect((await bed.fleet.host(host))?.isolated).toBe(true);
    return res.body.incidentId as string;
  }

  const approvals = async (incidentId: string) => (await getJson(`${bed.engine.baseUrl}/incidents/${incidentId}/approvals`)).body.gates as { id: string; status: string; requestedBy: string }[];
  const voteAs = async (who: string, incidentId: string, gateId: string, decision: 'approve' | 'deny', reason?: string) =>
    postJson(`${bed.engine.baseUrl}/incidents/${incidentId}/approvals/${gateId}`, { decision, reason }, await tokenFor(bed.engine.baseUrl, who, 'approver'));

  it('a cancel after containment waits for another approver before the host is released', async () => {
    const host = await developmentHost();
    const incidentId = await isolatedByAlert(host);

    const cancel = await postJson(`${bed.engine.baseUrl}/incidents/${incidentId}/cancel`, { reason: 'false positive: a pentest' }, await tokenFor(bed.engine.baseUrl, 'alice', 'approver'));
    expect(cancel).toMatchObject({ status: 202, body: { status: 'awaiting-approval', gateId: expect.stringMatching(/^undo-containment/) } });
    const gateId = cancel.body.gateId as string;
    await eventually('the undo gate to open', async () => ((await approvals(incidentId)).find((g) => g.id === gateId && g.status === 'open') ? true : undefined));
    expect((await approvals(incidentId)).find((g) => g.id === gateId)).toMatchObject({ requestedBy: 'alice' });
    expect((await bed.fleet.host(host))?.isolated).toBe(true);

    // Four-eyes: the one who asked cannot approve it.
    expect(await voteAs('alice', incidentId, gateId, 'approve')).toMatchObject({ status: 409, body: { error: 'own_request' } });
    expect(await voteAs('bob', incidentId, gateId, 'approve', 'confirmed with the pentest lead')).toMatchObject({ status: 200, body: { outcome: 'approved' } });
    await incidentStatus(bed.engine, incidentId, 'cancelled');
    expect((await bed.fleet.host(host))?.isolated).toBe(false);
    const events = await timeline(bed.engine, incidentId);
    expect(events.map((e) => e.type).slice(-7)).toEqual(['gate.requested', 'gate.vote', 'gate.decided', 'compensation.started', 'step.started', 'step.succeeded', 'incident.cancelled']);
  }, 60_000);

  it('a cancel whose undo is denied leaves the host contained, and the incident can still be resolved', async () => {
    const host = await developmentHost();
    const incidentId = await isolatedByAlert(host);
    const cancel = await postJson(`${bed.engine.baseUrl}/incidents/${incidentId}/cancel`, { reason: 'looks benign' }, await tokenFor(bed.engine.baseUrl, 'carol', 'responder'));
    expect(cancel.body.status).toBe('awaiting-approval');
    const gateId = cancel.body.gateId as string;
    await eventually('the undo gate to open', async () => ((await approvals(incidentId)).find((g) => g.id === gateId && g.status === 'open') ? true : undefined));
    expect(await voteAs('bob', incidentId, gateId, 'deny', 'the beacon is real')).toMatchObject({ status: 200, body: { outcome: 'denied' } });
    await eventually('the refusal on the timeline', async () => ((await timeline(bed.engine, incidentId)).some((e) => e.type === 'note' && e.data.undo === 'refused') ? true : undefined));
    expect((await getJson(`${bed.engine.baseUrl}/incidents/${incidentId}`)).body.status).toBe('contained');
    expect((await bed.fleet.host(host))?.isolated).toBe(true);

    await postJson(`${bed.engine.baseUrl}/incidents/${incidentId}/resolve`, { classification: 'true_positive', reason: 'host rebuilt by hand' }, await tokenFor(bed.engine.baseUrl, 'carol', 'responder'));
    await incidentStatus(bed.engine, incidentId, 'resolved');
    expect((await bed.fleet.host(host))?.isolated).toBe(true);
  }, 60_000);

  it('a run started by hand asks before it isolates, and its starter cannot approve', async () => {
    const host = await developmentHost();
    const started = await postJson(`${bed.engine.baseUrl}/playbooks/host-compromise/runs`, { params: { host }, severity: 'high' }, await tokenFor(bed.engine.baseUrl, 'alice', 'approver'));
    expect(started.status).toBe(202);
    const { incidentId } = started.body as { incidentId: string };
    await eventually('the isolate gate to open', async () => ((await approvals(incidentId)).find((g) => g.id === 'isolate-host' && g.status === 'open') ? true : undefined), 30_000);
    expect((await bed.fleet.host(host))?.isolated).toBe(false);
    expect(await voteAs('alice', incidentId, 'isolate-host', 'approve')).toMatchObject({ status: 409, body: { error: 'own_request' } });
    expect(await voteAs('bob', incidentId, 'isolate-host', 'approve')).toMatchObject({ status: 200, body: { outcome: 'approved' } });
    await incidentStatus(bed.engine, incidentId, 'contained');
    expect((await bed.fleet.host(host))?.isolated).toBe(true);
  }, 60_000);
});
