import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Capability } from '../../lib/providers/capabilities';
import { cancelSignal, resolveSignal, stateQuery } from '../../workflows/shared/messages';
import { eventually } from '../support/engine';
import { alertStorm, gateOpen, incidentStatus, playbookTestBed, rejection, type StartedRun, startRun, timeline, type TimelineRow, types, vote } from '../support/playbooks';

// The patch-canary playbook on a real worker, real Temporal and real Postgres, against the
// simulated fleet. Each test rolls out a patch of its own to hosts of its own, watched on an
// SLI of its own, so faults and degraded metrics never touch another test.
describe('patch-canary playbook', () => {
  const bed = playbookTestBed();

  /** 20 development hosts tagged for this rollout (ids sort in wave order), its patch, and its SLI at a healthy 0.01. */
  async function rollout(opts: { breaks?: number; waves?: number[]; bake?: string } = {}) {
    const tag = randomUUID().slice(0, 8);
    const ids = Array.from({ length: 20 }, (_, i) => `pc-${tag}-${String(i).padStart(2, '0')}`);
    await Promise.all(ids.map((id) => bed.fleet.addHost({ id, owner: 'team-web', environment: 'development', criticality: 'medium', tags: { rollout: tag } })));
    const patchId = `KB-${tag}`;
    const sli = `error_rate_${tag}`;
    await bed.fleet.setSli(sli, 0.01);
    await bed.fleet.addPatch(opts.breaks === undefined ? { id: patchId } : { id: patchId, breaksSli: sli, degradedValue: opts.breaks });
    const params = { patchId, hosts: { environment: 'development', tags: { rollout: tag } }, waves: opts.waves ?? [10, 50, 100], bake: opts.bake ?? '1s', slo: { sli, max: 0.05 } };
    const entity = { kind: 'resource' as const, key: `patch:${patchId}`, display: `patch ${patchId}` };
    /** The rollout's hosts that carry the patch now. */
    const patched = async () => (await Promise.all(ids.map((id) => bed.fleet.host(id)))).filter((h) => h?.patches.includes(patchId)).map((h) => h!.id);
    return { ids, patchId, sli, params, entity, patched };
  }

  const stepsThat = (events: TimelineRow[], type: string) => events.filter((e) => e.type === type).map((e) => e.data.step as string);
  const patchingActions = async (run: StartedRun) =>
    (await bed.fleet.actions({ capability: Capability.Patching })).filter((a) => a.idempotencyKey.startsWith(`${run.incidentId}/`)).map((a) => `${a.action} ${a.idempotencyKey.split('/').at(-1)}`);

  it('patches wave by wave, baking and checking the SLO, widening only when approved, and resolves', async () => {
    const r = await rollout();
    const run = await startRun(bed.client, bed.engine, 'patch-canary', { entity: r.entity, params: r.params, requestedBy: 'alice' });
    const widen2 = await gateOpen(run.handle, 'widen-wave-2');
    expect(widen2).toMatchObject({ step: 'Widen to wave 2 (8 hosts)', requestedBy: 'alice', needed: 1 });
    expect(await r.patched()).toEqual(r.ids.slice(0, 2));
    await vote(run.handle, 'widen-wave-2', 'bob', 'approve', 'canary is clean');
    await gateOpen(run.handle, 'widen-wave-3');
    expect(await r.patched()).toEqual(r.ids.slice(0, 10));
    await vote(run.handle, 'widen-wave-3', 'bob');

    const resolved = await incidentStatus(bed.engine, run.incidentId, 'resolved');
    // The playbook responds; acknowledging is a person's act, and nobody did.
    expect(resolved.acknowledged_at).toBeNull();
    expect(await r.patched()).toEqual(r.ids);
    const events = await timeline(bed.engine, run.incidentId);
    expect(stepsThat(events, 'step.succeeded')).toEqual([
      'List the hosts',
      'Patch wave 1',
      `Check ${r.sli} on wave 1`,
      'Patch wave 2',
      `Check ${r.sli} on wave 2`,
      'Patch wave 3',
      `Check ${r.sli} on wave 3`,
    ]);
    const plan = events.find((e) => e.type === 'note' && e.summary.startsWith('Plan'));
    expect(plan?.data.waves.map((w: { hostIds: string[] }) => w.hostIds.length)).toEqual([2, 8, 10]);
    expect(events.filter((e) => e.type === 'note' && e.data.bakeUntil)).toHaveLength(3);
    expect(events.filter((e) => e.type === 'gate.decided').map((e) => e.data.gateId)).toEqual(['widen-wave-2', 'widen-wave-3']);
    expect(types(events)).not.toContain('compensation.started');
    expect(events.at(-1)).toMatchObject({ type: 'incident.resolved', summary: expect.stringContaining('all 3 wave(s) healthy; 20 of 20') });
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    // Each wave applied once, on its own idempotency key.
    expect(await patchingActions(run)).toEqual(['apply Patch wave 1', 'apply Patch wave 2', 'apply Patch wave 3']);
    const applied = (await bed.fleet.calls({ capability: Capability.Patching })).filter((c) => c.idempotencyKey.startsWith(`${run.incidentId}/`) && c.outcome === 'applied');
    expect(applied).toHaveLength(3);
  }, 60_000);

  it('rolls the canary back by itself when the SLO breaks, raises the severity and tells the requester', async () => {
    const r = await rollout({ breaks: 0.3 });
    const run = await startRun(bed.client, bed.engine, 'patch-canary', { entity: r.entity, params: r.params, requestedBy: 'alice', severity: 'medium' });
    await incidentStatus(bed.engine, run.incidentId, 'resolved');
    expect(await r.patched()).toEqual([]);
    const events = await timeline(bed.engine, run.incidentId);
    expect(types(events).filter((t) => t.startsWith('gate.'))).toEqual([]);
    expect(events.find((e) => e.type === 'note' && e.summary.startsWith('SLO breached'))?.data.reading).toMatchObject({ value: 0.3, samples: 2 });
    expect(events.find((e) => e.type === 'incident.severity-raised')?.data).toEqual({ from: 'medium', to: 'high' });
    expect(events.filter((e) => e.type === 'compensation.started').map((e) => e.data.compensation)).toEqual(['Roll back wave 1']);
    expect(stepsThat(events, 'step.succeeded')).toEqual(['List the hosts', 'Patch wave 1', `Check ${r.sli} on wave 1`, 'Roll back wave 1', `Tell alice: ${r.patchId} rolled back`]);
    expect(events.at(-1)?.summary).toContain('SLO breached');
    expect(await patchingActions(run)).toEqual(['apply Patch wave 1', 'rollback Roll back wave 1']);
    const [row] = await bed.engine.db.query(`SELECT severity FROM incidents WHERE id = $1`, [run.incidentId]);
    expect(row.severity).toBe('high');
    expect((await bed.fleet.notifications({ recipient: 'alice' })).filter((n) => n.subject.includes(r.patchId))).toHaveLength(1);
  }, 60_000);

  it('rolls back every patched wave, newest first and once each, when a later wave breaches', async () => {
    const r = await rollout();
    const run = await startRun(bed.client, bed.engine, 'patch-canary', { entity: r.entity, params: r.params, requestedBy: 'alice' });
    await gateOpen(run.handle, 'widen-wave-2');
    await bed.fleet.setSli(r.sli, 0.3); // the service goes bad while the second wave bakes
    await vote(run.handle, 'widen-wave-2', 'bob');
    await incidentStatus(bed.engine, run.incidentId, 'resolved');
    expect(await r.patched()).toEqual([]);
    const events = await timeline(bed.engine, run.incidentId);
    expect(events.filter((e) => e.type === 'compensation.started').map((e) => e.data.compensation)).toEqual(['Roll back wave 2', 'Roll back wave 1']);
    expect(await patchingActions(run)).toEqual(['apply Patch wave 1', 'apply Patch wave 2', 'rollback Roll back wave 2', 'rollback Roll back wave 1']);
    expect(events.at(-1)?.summary).toContain('rolled back 2 wave(s)');
    expect(types(events).filter((t) => t === 'gate.requested')).toHaveLength(1);
  }, 60_000);

  it('stops where it is when widening is denied, keeping the patched canary, and closes', async () => {
    const r = await rollout();
    const run = await startRun(bed.client, bed.engine, 'patch-canary', { entity: r.entity, params: r.params, requestedBy: 'alice' });
    await gateOpen(run.handle, 'widen-wave-2');
    expect(await vote(run.handle, 'widen-wave-2', 'bob', 'deny', 'wait for the change freeze to end')).toMatchObject({ outcome: 'denied' });
    await incidentStatus(bed.engine, run.incidentId, 'resolved');
    expect(await r.patched()).toEqual(r.ids.slice(0, 2));
    const events = await timeline(bed.engine, run.incidentId);
    expect(types(events)).not.toContain('compensation.started');
    expect(events.at(-1)?.summary).toContain('stopped after wave 1 (widening not approved); 2 of 20 host(s) keep the patch');
    expect(await patchingActions(run)).toEqual(['apply Patch wave 1']);
  }, 60_000);

  it('keeps four eyes on widening, and rolls every patched wave back when cancelled at a gate', async () => {
    const r = await rollout();
    const run = await startRun(bed.client, bed.engine, 'patch-canary', { entity: r.entity, params: r.params, requestedBy: 'alice' });
    await gateOpen(run.handle, 'widen-wave-2');
    expect(await rejection(vote(run.handle, 'widen-wave-2', 'alice'))).toMatchObject({ code: 'own_request' });
    expect(await rejection(vote(run.handle, 'widen-wave-2', 'carol'))).toMatchObject({ code: 'not_allowed' });
    await vote(run.handle, 'widen-wave-2', 'bob');
    await gateOpen(run.handle, 'widen-wave-3');
    expect(await r.patched()).toEqual(r.ids.slice(0, 10));

    await run.handle.signal(cancelSignal, { reason: 'wrong patch', actor: 'bob' });
    await incidentStatus(bed.engine, run.incidentId, 'cancelled');
    expect(await r.patched()).toEqual([]);
    const events = await timeline(bed.engine, run.incidentId);
    expect(events.filter((e) => e.type === 'compensation.started').map((e) => e.data.compensation)).toEqual(['Roll back wave 2', 'Roll back wave 1']);
    expect(events.at(-1)?.type).toBe('incident.cancelled');
    expect((await run.handle.query(stateQuery)).gates?.find((g) => g.id === 'widen-wave-3')?.status).toBe('withdrawn');
  }, 60_000);

  it('escalates a widen nobody decides, pauses and pages, then carries on once someone approves', async () => {
    const r = await rollout({ waves: [50, 100] });
    const run = await startRun(bed.client, bed.fast, 'patch-canary', { entity: r.entity, params: r.params, requestedBy: 'alice' });
    await eventually(
      'widen-wave-2 to pause',
      async () => ((await run.handle.query(stateQuery)).pendingGates?.find((g) => g.id === 'widen-wave-2' && g.status === 'paused') ? true : undefined),
      30_000,
    );
    const pages = await eventually('the page', async () => {
      const sent = (await bed.fleet.notifications({ recipient: 'secops-oncall', kind: 'page' })).filter((n) => n.body.includes(run.incidentId));
      return sent.length > 0 ? sent : undefined;
    });
    expect(pages[0].subject).toContain('Widen to wave 2 (10 hosts)');
    expect(await r.patched()).toEqual(r.ids.slice(0, 10));

    await vote(run.handle, 'widen-wave-2', 'bob', 'approve', 'seen the page; metrics fine');
    await incidentStatus(bed.fast, run.incidentId, 'resolved');
    expect(await r.patched()).toEqual(r.ids);
    const gate = (await timeline(bed.fast, run.incidentId)).filter((e) => e.type.startsWith('gate.'));
    expect(types(gate)).toEqual(['gate.requested', 'gate.escalated', 'gate.paused', 'gate.vote', 'gate.decided']);
    expect(gate[1].data.notify).toBe('secops-leads');
  }, 60_000);

  it('retries a failing wave, then rolls back every wave, pages, and waits for a responder', async () => {
    const r = await rollout();
    await bed.fleet.setFault(Capability.Patching, { action: 'apply', target: `${r.patchId} on ${r.ids.slice(2, 10).join(',')}`, failNext: 100 });
    const run = await startRun(bed.client, bed.engine, 'patch-canary', { entity: r.entity, params: r.params, requestedBy: 'alice' });
    await gateOpen(run.handle, 'widen-wave-2');
    await vote(run.handle, 'widen-wave-2', 'bob');
    // phase turns 'failed' before the compensations run: wait for the event recorded after them.
    const failed = await eventually(
      'the playbook to fail',
      async () => {
        const events = await timeline(bed.engine, run.incidentId);
        return events.some((e) => e.type === 'playbook.failed') ? events : undefined;
      },
      30_000,
    );
    const wave2 = failed.filter((e) => e.data.step === 'Patch wave 2' && e.type.startsWith('step.')).map((e) => e.type);
    expect(wave2).toEqual(['step.started', 'step.retrying', 'step.retrying', 'step.retrying', 'step.failed']);
    // Wave 2's rollback was registered before its apply, in case the apply half landed: harmless here.
    expect(failed.filter((e) => e.type === 'compensation.started').map((e) => e.data.compensation)).toEqual(['Roll back wave 2', 'Roll back wave 1']);
    expect(failed.find((e) => e.type === 'playbook.failed')?.data).toMatchObject({ step: 'Patch wave 2', errorType: 'Unavailable', attempts: 4 });
    expect(await r.patched()).toEqual([]);
    await eventually('the page', async () => {
      const sent = (await bed.fleet.notifications({ recipient: 'secops-oncall', kind: 'page' })).filter((n) => n.body.includes(run.incidentId));
      return sent.length > 0 ? sent : undefined;
    });

    await run.handle.signal(resolveSignal, { reason: 'rolled back; will retry the patch next week', actor: 'bob' });
    await incidentStatus(bed.engine, run.incidentId, 'resolved');
    const events = await timeline(bed.engine, run.incidentId);
    expect(events.at(-1)).toMatchObject({ type: 'incident.resolved', actor: 'bob' });
    expect(events.filter((e) => e.type === 'compensation.started')).toHaveLength(2);
  }, 60_000);

  it('rolls back every patched host when cancelled mid-bake', async () => {
    const r = await rollout({ bake: '10m' });
    const run = await startRun(bed.client, bed.engine, 'patch-canary', { entity: r.entity, params: r.params, requestedBy: 'alice' });
    await eventually('wave 1 to bake', async () => ((await run.handle.query(stateQuery)).currentStep === 'Bake wave 1' ? true : undefined));
    expect(await r.patched()).toEqual(r.ids.slice(0, 2));
    await run.handle.signal(cancelSignal, { reason: 'vendor pulled the patch', actor: 'bob' });
    await incidentStatus(bed.engine, run.incidentId, 'cancelled');
    expect(await r.patched()).toEqual([]);
    const events = await timeline(bed.engine, run.incidentId);
    expect(stepsThat(events, 'step.succeeded')).toEqual(['List the hosts', 'Patch wave 1', 'Roll back wave 1']);
    expect(types(events).slice(-4)).toEqual(['compensation.started', 'step.started', 'step.succeeded', 'incident.cancelled']);
  }, 60_000);

  it('takes a storm of merged alerts while a widen gate is open, and the gate stays decidable', async () => {
    const r = await rollout();
    const run = await startRun(bed.client, bed.engine, 'patch-canary', { entity: r.entity, params: r.params });
    await gateOpen(run.handle, 'widen-wave-2');
    const state = await alertStorm(run.handle, run.incidentId, { source: 'generic', title: 'error budget burn', severity: 'medium' });
    expect(state.pendingGates?.map((g) => g.id)).toEqual(['widen-wave-2']);
    expect(await vote(run.handle, 'widen-wave-2', 'bob')).toMatchObject({ outcome: 'approved' });
    await gateOpen(run.handle, 'widen-wave-3');
    await run.handle.signal(cancelSignal, { reason: 'enough', actor: 'bob' });
    await incidentStatus(bed.engine, run.incidentId, 'cancelled');
    expect(await r.patched()).toEqual([]);
    const events = await timeline(bed.engine, run.incidentId);
    expect(events.filter((e) => e.type === 'alerts.merged')).toHaveLength(40);
  }, 90_000);
});
