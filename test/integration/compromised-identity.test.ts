import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Capability } from '../../lib/providers/capabilities';
import { cancelSignal, stateQuery } from '../../workflows/shared/messages';
import { eventually } from '../support/engine';
import { gateOpen, incidentStatus, playbookTestBed, rejection, startRun, timeline, types, vote } from '../support/playbooks';

// The compromised-identity playbook, written with the kit only, on a real worker, real Temporal
// and real Postgres, against the simulated directory. Each test enrolls an account of its own,
// so faults never touch another test.
describe('compromised-identity playbook', () => {
  const bed = playbookTestBed();

  async function account(opts: { privileged?: boolean; owner?: string } = {}) {
    const id = `user-${randomUUID().slice(0, 8)}`;
    await bed.fleet.addAccount({
      id,
      displayName: `User ${id}`,
      owner: opts.owner ?? 'team-web',
      privileged: opts.privileged ?? false,
      groups: opts.privileged ? ['admins'] : ['developers'],
      mfa: 'disabled',
      sessions: 3,
      keys: [{ id: `AKIA${id}1`, status: 'active' }, { id: `AKIA${id}2`, status: 'active' }],
    });
    return { kind: 'account' as const, key: id, display: id };
  }
  const stepsSucceeded = async (incidentId: string) =>
    (await timeline(bed.engine, incidentId)).filter((e) => e.type === 'step.succeeded').map((e) => e.data.step as string);

  it('revokes sessions and keys at once, disables once approved, resets the password, tells the owner, and resolves', async () => {
    const entity = await account();
    const run = await startRun(bed.client, bed.engine, 'compromised-identity', { entity, title: 'Console sign-in from a new country' });
    const gate = await gateOpen(run.handle, 'disable-account');
    expect(gate).toMatchObject({ needed: 1, critical: false });
    // Before anyone decides: sessions ended, keys inactive, the account still enabled.
    const before = await bed.fleet.account(entity.key);
    expect(before).toMatchObject({ sessions: 0, status: 'enabled', keys: [{ status: 'inactive' }, { status: 'inactive' }] });
    expect(before?.passwordResetAt).toBeNull();

    expect(await vote(run.handle, 'disable-account', 'bob', 'approve', 'not her usual country')).toMatchObject({ outcome: 'approved' });
    const resolved = await incidentStatus(bed.engine, run.incidentId, 'resolved');
    // The playbook responds; acknowledging is a person's act, and nobody did.
    expect(resolved.acknowledged_at).toBeNull();
    expect(resolved.contained_at).not.toBeNull();
    expect(await stepsSucceeded(run.incidentId)).toEqual([
      'Look up the account', 'Revoke sessions', 'Deactivate keys', 'Disable the account', 'Force a credential reset', 'Notify the owner',
    ]);
    const events = await timeline(bed.engine, run.incidentId);
    expect(types(events).filter((t) => t.startsWith('gate.'))).toEqual(['gate.requested', 'gate.vote', 'gate.decided']);
    expect(events.at(-1)).toMatchObject({ type: 'incident.resolved', summary: expect.stringContaining('2 key(s) deactivated; disabled; password reset') });
    const after = await bed.fleet.account(entity.key);
    expect(after?.status).toBe('disabled');
    expect(after?.passwordResetAt).not.toBeNull();
    const told = (await bed.fleet.notifications({ recipient: 'team-web' })).filter((n) => n.id.startsWith(run.incidentId));
    expect(told).toHaveLength(1);
    expect(told[0].body).toContain('The account is disabled');
    // Every change applied once, on its own idempotency key.
    const applied = (await bed.fleet.calls({ target: entity.key })).filter((c) => c.outcome === 'applied');
    expect(applied.map((c) => c.action).sort()).toEqual(['deactivateKeys', 'disable', 'forceCredentialReset', 'revokeSessions']);
  }, 60_000);

  it('needs two approvers to disable an administrator, and never the one who started the run', async () => {
    const entity = await account({ privileged: true });
    const run = await startRun(bed.client, bed.engine, 'compromised-identity', { entity, requestedBy: 'alice' });
    const gate = await gateOpen(run.handle, 'disable-account');
    expect(gate).toMatchObject({ needed: 2, critical: true, requestedBy: 'alice' });
    expect(await rejection(vote(run.handle, 'disable-account', 'alice'))).toMatchObject({ code: 'own_request' });
    expect(await rejection(vote(run.handle, 'disable-account', 'carol'))).toMatchObject({ code: 'not_allowed' });
    expect(await vote(run.handle, 'disable-account', 'bob')).toMatchObject({ outcome: 'pending', approvals: 1, needed: 2 });
    expect((await bed.fleet.account(entity.key))?.status).toBe('enabled');
    await run.handle.signal(cancelSignal, { reason: 'drill over', actor: 'bob' });
    await incidentStatus(bed.engine, run.incidentId, 'cancelled');
    // Nothing was disabled, so the cancel had nothing to undo and asked nobody.
    expect(types(await timeline(bed.engine, run.incidentId))).not.toContain('compensation.started');
    expect((await bed.fleet.account(entity.key))?.status).toBe('enabled');
  }, 60_000);

  it('keeps a denied account enabled, says so, still resets its password, and closes', async () => {
    const entity = await account({ owner: 'unknown' });
    const run = await startRun(bed.client, bed.engine, 'compromised-identity', { entity });
    await gateOpen(run.handle, 'disable-account');
    expect(await vote(run.handle, 'disable-account', 'bob', 'deny', 'the CFO, on a trip; watch instead')).toMatchObject({ outcome: 'denied' });
    const resolved = await incidentStatus(bed.engine, run.incidentId, 'resolved');
    expect(resolved.contained_at).toBeNull();
    const events = await timeline(bed.engine, run.incidentId);
    expect(events.find((e) => e.type === 'step.skipped')).toMatchObject({ summary: expect.stringContaining('not approved'), data: { step: 'Disable the account' } });
    expect(events.at(-1)?.summary).toContain('not disabled (not approved)');
    const after = await bed.fleet.account(entity.key);
    expect(after).toMatchObject({ status: 'enabled', sessions: 0 });
    expect(after?.passwordResetAt).not.toBeNull();
    // No owner in the directory: security on-call is told instead.
    expect((await bed.fleet.notifications({ recipient: 'secops-oncall', kind: 'notify' })).filter((n) => n.id.startsWith(run.incidentId))).toHaveLength(1);
  }, 60_000);

  it('stops on a reset that keeps failing, keeps the account disabled, and enables it on a cancel once another approver agrees', async () => {
    const entity = await account();
    await bed.fleet.setFault(Capability.Identity, { action: 'forceCredentialReset', target: entity.key, errorRate: 1 });
    const run = await startRun(bed.client, bed.engine, 'compromised-identity', { entity });
    await gateOpen(run.handle, 'disable-account');
    await vote(run.handle, 'disable-account', 'alice');
    await eventually('the playbook to fail', async () => ((await run.handle.query(stateQuery)).phase === 'failed' ? true : undefined), 30_000);
    const failed = await timeline(bed.engine, run.incidentId);
    expect(failed.filter((e) => e.data.step === 'Force a credential reset').map((e) => e.type)).toEqual([
      'step.started', 'step.retrying', 'step.retrying', 'step.retrying', 'step.failed', 'playbook.failed',
    ]);
    expect((await bed.fleet.notifications({ recipient: 'secops-oncall', kind: 'page' })).filter((n) => n.id.startsWith(run.incidentId))).toHaveLength(1);
    // Containment stays while a responder looks.
    expect((await bed.fleet.account(entity.key))?.status).toBe('disabled');

    await run.handle.signal(cancelSignal, { reason: 'false positive: the owner was on a VPN', actor: 'bob' });
    await gateOpen(run.handle, 'undo-containment');
    expect(await rejection(vote(run.handle, 'undo-containment', 'bob'))).toMatchObject({ code: 'own_request' });
    expect((await bed.fleet.account(entity.key))?.status).toBe('disabled');
    await vote(run.handle, 'undo-containment', 'alice', 'approve', 'VPN confirmed');
    await incidentStatus(bed.engine, run.incidentId, 'cancelled');
    const events = await timeline(bed.engine, run.incidentId);
    expect(types(events).slice(-4)).toEqual(['compensation.started', 'step.started', 'step.succeeded', 'incident.cancelled']);
    expect(events.at(-2)?.data.step).toBe('Enable the account');
    // Enabled again; sessions and keys stay revoked.
    expect(await bed.fleet.account(entity.key)).toMatchObject({ status: 'enabled', sessions: 0, keys: [{ status: 'inactive' }, { status: 'inactive' }] });
  }, 90_000);

  it('retries a directory that fails twice, then goes on', async () => {
    const entity = await account();
    await bed.fleet.setFault(Capability.Identity, { action: 'revokeSessions', target: entity.key, failNext: 2 });
    const run = await startRun(bed.client, bed.engine, 'compromised-identity', { entity });
    await gateOpen(run.handle, 'disable-account');
    const events = await eventually('the gate on the timeline', async () => {
      const rows = await timeline(bed.engine, run.incidentId);
      return rows.some((e) => e.type === 'gate.requested') ? rows : undefined;
    });
    expect(events.filter((e) => e.data.step === 'Revoke sessions').map((e) => e.type)).toEqual(['step.started', 'step.retrying', 'step.retrying', 'step.succeeded']);
    expect(events.find((e) => e.type === 'step.retrying')?.data.errorType).toBe('Unavailable');
    expect((await bed.fleet.account(entity.key))?.sessions).toBe(0);
    await vote(run.handle, 'disable-account', 'bob');
    await incidentStatus(bed.engine, run.incidentId, 'resolved');
  }, 60_000);
});
