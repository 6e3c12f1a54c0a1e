import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import secretLeak from '../../workflows/secret-leak/playbook';
import { Capability } from '../../lib/providers/capabilities';
import { resolveSignal, stateQuery } from '../../workflows/shared/messages';
import type { PlaybookInput } from '../../workflows/shared/input';
import { eventually } from '../support/engine';
import { alertStorm, gateOpen, incidentStatus, playbookTestBed, rejection, startRun, timeline, type TimelineRow, types, vote } from '../support/playbooks';

// The secret-leak playbook on a real worker, real Temporal and real Postgres, against the
// simulated credential store. Each test adds credentials of its own (random id, fingerprint
// and owner), so faults and notifications never touch another test.
describe('secret-leak playbook', () => {
  const bed = playbookTestBed();

  const fingerprintOf = (seed: string) => createHash('sha256').update(seed).digest('hex');
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

  /** A credential of its own in the simulated store, and how a responder would start on it. */
  async function leaked(opts: { shared?: boolean; confidence?: 'high' | 'medium' | 'low'; stored?: boolean } = {}) {
    const suffix = randomUUID().slice(0, 8);
    const id = `AKIA-${suffix}`;
    const owner = `team-${suffix}`;
    const fingerprint = fingerprintOf(randomUUID());
    if (opts.stored !== false) {
      await bed.fleet.addCredential({ id, type: 'aws_access_key_id', fingerprint, last4: 'Q7XA', owner, shared: opts.shared ?? false, scope: ['s3:prod-*'], dependents: ['deployer', 'billing'] });
    }
    const params = { type: 'aws_access_key_id', fingerprint, last4: 'Q7XA', exposedAt: minutesAgo(60), confidence: opts.confidence ?? 'high' };
    const entity = { kind: 'credential' as const, key: `secret:${fingerprint}`, display: 'aws_access_key_id …Q7XA' };
    return { id, owner, fingerprint, params, entity };
  }

  const stepsSucceeded = (events: TimelineRow[]) => events.filter((e) => e.type === 'step.succeeded').map((e) => e.data.step);
  const pagesFor = async (incidentId: string) => (await bed.fleet.notifications({ recipient: 'secops-oncall', kind: 'page' })).filter((n) => n.body.includes(incidentId));

  it('revokes a sure, unshared credential at once, rotates it, finds its use and resolves', async () => {
    const c = await leaked();
    await bed.fleet.addCredentialUsage(c.id, { at: minutesAgo(120), action: 'sts:GetCallerIdentity', sourceIp: '10.0.0.5' }); // before the leak
    await bed.fleet.addCredentialUsage(c.id, { at: minutesAgo(30), action: 's3:GetObject', sourceIp: '10.0.0.5' });
    await bed.fleet.addCredentialUsage(c.id, { at: minutesAgo(10), action: 'iam:ListUsers', sourceIp: '185.220.101.7', unusual: true });
    const run = await startRun(bed.client, bed.engine, 'secret-leak', { entity: c.entity, params: c.params });

    const resolved = await incidentStatus(bed.engine, run.incidentId, 'resolved');
    // The playbook responds; acknowledging is a person's act, and nobody did.
    expect(resolved.acknowledged_at).toBeNull();
    expect(resolved.contained_at).not.toBeNull();
    expect(resolved.severity).toBe('critical'); // unusual use since the leak
    const events = await timeline(bed.engine, run.incidentId);
    expect(stepsSucceeded(events)).toEqual(['Find owner and scope', 'Revoke the credential', 'Rotate and update dependents', 'Search usage in the exposure window', 'Notify the owner']);
    expect(types(events).filter((t) => t.startsWith('gate.'))).toEqual([]);
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    const usage = events.find((e) => e.type === 'step.succeeded' && e.data.step === 'Search usage in the exposure window');
    expect(usage?.data.result.map((u: { action: string }) => u.action)).toEqual(['s3:GetObject', 'iam:ListUsers']);
    expect(events.find((e) => e.type === 'incident.severity-raised')?.summary).toContain('185.220.101.7');

    // Detection to revocation: a note, the results and the closing summary.
    const took = events.find((e) => e.type === 'note' && e.data.detectionToRevocationMs !== undefined);
    expect(took?.data.detectionToRevocationMs).toBeGreaterThanOrEqual(0);
    const completed = events.find((e) => e.type === 'playbook.completed');
    expect(completed?.data.results.detectionToRevocationMs).toBe(took?.data.detectionToRevocationMs);
    expect(events.at(-1)).toMatchObject({ type: 'incident.resolved' });
    expect(events.at(-1)?.summary).toMatch(/revoked \d+ (ms|s) after detection; rotated to AKIA-.*-r1; 2 use\(s\).*1 unusual/);

    expect(await bed.fleet.credential(c.id)).toMatchObject({ status: 'revoked', replacedBy: `${c.id}-r1` });
    expect(await bed.fleet.credential(`${c.id}-r1`)).toMatchObject({ status: 'active', owner: c.owner, dependents: ['deployer', 'billing'] });
    // Every changing action applied once, on its own idempotency key.
    const applied = (await bed.fleet.calls({ target: c.id })).filter((call) => call.outcome === 'applied');
    expect(applied.map((call) => call.action).sort()).toEqual(['revoke', 'rotate']);
    expect(new Set(applied.map((call) => call.idempotencyKey)).size).toBe(2);
    expect(await bed.fleet.actions({ target: c.id })).toHaveLength(2);
    const [notice, ...more] = await bed.fleet.notifications({ recipient: c.owner });
    expect(more).toHaveLength(0);
    expect(notice).toMatchObject({ kind: 'notify', subject: expect.stringContaining('…Q7XA') });
    expect(notice.body).toContain(`Replaced by ${c.id}-r1`);
  }, 60_000);

  it('asks before revoking a shared credential: four-eyes and non-approvers are rejected, then bob approves', async () => {
    const c = await leaked({ shared: true });
    const run = await startRun(bed.client, bed.engine, 'secret-leak', { entity: c.entity, params: c.params, requestedBy: 'alice' });
    const gate = await gateOpen(run.handle, 'revoke-credential');
    expect(gate).toMatchObject({ needed: 1, requestedBy: 'alice', status: 'open' });
    expect(gate.summary).toContain('shared');
    expect((await bed.fleet.credential(c.id))?.status).toBe('active');

    expect(await rejection(vote(run.handle, 'revoke-credential', 'alice'))).toMatchObject({ code: 'own_request', message: expect.stringContaining('four-eyes') });
    expect(await rejection(vote(run.handle, 'revoke-credential', 'carol'))).toMatchObject({ code: 'not_allowed' });
    expect(await vote(run.handle, 'revoke-credential', 'bob', 'approve', 'rotate it, the deployer can cope')).toMatchObject({ outcome: 'approved' });

    const resolved = await incidentStatus(bed.engine, run.incidentId, 'resolved');
    expect(resolved.contained_at).not.toBeNull();
    const events = await timeline(bed.engine, run.incidentId);
    expect(types(events).filter((t) => t.startsWith('gate.'))).toEqual(['gate.requested', 'gate.vote', 'gate.decided']);
    expect(stepsSucceeded(events)).toContain('Revoke the credential');
    expect(await bed.fleet.credential(c.id)).toMatchObject({ status: 'revoked', replacedBy: `${c.id}-r1` });
  }, 60_000);

  it('leaves a credential live when revocation is denied, still searches its use and tells the owner', async () => {
    const c = await leaked({ confidence: 'medium' });
    const run = await startRun(bed.client, bed.engine, 'secret-leak', { entity: c.entity, params: c.params });
    await gateOpen(run.handle, 'revoke-credential');
    expect(await vote(run.handle, 'revoke-credential', 'bob', 'deny', 'a test key, already expired upstream')).toMatchObject({ outcome: 'denied' });

    const resolved = await incidentStatus(bed.engine, run.incidentId, 'resolved');
    expect(resolved.contained_at).toBeNull();
    const events = await timeline(bed.engine, run.incidentId);
    expect(stepsSucceeded(events)).toEqual(['Find owner and scope', 'Search usage in the exposure window', 'Notify the owner']);
    expect(events.find((e) => e.type === 'step.skipped')?.summary).toContain('still live');
    expect(events.at(-1)?.summary).toContain('NOT revoked: the credential is still live');
    expect(events.at(-1)?.summary).toContain('not rotated');
    expect((await bed.fleet.credential(c.id))?.status).toBe('active');
    expect((await bed.fleet.calls({ target: c.id })).filter((call) => call.outcome === 'applied')).toEqual([]);
    expect((await bed.fleet.notifications({ recipient: c.owner }))[0]?.body).toContain('still live');
  }, 60_000);

  it('escalates a revocation nobody decides, then applies the fallback (deny)', async () => {
    const c = await leaked({ shared: true });
    const run = await startRun(bed.client, bed.fast, 'secret-leak', { entity: c.entity, params: c.params });
    await incidentStatus(bed.fast, run.incidentId, 'resolved', 40_000);
    const events = await timeline(bed.fast, run.incidentId);
    const gate = events.filter((e) => e.type.startsWith('gate.'));
    expect(types(gate)).toEqual(['gate.requested', 'gate.escalated', 'gate.expired']);
    expect(gate[2].data.fallback).toBe('deny');
    expect(events.find((e) => e.type === 'step.skipped')?.summary).toContain('nobody approved it in time');
    expect(events.at(-1)?.summary).toContain('still live');
    expect((await bed.fleet.credential(c.id))?.status).toBe('active');
    await expect(vote(run.handle, 'revoke-credential', 'bob')).rejects.toThrow();
  }, 60_000);

  it('retries a failing rotation, fails the step, pages and warns of broken dependents, then a responder resolves it', async () => {
    const c = await leaked();
    await bed.fleet.setFault(Capability.Credentials, { action: 'rotate', target: c.id, offline: true });
    const run = await startRun(bed.client, bed.engine, 'secret-leak', { entity: c.entity, params: c.params });
    await eventually('the playbook to fail', async () => ((await run.handle.query(stateQuery)).phase === 'failed' ? true : undefined), 30_000);

    const failed = await timeline(bed.engine, run.incidentId);
    const rotate = failed.filter((e) => e.type.startsWith('step.') && e.data.step === 'Rotate and update dependents').map((e) => e.type);
    expect(rotate).toEqual(['step.started', 'step.retrying', 'step.retrying', 'step.retrying', 'step.failed']);
    const stopped = failed.find((e) => e.type === 'playbook.failed');
    expect(stopped?.summary).toContain('dependents (deployer, billing) may be broken');
    const [page] = await eventually('the page', async () => {
      const pages = await pagesFor(run.incidentId);
      return pages.length > 0 ? pages : undefined;
    });
    expect(page.body).toContain('may be broken');
    // Revocation stands (nothing can undo it); the incident waits, contained, for a responder.
    expect((await bed.fleet.credential(c.id))?.status).toBe('revoked');
    const [row] = await bed.engine.db.query(`SELECT status FROM incidents WHERE id = $1`, [run.incidentId]);
    expect(row.status).toBe('contained');
    expect(await bed.fleet.calls({ target: c.id, action: 'rotate' })).toHaveLength(4);

    await run.handle.signal(resolveSignal, { reason: 'rotated by hand, deployer updated', actor: 'bob' });
    const resolved = await incidentStatus(bed.engine, run.incidentId, 'resolved');
    expect(resolved.contained_at).not.toBeNull();
    const events = await timeline(bed.engine, run.incidentId);
    expect(events.at(-1)).toMatchObject({ type: 'incident.resolved', actor: 'bob', summary: expect.stringContaining('rotated by hand') });
  }, 60_000);

  it('takes a storm of alerts for the secret while the gate is open, each batch once', async () => {
    const c = await leaked({ shared: true });
    const run = await startRun(bed.client, bed.engine, 'secret-leak', { entity: c.entity, params: c.params });
    await gateOpen(run.handle, 'revoke-credential');
    const state = await alertStorm(run.handle, run.incidentId, { source: 'github', title: 'AWS key leaked again', severity: 'high' });
    expect(state.pendingGates?.map((g) => g.id)).toEqual(['revoke-credential']);
    await vote(run.handle, 'revoke-credential', 'bob');
    await incidentStatus(bed.engine, run.incidentId, 'resolved');
    const events = await timeline(bed.engine, run.incidentId);
    expect(events.filter((e) => e.type === 'alerts.merged')).toHaveLength(40);
    expect(events.at(-1)?.data.totalAlerts).toBe(1000);
    expect((await bed.fleet.credential(c.id))?.status).toBe('revoked');
  }, 90_000);

  it('pages security and closes when no store knows the fingerprint', async () => {
    const c = await leaked({ stored: false });
    const run = await startRun(bed.client, bed.engine, 'secret-leak', { entity: c.entity, params: c.params });
    await incidentStatus(bed.engine, run.incidentId, 'resolved');
    const events = await timeline(bed.engine, run.incidentId);
    expect(events.find((e) => e.type === 'step.succeeded' && e.data.step === 'Find owner and scope')?.data.result).toBeNull();
    expect(events.find((e) => e.type === 'step.skipped')?.summary).toContain('No credential store knows');
    expect(events.at(-1)?.summary).toContain('a human must find its owner');
    const pages = await pagesFor(run.incidentId);
    expect(pages).toHaveLength(1);
    expect(pages[0].body).toContain(c.fingerprint);
  }, 60_000);

  it('reads the leak from the opening alert: validity active is revoked at once, unknown validity waits for approval', async () => {
    async function fromAlert(validity: string) {
      const c = await leaked();
      const alertId = randomUUID();
      await bed.engine.db.query(
        `INSERT INTO alerts (id, source, delivery_id, delivery_index, received_at, observed_at, title, description, severity, severity_original, category,
           entity_kind, entity_key, entity_display, fingerprint, labels, secrets, raw, disposition)
         VALUES ($1, 'github', $2, 0, now(), $3, 'AWS key leaked in acme/app', '', 'critical', 'validity', 'secret-leak', 'credential', $4, 'aws …Q7XA', $2, $5, $6, '{}', 'started')`,
        [alertId, `d-${alertId}`, minutesAgo(45), c.entity.key, JSON.stringify({ validity }), JSON.stringify([{ type: 'aws_access_key_id', fingerprint: c.fingerprint, last4: 'Q7XA' }])],
      );
      const incidentId = randomUUID();
      const input: PlaybookInput = {
        incidentId,
        playbook: 'secret-leak',
        playbookVersion: secretLeak.version,
        entityKey: `credential:${c.entity.key}`,
        entity: c.entity,
        title: 'AWS key leaked in acme/app',
        severity: 'high',
        source: 'github',
        detectedAt: new Date().toISOString(),
        firstAlertId: alertId,
      };
      const handle = await bed.client.workflow.start(secretLeak.workflowType, { workflowId: `secret-leak:${incidentId}`, taskQueue: bed.engine.taskQueue, args: [input] });
      return { c, incidentId, handle };
    }

    const active = await fromAlert('active');
    await incidentStatus(bed.engine, active.incidentId, 'resolved');
    const events = await timeline(bed.engine, active.incidentId);
    expect(types(events).filter((t) => t.startsWith('gate.'))).toEqual([]);
    expect(events.find((e) => e.type === 'step.started' && e.data.step === 'Search usage in the exposure window')).toBeTruthy();
    expect((await bed.fleet.credential(active.c.id))?.status).toBe('revoked');

    const unknown = await fromAlert('unknown');
    const gate = await gateOpen(unknown.handle, 'revoke-credential');
    expect(gate.summary).toContain('confidence medium');
    await vote(unknown.handle, 'revoke-credential', 'bob', 'deny');
    await incidentStatus(bed.engine, unknown.incidentId, 'resolved');
    expect((await bed.fleet.credential(unknown.c.id))?.status).toBe('active');
  }, 60_000);
});
