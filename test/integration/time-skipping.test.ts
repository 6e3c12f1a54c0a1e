import type { WorkflowHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedFleet } from '../../activities/providers/simulated/fleet';
import { Capability } from '../../lib/providers/capabilities';
import { SEARCH_ATTRIBUTE } from '../../lib/temporal/names';
import { stateQuery } from '../../workflows/shared/messages';
import { quickQuery, startTimeSkipping, type TimeSkippingEnvironment } from '../kit/time-skipping';
import { eventually, getJson, startTestEngine, type TestEngine } from '../support/engine';
import { rejection, startRun, type TimelineRow, types, vote } from '../support/playbooks';
import { genericAlert, sendGeneric } from '../support/webhooks';

const MINUTE = 60_000;

interface TimedEvent extends TimelineRow {
  /** Workflow time: the test server's clock, which skips. */
  at: number;
}

// Shipped policies and shipped bakes, at their real lengths, on Temporal's time-skipping test
// server (the Java build, fetched once into .cache/): the real worker and activities, the real
// API and Postgres, the simulated fleet. Nothing here shrinks a clock: each test would take an
// hour of wall time on a real server, and passes within the test timeout here. The timeline's
// own timestamps (workflow time) show the lengths.
describe('playbooks on the time-skipping test server, at their shipped lengths', () => {
  let env: TimeSkippingEnvironment;
  let engine: TestEngine;
  let fleet: SimulatedFleet;

  beforeAll(async () => {
    env = await startTimeSkipping();
    // runbooks/approvals.yaml as shipped: 15 minutes, one 15-minute escalation tier, then deny.
    // The time-skipping test server has no worker deployments: the worker runs unversioned.
    engine = await startTestEngine({ temporalAddress: env.address, env: { PALISADE_WORKER_VERSIONING: 'false' } });
    fleet = new SimulatedFleet(engine.db);
  });
  afterAll(async () => {
    await engine?.close();
    await env?.teardown();
  });

  async function timeline(incidentId: string): Promise<TimedEvent[]> {
    const rows: (TimelineRow & { occurred_at: Date })[] = await engine.db.query(
      `SELECT sequence, type, actor, summary, data, occurred_at FROM timeline_events WHERE incident_id = $1 ORDER BY sequence`,
      [incidentId],
    );
    return rows.map(({ occurred_at, ...row }) => ({ ...row, at: occurred_at.getTime() }));
  }

  const gateEvents = (events: TimedEvent[], gateId: string) => events.filter((e) => e.type.startsWith('gate.') && e.data.gateId === gateId);
  const pendingGate = (handle: WorkflowHandle, gateId: string) => async () => (await quickQuery(handle, stateQuery))?.pendingGates?.find((g) => g.id === gateId);

  async function host(environment: 'production' | 'development', criticality: 'medium' | 'critical' = 'medium') {
    const id = `i-${randomUUID().slice(0, 8)}`;
    await fleet.addHost({ id, hostname: `${environment}-${id}`, owner: 'team-web', environment, criticality, tags: { 'golden-image': 'ami-golden-7' } });
    return id;
  }

  it('escalates an undecided isolate-host gate after 15 minutes, denies it after 30, and the playbook goes on to resolve', async () => {
    const hostId = await host('production');
    // Through the door: a signed webhook, routed to host-compromise, started by the inbox dispatcher.
    const sent = await sendGeneric(engine.baseUrl, genericAlert(hostId));
    expect(sent.status).toBe(202);
    const incidentId = sent.body.incidentId as string;
    const [{ workflow_id: workflowId }] = await engine.db.query(`SELECT workflow_id FROM incidents WHERE id = $1`, [incidentId]);
    const handle = env.client.workflow.getHandle(workflowId as string);
    await eventually('the inbox dispatcher to start the playbook', () => handle.describe().then(() => true, () => undefined));

    // Nobody votes: awaiting the result lets the server skip to each deadline.
    expect(await handle.result()).toMatchObject({ incidentId, status: 'resolved' });

    const events = await timeline(incidentId);
    const isolate = gateEvents(events, 'isolate-host');
    expect(types(isolate)).toEqual(['gate.requested', 'gate.escalated', 'gate.expired']);
    const [requested, escalated, expired] = isolate;
    expect(requested.data).toMatchObject({ fallback: 'deny', needed: 1 });
    expect(Date.parse(requested.data.deadline) - requested.at).toBe(15 * MINUTE);
    expect(Date.parse(requested.data.expiresAt) - requested.at).toBe(30 * MINUTE);
    // Each clock ran its full length, in workflow time.
    expect(escalated.at - requested.at).toBeGreaterThanOrEqual(15 * MINUTE);
    expect(escalated.at - requested.at).toBeLessThan(16 * MINUTE);
    expect(escalated.data).toMatchObject({ tier: 1, notify: 'secops-leads' });
    expect(expired.at - requested.at).toBeGreaterThanOrEqual(30 * MINUTE);
    expect(expired.at - requested.at).toBeLessThan(31 * MINUTE);
    expect(expired.data.fallback).toBe('deny');

    // The fallback applied and the playbook went on: no isolation, the owner told, the next gate asked.
    const after = events.filter((e) => e.sequence > expired.sequence);
    expect(after[0]).toMatchObject({ type: 'step.skipped', data: { step: 'Isolate the host' } });
    expect(after.filter((e) => e.type === 'step.succeeded').map((e) => e.data.step)).toEqual([
      'Notify the owner',
      'Escalate replace-host to secops-leads (tier 1)',
    ]);
    expect(types(gateEvents(events, 'replace-host'))).toEqual(['gate.requested', 'gate.escalated', 'gate.expired']);
    expect(events.at(-1)).toMatchObject({ type: 'incident.resolved', summary: expect.stringContaining('not isolated (not approved); not replaced') });
    // Two gates of 30 minutes each, one after the other.
    expect(events.at(-1)!.at - events[0].at).toBeGreaterThanOrEqual(60 * MINUTE);

    expect((await fleet.host(hostId))?.isolated).toBe(false);
    const escalations = (await fleet.notifications({ recipient: 'secops-leads', kind: 'escalate' })).filter((n) => n.id.startsWith(incidentId));
    expect(escalations).toHaveLength(2);
    // The server took the playbook's memo and its search attributes (registered by the kit).
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(SEARCH_ATTRIBUTE.playbook)).toBe('host-compromise');
    expect(described.typedSearchAttributes.get(SEARCH_ATTRIBUTE.source)).toEqual(['generic']);
    expect(described.memo).toMatchObject({ incidentId, playbook: 'host-compromise' });
  });

  it("takes votes through the gate's decide Update, its validator's refusals included, with time held still", async () => {
    const hostId = await host('production', 'critical');
    const entity = { kind: 'host' as const, key: hostId, display: hostId };
    const run = await startRun(env.client, engine, 'host-compromise', { entity, requestedBy: 'alice' });
    const gate = await eventually('isolate-host to open', pendingGate(run.handle, 'isolate-host'), 30_000);
    expect(gate).toMatchObject({ needed: 2, critical: true });

    expect(await rejection(vote(run.handle, 'isolate-host', 'alice'))).toMatchObject({ code: 'own_request' });
    expect(await rejection(vote(run.handle, 'isolate-host', 'carol'))).toMatchObject({ code: 'not_allowed' });
    expect(await vote(run.handle, 'isolate-host', 'bob', 'approve', 'confirmed beaconing')).toMatchObject({ outcome: 'pending', approvals: 1, needed: 2 });
    expect(await rejection(vote(run.handle, 'isolate-host', 'bob'))).toMatchObject({ code: 'already_voted' });
    // A 15-minute gate waits for its second approver as long as the test does not skip time.
    expect((await run.handle.query(stateQuery)).pendingGates?.map((g) => [g.id, g.tier])).toEqual([['isolate-host', 0]]);

    // Nobody else decides: the server skips to the escalation, then to the fallback (deny).
    expect(await run.handle.result()).toMatchObject({ status: 'resolved' });
    const events = await timeline(run.incidentId);
    const isolate = gateEvents(events, 'isolate-host');
    expect(types(isolate)).toEqual(['gate.requested', 'gate.vote', 'gate.escalated', 'gate.expired']);
    expect(isolate[1]).toMatchObject({ data: { approverId: 'bob', reason: 'confirmed beaconing' } });
    expect(isolate[3].at - isolate[0].at).toBeGreaterThanOrEqual(30 * MINUTE);
    expect((await fleet.host(hostId))?.isolated).toBe(false);
  });

  it('rolls a patch out wave by wave with the shipped 10-minute bakes, widening when approved', async () => {
    const tag = randomUUID().slice(0, 8);
    const ids = Array.from({ length: 20 }, (_, i) => `ts-${tag}-${String(i).padStart(2, '0')}`);
    await Promise.all(ids.map((id) => fleet.addHost({ id, owner: 'team-web', environment: 'development', criticality: 'medium', tags: { rollout: tag } })));
    const patchId = `KB-${tag}`;
    const sli = `error_rate_${tag}`;
    await fleet.setSli(sli, 0.01);
    await fleet.addPatch({ id: patchId });
    // No bake and no waves: the playbook's shipped defaults (10m; 5, 25, 100 percent).
    const params = { patchId, hosts: { environment: 'development', tags: { rollout: tag } }, slo: { sli, max: 0.05 } };
    const entity = { kind: 'resource' as const, key: `patch:${patchId}`, display: `patch ${patchId}` };
    const run = await startRun(env.client, engine, 'patch-canary', { entity, params, requestedBy: 'alice' });

    // Skip a minute of server time at a time until each gate opens, answer it, go on.
    for (const gateId of ['widen-wave-2', 'widen-wave-3']) {
      await env.advanceUntil(`${gateId} to open`, pendingGate(run.handle, gateId), { limit: '1h' });
      expect(await vote(run.handle, gateId, 'bob', 'approve', 'wave is clean')).toMatchObject({ outcome: 'approved' });
    }
    expect(await run.handle.result()).toMatchObject({ status: 'resolved' });

    const events = await timeline(run.incidentId);
    const bakes = events.filter((e) => e.type === 'note' && e.data.bakeUntil);
    expect(bakes.map((e) => e.data.bake)).toEqual(['10m', '10m', '10m']);
    for (const [n, bake] of bakes.entries()) {
      const check = events.find((e) => e.type === 'step.started' && e.data.step === `Check ${sli} on wave ${n + 1}`)!;
      expect(check.at - bake.at).toBeGreaterThanOrEqual(10 * MINUTE);
      expect(check.at).toBeGreaterThanOrEqual(Date.parse(bake.data.bakeUntil));
    }
    // Answered before their 15-minute deadlines: skipping a minute at a time never overshot one.
    expect(types(events)).not.toContain('gate.escalated');
    expect(events.filter((e) => e.type === 'gate.decided').map((e) => e.data.gateId)).toEqual(['widen-wave-2', 'widen-wave-3']);
    expect(events.at(-1)).toMatchObject({ type: 'incident.resolved', summary: expect.stringContaining('all 3 wave(s) healthy; 20 of 20') });
    const patched = (await fleet.actions({ capability: Capability.Patching })).filter((a) => a.idempotencyKey.startsWith(`${run.incidentId}/`));
    expect(patched.map((a) => a.action)).toEqual(['apply', 'apply', 'apply']);
  });

  // What the README says this server cannot do: if a release adds them, this fails and the README changes.
  it('cannot list task queue pollers (so /readyz says not ready) nor answer visibility queries', async () => {
    const ready = await getJson(`${engine.baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.body.message).toContain('DescribeTaskQueue is unimplemented');
    await expect(env.client.workflow.count(`PalisadePlaybook = 'host-compromise'`)).rejects.toMatchObject({
      cause: { message: expect.stringContaining('CountWorkflowExecutions is unimplemented') },
    });
  });
});
