import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Capability } from '../../lib/providers/capabilities';
import { SEARCH_ATTRIBUTE } from '../../lib/temporal/names';
import { cancelSignal, decideUpdate, resolveSignal, stateQuery } from '../../workflows/shared/messages';
import { eventually } from '../support/engine';
import { alertStorm, gateOpen, incidentStatus, PEOPLE, playbookTestBed, rejection, startRun, timeline, types, vote } from '../support/playbooks';

// The host-compromise playbook on a real worker, real Temporal and real Postgres, against the
// simulated fleet. Each test enrolls hosts of its own, so faults never touch another test.
describe('host-compromise playbook', () => {
  const bed = playbookTestBed();

  async function host(environment: 'production' | 'development', criticality: 'medium' | 'critical' = 'medium') {
    const id = `i-${randomUUID().slice(0, 8)}`;
    await bed.fleet.addHost({ id, hostname: `${environment}-${id}`, owner: 'team-web', environment, criticality, tags: { 'golden-image': 'ami-golden-7' } });
    return { kind: 'host' as const, key: id, display: id };
  }

  it('isolates a development host at once, rebuilds it once approved, and resolves', async () => {
    const entity = await host('development');
    const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity });
    await gateOpen(run.handle, 'replace-host');
    expect((await bed.fleet.host(entity.key))?.isolated).toBe(true);
    await vote(run.handle, 'replace-host', 'alice', 'approve', 'rebuild it');

    const resolved = await incidentStatus(bed.engine, run.incidentId, 'resolved');
    expect(resolved.contained_at).not.toBeNull();
    // The playbook responds; acknowledging is a person's act, and nobody did.
    expect(resolved.acknowledged_at).toBeNull();
    const events = await timeline(bed.engine, run.incidentId);
    const steps = events.filter((e) => e.type === 'step.succeeded').map((e) => e.data.step);
    expect(steps).toEqual(['Enrich from inventory', 'Snapshot disks', 'Collect volatile data', 'Isolate the host', 'Verify isolation', 'Notify the owner', 'Replace from the golden image']);
    expect(types(events).filter((t) => t.startsWith('gate.'))).toEqual(['gate.requested', 'gate.vote', 'gate.decided']);
    expect(events.at(-1)?.type).toBe('incident.resolved');
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    expect((await bed.fleet.host(entity.key))?.replacedBy).toBeTruthy();
    // Every changing action applied once, on its own idempotency key.
    const applied = (await bed.fleet.calls({ target: entity.key })).filter((c) => c.outcome === 'applied');
    expect(applied.map((c) => c.action).sort()).toEqual(['collectVolatile', 'isolate', 'replace', 'snapshotDisks'].sort());
    expect((await bed.fleet.notifications({ recipient: 'team-web' })).filter((n) => n.id.startsWith(run.incidentId))).toHaveLength(1);
  }, 60_000);

  it('reaches its isolate gate with one activity per step and the whole timeline written, in order', async () => {
    const entity = await host('production');
    const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity });
    await gateOpen(run.handle, 'isolate-host');
    // What waits at the gate is on the timeline, nothing held back: every step's start and
    // success, the status change, the gate's request, with no gap in the sequence.
    const events = await eventually('the gate on the timeline', async () => {
      const written = await timeline(bed.engine, run.incidentId);
      return written.some((e) => e.type === 'gate.requested') ? written : undefined;
    });
    expect(types(events).filter((t) => t !== 'alerts.merged')).toEqual([
      'incident.created',
      'playbook.started',
      'step.started',
      'step.succeeded',
      'incident.status-changed',
      'step.started',
      'step.succeeded',
      'step.started',
      'step.succeeded',
      'gate.requested',
    ]);
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    // The gate's request is written as the run waits: the dispatcher may start the next new incident.
    await eventually('the run to say it waits', async () => {
      const [row] = await bed.engine.db.query<{ run_state: string }[]>(`SELECT run_state FROM incidents WHERE id = $1`, [run.incidentId]);
      return row?.run_state === 'waiting' ? true : undefined;
    });
    // A step is one activity: its provider call writes its start and what the run held back
    // before it; the rest rides with the next write (here the gate's request).
    const history = await run.handle.fetchHistory();
    const scheduled = (history.events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter((n): n is string => !!n);
    expect(scheduled.filter((n) => n.startsWith('append'))).toEqual(['appendTimelineEvents']);
    // The opening is one activity: the open check, the incident's row, its owner and the policies.
    expect(scheduled.filter((n) => ['openIncident', 'beginRun', 'recordIncident', 'assignOnOpen', 'loadApprovalPolicies'].includes(n))).toEqual(['openIncident']);
    expect(scheduled.filter((n) => ['lookupHost', 'snapshotDisks', 'collectVolatile'].includes(n))).toEqual(['lookupHost', 'snapshotDisks', 'collectVolatile']);
    // The status change is no activity of its own either: the projection moved with the call that carried it.
    expect(scheduled).not.toContain('setIncidentStatus');
    // Each upsert and patch marker costs the server a visibility write: a new run records one
    // marker for every change (EVERY_CHANGE), and upserts only what its start did not say (its
    // build, when Worker Versioning runs it), besides the marker's TemporalChangeVersion.
    const recorded = history.events ?? [];
    expect(recorded.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')).toHaveLength(1);
    const upserted = recorded.flatMap((e) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}));
    expect(upserted.filter((key) => key !== SEARCH_ATTRIBUTE.playbookVersion.name)).toEqual(['TemporalChangeVersion']);
    const [row] = await bed.engine.db.query<{ status: string }[]>(`SELECT status FROM incidents WHERE id = $1`, [run.incidentId]);
    expect(row.status).toBe('responding');
    await run.handle.signal(cancelSignal, { reason: 'test over', actor: 'bob' });
    await incidentStatus(bed.engine, run.incidentId, 'cancelled');
  }, 60_000);

  it('rejects votes that do not count, with a reason, and needs two approvers for a critical host', async () => {
    const entity = await host('production', 'critical');
    const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity, requestedBy: 'alice' });
    const gate = await gateOpen(run.handle, 'isolate-host');
    expect(gate).toMatchObject({ needed: 2, critical: true, requestedBy: 'alice', status: 'open' });
    // A responder asking what the run is doing reads the step that waits for the decision.
    expect(await run.handle.query(stateQuery)).toMatchObject({ phase: 'waiting-approval', currentStep: `Isolate production-${entity.key}` });

    expect(await rejection(vote(run.handle, 'isolate-host', 'alice'))).toMatchObject({ code: 'own_request', message: expect.stringContaining('four-eyes') });
    expect(await rejection(vote(run.handle, 'isolate-host', 'carol'))).toMatchObject({ code: 'not_allowed', message: expect.stringContaining('role approver') });
    expect(await rejection(vote(run.handle, 'no-such-gate', 'bob'))).toMatchObject({ code: 'unknown_gate' });
    // A vote meant for another incident on the same workflow id (an earlier one, since closed) does not count here.
    const stale = run.handle.executeUpdate(decideUpdate, { args: [{ gateId: 'isolate-host', incidentId: randomUUID(), decision: 'approve', approver: PEOPLE.bob }] });
    expect(await rejection(stale)).toMatchObject({ code: 'unknown_gate' });
    expect(await vote(run.handle, 'isolate-host', 'bob')).toMatchObject({ outcome: 'pending', approvals: 1, needed: 2 });
    expect(await rejection(vote(run.handle, 'isolate-host', 'bob'))).toMatchObject({ code: 'already_voted' });
    expect((await bed.fleet.host(entity.key))?.isolated).toBe(false);
    await run.handle.signal(cancelSignal, { reason: 'drill over', actor: 'bob' });
    await incidentStatus(bed.engine, run.incidentId, 'cancelled');
    // The run is over: nothing takes a vote any more.
    await expect(vote(run.handle, 'isolate-host', 'bob')).rejects.toThrow();
  }, 60_000);

  it('keeps a denied host online, says so, and still closes', async () => {
    const entity = await host('production');
    const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity });
    await gateOpen(run.handle, 'isolate-host');
    expect(await vote(run.handle, 'isolate-host', 'bob', 'deny', 'it is the payment gateway; watch it instead')).toMatchObject({ outcome: 'denied' });
    await gateOpen(run.handle, 'replace-host');
    await vote(run.handle, 'replace-host', 'alice', 'deny', 'not now');
    await incidentStatus(bed.engine, run.incidentId, 'resolved');
    const events = await timeline(bed.engine, run.incidentId);
    expect(events.find((e) => e.type === 'step.skipped')?.summary).toContain('not approved');
    expect(events.find((e) => e.type === 'gate.vote')).toMatchObject({ actor: 'bob', data: { reason: 'it is the payment gateway; watch it instead' } });
    expect(events.at(-1)?.summary).toContain('not isolated');
    expect((await bed.fleet.host(entity.key))?.isolated).toBe(false);
  }, 60_000);

  it('escalates a gate nobody decides, then applies the fallback (deny)', async () => {
    const entity = await host('production');
    const run = await startRun(bed.client, bed.fast, 'host-compromise', { entity });
    await incidentStatus(bed.fast, run.incidentId, 'resolved', 40_000);
    const events = await timeline(bed.fast, run.incidentId);
    const gate = events.filter((e) => e.type.startsWith('gate.') && e.data.gateId === 'isolate-host');
    expect(types(gate)).toEqual(['gate.requested', 'gate.escalated', 'gate.expired']);
    expect(gate[2].data.fallback).toBe('deny');
    expect((await bed.fleet.notifications({ recipient: 'secops-leads', kind: 'escalate' })).filter((n) => n.id.startsWith(run.incidentId))).toHaveLength(2);
    expect((await bed.fleet.host(entity.key))?.isolated).toBe(false);
    // The run is over: nothing takes a vote any more.
    await expect(vote(run.handle, 'isolate-host', 'bob')).rejects.toThrow();
  }, 60_000);

  it('retries a failing agent, fails the step, pages, and releases the host when cancelled', async () => {
    const entity = await host('development');
    await bed.fleet.setFault(Capability.HostIsolation, { action: 'verify', target: entity.key, offline: true });
    const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity });
    await eventually('the playbook to fail', async () => ((await run.handle.query(stateQuery)).phase === 'failed' ? true : undefined), 30_000);
    const failed = await timeline(bed.engine, run.incidentId);
    const verify = failed.filter((e) => e.data.step === 'Verify isolation').map((e) => e.type);
    expect(verify).toEqual(['step.started', 'step.retrying', 'step.retrying', 'step.retrying', 'step.failed', 'playbook.failed']);
    expect(failed.find((e) => e.type === 'step.retrying')?.data.errorType).toBe('AgentOffline');
    expect((await bed.fleet.notifications({ recipient: 'secops-oncall', kind: 'page' })).filter((n) => n.id.startsWith(run.incidentId))).toHaveLength(1);
    // Containment stays while a responder looks: release is undone only on cancel.
    expect((await bed.fleet.host(entity.key))?.isolated).toBe(true);

    await run.handle.signal(cancelSignal, { reason: 'false positive: a pentest', actor: 'bob' });
    // Releasing an isolated host on bob's cancel needs another approver.
    await gateOpen(run.handle, 'undo-containment');
    expect(await rejection(vote(run.handle, 'undo-containment', 'bob'))).toMatchObject({ code: 'own_request' });
    expect((await bed.fleet.host(entity.key))?.isolated).toBe(true);
    await vote(run.handle, 'undo-containment', 'alice', 'approve', 'pentest confirmed');
    await incidentStatus(bed.engine, run.incidentId, 'cancelled');
    const events = await timeline(bed.engine, run.incidentId);
    expect(types(events).slice(-4)).toEqual(['compensation.started', 'step.started', 'step.succeeded', 'incident.cancelled']);
    expect((await bed.fleet.host(entity.key))?.isolated).toBe(false);
  }, 60_000);

  it('stops before acting when cancelled while the incident is still opening', async () => {
    const entity = await host('development');
    const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity });
    await run.handle.signal(cancelSignal, { reason: 'opened by mistake', actor: 'bob', incidentId: run.incidentId });
    await incidentStatus(bed.engine, run.incidentId, 'cancelled');
    const events = await timeline(bed.engine, run.incidentId);
    expect(events.filter((e) => e.type === 'step.succeeded' && e.data.step === 'Isolate the host')).toHaveLength(0);
    expect((await bed.fleet.host(entity.key))?.isolated).toBe(false);
  }, 30_000);

  it('takes a storm of alerts for the host while a gate is open, raises the severity, and the open gate then needs two approvers', async () => {
    const entity = await host('production');
    const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity, severity: 'medium' });
    await gateOpen(run.handle, 'isolate-host');
    const state = await alertStorm(run.handle, run.incidentId, { source: 'falco', title: 'reverse shell', severity: 'medium' });
    expect(state.severity).toBe('critical');
    expect(state.pendingGates?.map((g) => [g.id, g.critical, g.needed])).toEqual([['isolate-host', true, 2]]);
    expect(await vote(run.handle, 'isolate-host', 'bob')).toMatchObject({ outcome: 'pending', approvals: 1, needed: 2 });
    expect(await vote(run.handle, 'isolate-host', 'alice')).toMatchObject({ outcome: 'approved' });
    await gateOpen(run.handle, 'replace-host');
    await run.handle.signal(resolveSignal, { reason: 'enough', actor: 'bob' });
    await incidentStatus(bed.engine, run.incidentId, 'resolved');
    const events = await timeline(bed.engine, run.incidentId);
    expect(events.filter((e) => e.type === 'alerts.merged')).toHaveLength(40);
    expect(events.find((e) => e.type === 'note' && e.data.gateId === 'isolate-host')?.summary).toContain('now needs 2 approver(s)');
    // The storm is findable by source, and cheap in history: no search-attribute write per batch.
    expect((await run.handle.describe()).typedSearchAttributes.get(SEARCH_ATTRIBUTE.source)).toEqual(['falco']);
    // Palisade's own writes (each new patch also upserts Temporal's TemporalChangeVersion once).
    const upserts = ((await run.handle.fetchHistory()).events ?? []).filter((e) =>
      Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}).some((k) => k !== 'TemporalChangeVersion'),
    );
    expect(upserts.length).toBeLessThan(10);
    const [row] = await bed.engine.db.query(`SELECT severity FROM incidents WHERE id = $1`, [run.incidentId]);
    expect(row.severity).toBe('critical');
  }, 90_000);
});
