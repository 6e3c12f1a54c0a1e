import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Capability } from '../../lib/providers/capabilities';
import { cancelSignal, resolveSignal, stateQuery } from '../../workflows/shared/messages';
import { eventually } from '../support/engine';
import { alertStorm, gateOpen, incidentStatus, playbookTestBed, rejection, startRun, timeline, type TimelineRow, types, vote } from '../support/playbooks';

// The config-drift playbook on a real worker, real Temporal and real Postgres, against the
// simulated fleet. Each test adds resources of its own, so faults never touch another test.
describe('config-drift playbook', () => {
  const bed = playbookTestBed();

  const BASELINE = {
    ingress: [
      { port: 443, protocol: 'tcp', cidr: '0.0.0.0/0' },
      { port: 22, protocol: 'tcp', cidr: '10.0.0.0/8' },
    ],
    instanceType: 't3.small',
    tags: { team: 'web' },
    adminPassword: 'hunter2-baseline',
  };
  /** SSH opened to the internet, and the admin password changed. */
  const OPENED = { ...BASELINE, ingress: [BASELINE.ingress[0], { port: 22, protocol: 'tcp', cidr: '0.0.0.0/0' }], adminPassword: 'correct-horse-live' };
  /** A bigger instance and a new tag: nothing security-relevant. */
  const RESIZED = { ...BASELINE, instanceType: 't3.large', tags: { team: 'web', cost: 'shared' } };

  async function resource(current: Record<string, unknown> = BASELINE) {
    const id = `sg-${randomUUID().slice(0, 8)}`;
    await bed.fleet.addResource({ id, kind: 'aws_security_group', baseline: BASELINE, current });
    return { kind: 'resource' as const, key: id, display: id };
  }
  const changing = async (id: string) => (await bed.fleet.calls({ target: id })).filter((c) => c.outcome === 'applied').map((c) => c.action);
  const steps = (events: TimelineRow[]) => events.filter((e) => e.type === 'step.succeeded').map((e) => e.data.step);
  const closing = (events: TimelineRow[]) => events.find((e) => e.type === 'playbook.completed')?.summary ?? '';

  it('reverts security-relevant drift at once, verifies it, and never shows the secret values', async () => {
    const entity = await resource(OPENED);
    const run = await startRun(bed.client, bed.engine, 'config-drift', { entity });
    const resolved = await incidentStatus(bed.engine, run.incidentId, 'resolved');
    expect(resolved.contained_at).not.toBeNull();
    // The playbook responds; acknowledging is a person's act, and nobody did.
    expect(resolved.acknowledged_at).toBeNull();

    const events = await timeline(bed.engine, run.incidentId);
    expect(steps(events)).toEqual(['Compare with the baseline', 'Revert to the baseline', 'Verify against the baseline']);
    expect(types(events).filter((t) => t.startsWith('gate.'))).toEqual([]);
    const note = events.find((e) => e.type === 'note')!;
    expect(note.data).toMatchObject({ resourceId: entity.key, verdict: 'security', relevant: 2 });
    expect(note.data.changes).toEqual([
      { path: 'adminPassword', kind: 'changed', securityRelevant: true, reason: 'touches admin', secret: true },
      { path: 'ingress[1].cidr', kind: 'changed', from: '10.0.0.0/8', to: '0.0.0.0/0', securityRelevant: true, reason: 'opens it to 0.0.0.0/0 (anyone)', secret: false },
    ]);
    expect(closing(events)).toContain('ingress[1].cidr: 10.0.0.0/8 → 0.0.0.0/0');
    expect(closing(events)).toContain('adminPassword: (changed)');
    expect(closing(events)).toContain('reverted and verified');
    expect(events.at(-1)?.type).toBe('incident.resolved');
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    const everything = JSON.stringify(events);
    for (const secret of ['hunter2-baseline', 'correct-horse-live']) expect(everything).not.toContain(secret);

    expect((await bed.fleet.resource(entity.key))?.current).toEqual(BASELINE);
    expect(await changing(entity.key)).toEqual(['revert']);
  }, 60_000);

  it('asks an approver to choose for other drift, rejects votes that do not count, and quarantines when chosen', async () => {
    const entity = await resource(RESIZED);
    const run = await startRun(bed.client, bed.engine, 'config-drift', { entity, requestedBy: 'bob' });
    const gate = await gateOpen(run.handle, 'drift-decision');
    expect(gate).toMatchObject({ options: ['revert', 'quarantine', 'accept'], needed: 1, status: 'open' });

    expect(await rejection(vote(run.handle, 'drift-decision', 'bob', 'approve', 'my own change', 'accept'))).toMatchObject({ code: 'own_request' });
    expect(gate.summary).toContain('instanceType: t3.small → t3.large');

    expect(await rejection(vote(run.handle, 'drift-decision', 'carol', 'approve', 'looks fine', 'accept'))).toMatchObject({ code: 'not_allowed' });
    expect(await rejection(vote(run.handle, 'drift-decision', 'alice', 'approve', 'do something'))).toMatchObject({ code: 'invalid_choice', message: expect.stringContaining('revert, quarantine, accept') });
    expect(await rejection(vote(run.handle, 'drift-decision', 'alice', 'approve', 'hmm', 'delete'))).toMatchObject({ code: 'invalid_choice' });
    expect(await vote(run.handle, 'drift-decision', 'alice', 'approve', 'nobody asked for this resize; take it out', 'quarantine')).toMatchObject({ outcome: 'approved' });

    const resolved = await incidentStatus(bed.engine, run.incidentId, 'resolved');
    expect(resolved.contained_at).not.toBeNull();
    const events = await timeline(bed.engine, run.incidentId);
    expect(steps(events)).toEqual(['Compare with the baseline', `Quarantine ${entity.key}`]);
    expect(events.find((e) => e.type === 'gate.decided')?.summary).toContain('approved (quarantine) by alice');
    expect(closing(events)).toContain('quarantined, the drift remains in place');
    const after = await bed.fleet.resource(entity.key);
    expect(after).toMatchObject({ quarantined: true, current: RESIZED, baseline: BASELINE });
    expect(await changing(entity.key)).toEqual(['quarantine']);
  }, 60_000);

  it('makes accepted drift the new baseline, and verifies it', async () => {
    const entity = await resource(RESIZED);
    const run = await startRun(bed.client, bed.engine, 'config-drift', { entity });
    await gateOpen(run.handle, 'drift-decision');
    await vote(run.handle, 'drift-decision', 'bob', 'approve', 'the resize was planned', 'accept');
    await incidentStatus(bed.engine, run.incidentId, 'resolved');
    const events = await timeline(bed.engine, run.incidentId);
    expect(steps(events)).toEqual(['Compare with the baseline', 'Accept as the new baseline', 'Verify against the baseline']);
    expect(closing(events)).toContain('accepted as the new baseline and verified');
    expect(await bed.fleet.resource(entity.key)).toMatchObject({ quarantined: false, baseline: RESIZED, current: RESIZED });
    expect(await changing(entity.key)).toEqual(['acceptCurrent']);
  }, 60_000);

  it('changes nothing when cancelled while the gate is open', async () => {
    const entity = await resource(RESIZED);
    const run = await startRun(bed.client, bed.engine, 'config-drift', { entity });
    await gateOpen(run.handle, 'drift-decision');
    // As a responder would: cancel once the request is on the timeline. (The gate shows in the
    // state query a moment before; a cancel in that moment leaves it 'open', not 'withdrawn'.)
    await eventually('the gate on the timeline', async () => (types(await timeline(bed.engine, run.incidentId)).includes('gate.requested') ? true : undefined));
    await run.handle.signal(cancelSignal, { reason: 'planned change, ticket CHG-42', actor: 'bob' });
    await incidentStatus(bed.engine, run.incidentId, 'cancelled');
    const events = await timeline(bed.engine, run.incidentId);
    expect(events.at(-1)).toMatchObject({ type: 'incident.cancelled', actor: 'bob' });
    expect((await run.handle.query(stateQuery)).gates?.[0].status).toBe('withdrawn');
    expect(await bed.fleet.resource(entity.key)).toMatchObject({ quarantined: false, baseline: BASELINE, current: RESIZED });
    expect(await changing(entity.key)).toEqual([]);
    await expect(vote(run.handle, 'drift-decision', 'alice', 'approve', undefined, 'revert')).rejects.toThrow();
  }, 60_000);

  it('leaves denied drift in place, says so, and closes', async () => {
    const entity = await resource(RESIZED);
    const run = await startRun(bed.client, bed.engine, 'config-drift', { entity });
    await gateOpen(run.handle, 'drift-decision');
    expect(await vote(run.handle, 'drift-decision', 'alice', 'deny', 'leave it for the owner')).toMatchObject({ outcome: 'denied' });
    await incidentStatus(bed.engine, run.incidentId, 'resolved');
    const events = await timeline(bed.engine, run.incidentId);
    expect(events.find((e) => e.type === 'step.skipped')?.summary).toContain('the drift remains');
    expect(closing(events)).toContain('not approved, the drift remains');
    expect(closing(events)).toContain('tags.cost: (absent) → shared');
    expect(await bed.fleet.resource(entity.key)).toMatchObject({ quarantined: false, baseline: BASELINE, current: RESIZED });
    expect(await changing(entity.key)).toEqual([]);
  }, 60_000);

  it('escalates a decision nobody makes, then applies the fallback (deny): nothing changes', async () => {
    const entity = await resource(RESIZED);
    const run = await startRun(bed.client, bed.fast, 'config-drift', { entity });
    await incidentStatus(bed.fast, run.incidentId, 'resolved', 40_000);
    const events = await timeline(bed.fast, run.incidentId);
    const gate = events.filter((e) => e.type.startsWith('gate.'));
    expect(types(gate)).toEqual(['gate.requested', 'gate.escalated', 'gate.expired']);
    expect(gate[2].data.fallback).toBe('deny');
    expect(closing(events)).toContain('the drift remains');
    const escalations = await bed.fleet.notifications({ recipient: 'secops-leads', kind: 'escalate' });
    expect(escalations.filter((n) => n.body.includes(run.incidentId))).toHaveLength(1);
    expect(await bed.fleet.resource(entity.key)).toMatchObject({ quarantined: false, current: RESIZED });
    expect(await changing(entity.key)).toEqual([]);
    await expect(vote(run.handle, 'drift-decision', 'bob', 'approve', undefined, 'revert')).rejects.toThrow();
  }, 60_000);

  it('retries a failing revert, fails the step, pages, and resolves when a responder says so', async () => {
    const entity = await resource(OPENED);
    await bed.fleet.setFault(Capability.ConfigBaseline, { action: 'revert', target: entity.key, offline: true });
    const run = await startRun(bed.client, bed.engine, 'config-drift', { entity });
    await eventually('the playbook to fail', async () => ((await run.handle.query(stateQuery)).phase === 'failed' ? true : undefined), 30_000);
    // The page is the last thing a failed playbook does before it waits for a responder.
    const pages = await eventually('the page', async () => {
      const all = await bed.fleet.notifications({ recipient: 'secops-oncall', kind: 'page' });
      const mine = all.filter((n) => n.body.includes(run.incidentId));
      return mine.length > 0 ? mine : undefined;
    });
    const failed = await timeline(bed.engine, run.incidentId);
    const revert = failed.filter((e) => e.type.startsWith('step.') && e.data.step === 'Revert to the baseline');
    expect(types(revert)).toEqual(['step.started', 'step.retrying', 'step.retrying', 'step.retrying', 'step.failed']);
    expect(failed.find((e) => e.type === 'playbook.failed')?.data).toMatchObject({ step: 'Revert to the baseline', errorType: 'AgentOffline', attempts: 4 });
    expect(pages[0].subject).toContain('Revert to the baseline');

    await run.handle.signal(resolveSignal, { reason: 'reverted by hand in the console', actor: 'bob' });
    await incidentStatus(bed.engine, run.incidentId, 'resolved');
    const events = await timeline(bed.engine, run.incidentId);
    expect(events.at(-1)).toMatchObject({ type: 'incident.resolved', actor: 'bob' });
    expect(types(events)).not.toContain('playbook.completed');
    expect(await bed.fleet.resource(entity.key)).toMatchObject({ current: OPENED });
    expect(await changing(entity.key)).toEqual([]);
  }, 60_000);

  it('takes a storm of alerts while the gate is open, and the gate still decides', async () => {
    const entity = await resource(RESIZED);
    const run = await startRun(bed.client, bed.engine, 'config-drift', { entity, severity: 'medium' });
    await gateOpen(run.handle, 'drift-decision');
    const state = await alertStorm(run.handle, run.incidentId, { source: 'securityhub', title: 'configuration drift', severity: 'low' });
    expect(state.pendingGates?.map((g) => g.id)).toEqual(['drift-decision']);
    expect(await vote(run.handle, 'drift-decision', 'alice', 'approve', 'put it back', 'revert')).toMatchObject({ outcome: 'approved' });
    await incidentStatus(bed.engine, run.incidentId, 'resolved');
    const events = await timeline(bed.engine, run.incidentId);
    expect(events.filter((e) => e.type === 'alerts.merged')).toHaveLength(40);
    expect(events.at(-1)?.data.totalAlerts).toBe(1000);
    expect(steps(events)).toEqual(['Compare with the baseline', 'Revert to the baseline', 'Verify against the baseline']);
    expect((await bed.fleet.resource(entity.key))?.current).toEqual(BASELINE);
    expect(await changing(entity.key)).toEqual(['revert']);
  }, 90_000);

  it('closes at once when there is no drift (started by hand)', async () => {
    const entity = await resource();
    const run = await startRun(bed.client, bed.engine, 'config-drift', { entity, params: { resourceId: entity.key }, requestedBy: 'alice' });
    const resolved = await incidentStatus(bed.engine, run.incidentId, 'resolved');
    expect(resolved.contained_at).toBeNull();
    const events = await timeline(bed.engine, run.incidentId);
    expect(steps(events)).toEqual(['Compare with the baseline']);
    expect(closing(events)).toBe(`Playbook config-drift finished: ${entity.key}: no drift, it matches its baseline`);
    expect(types(events)).not.toContain('gate.requested');
    expect(await changing(entity.key)).toEqual([]);
  }, 60_000);
});
