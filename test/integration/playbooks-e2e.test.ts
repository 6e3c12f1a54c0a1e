import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedFleet } from '../../activities/providers/simulated/fleet';
import { Redactor } from '../../lib/intake/redact';
import { eventually, getJson, postJson, startTestEngine, tokenFor, TEST_REDACTION_KEY, type TestEngine } from '../support/engine';
import { genericAlert, sendGeneric, sendGithub, sendWithToken } from '../support/webhooks';

const FIXTURES = path.resolve(__dirname, '../fixtures/webhooks');

// The whole path a responder sees: a signed webhook in, the routed playbook on a real worker,
// approvals through the API, the simulated fleet changed, the incident resolved, its timeline readable.
describe('playbooks from a webhook to resolved', () => {
  let engine: TestEngine;
  let fleet: SimulatedFleet;
  beforeAll(async () => {
    engine = await startTestEngine();
    fleet = new SimulatedFleet(engine.db);
  });
  afterAll(async () => {
    await engine?.close();
  });

  const pendingGate = (incidentId: string, gateId: string) =>
    eventually(
      `gate ${gateId} on ${incidentId}`,
      async () => {
        const res = await getJson(`${engine.baseUrl}/incidents/${incidentId}/approvals`);
        return res.body.gates?.find((g: { id: string; status: string }) => g.id === gateId && g.status === 'open');
      },
      30_000,
    );
  const resolved = (incidentId: string) =>
    eventually(
      `incident ${incidentId} resolved`,
      async () => {
        const res = await getJson(`${engine.baseUrl}/incidents/${incidentId}`);
        return res.body.status === 'resolved' ? res.body : undefined;
      },
      30_000,
    );
  const timelineTypes = async (incidentId: string) => {
    const res = await getJson(`${engine.baseUrl}/incidents/${incidentId}/timeline?limit=500`);
    return (res.body.events as { type: string; summary: string }[]).map((e) => e.type);
  };

  it('host-compromise: a Falco-style alert on a production host, isolation and rebuild approved in the API', async () => {
    const host = `web-${randomUUID().slice(0, 8)}`;
    await fleet.addHost({ id: host, hostname: host, owner: 'team-web', environment: 'production', criticality: 'high' });
    const sent = await sendGeneric(engine.baseUrl, genericAlert(host, { title: 'Reverse shell spawned by nginx' }));
    expect(sent.status).toBe(202);
    const { incidentId } = sent.body;

    await pendingGate(incidentId, 'isolate-host');
    const bob = await tokenFor(engine.baseUrl, 'bob');
    const approve = (gate: string) => postJson(`${engine.baseUrl}/incidents/${incidentId}/approvals/${gate}`, { decision: 'approve', reason: 'confirmed' }, bob);
    expect((await approve('isolate-host')).body).toMatchObject({ outcome: 'approved' });
    await pendingGate(incidentId, 'replace-host');
    expect((await fleet.host(host))?.isolated).toBe(true);
    expect((await approve('replace-host')).body).toMatchObject({ outcome: 'approved' });

    const incident = await resolved(incidentId);
    expect(incident).toMatchObject({ playbook: 'host-compromise', playbookVersion: '1.0.0', entity: `host:${host}` });
    expect(incident.containedAt).toBeTruthy();
    const types = await timelineTypes(incidentId);
    expect(types[0]).toBe('incident.created');
    expect(types).toContain('alerts.merged');
    expect(types.at(-1)).toBe('incident.resolved');
    expect((await fleet.host(host))?.replacedBy).toBeTruthy();
    // A responder sees the same in the API.
    const shown = await getJson(`${engine.baseUrl}/fleet`);
    expect(shown.body.hosts.find((h: { id: string }) => h.id === host)).toMatchObject({ isolated: true, replacedBy: `${host}-r1` });
    expect(shown.body.recentCalls.some((c: { idempotencyKey: string }) => c.idempotencyKey.startsWith(incidentId))).toBe(true);
  }, 90_000);

  it('compromised-identity: a GuardDuty IAM user finding, sessions and keys revoked, the disable approved in the API', async () => {
    const user = `dev-${randomUUID().slice(0, 8)}`;
    await fleet.addAccount({ id: user, owner: 'team-web', sessions: 2, keys: [{ id: `AKIA${user}`, status: 'active' }] });
    const finding = JSON.parse(readFileSync(path.join(FIXTURES, 'guardduty/console-login-anomaly.json'), 'utf8'));
    finding.id = randomUUID();
    finding.detail.id = randomUUID().replaceAll('-', '');
    finding.detail.resource.accessKeyDetails.userName = user;
    // An EventBridge API destination sends the finding with the source's token.
    const sent = await sendWithToken(engine.baseUrl, 'guardduty', finding);
    expect(sent.status).toBe(202);
    const { incidentId } = sent.body;

    await pendingGate(incidentId, 'disable-account');
    expect(await fleet.account(user)).toMatchObject({ sessions: 0, status: 'enabled', keys: [{ status: 'inactive' }] });
    const approved = await postJson(`${engine.baseUrl}/incidents/${incidentId}/approvals/disable-account`, { decision: 'approve', reason: 'not his country' }, await tokenFor(engine.baseUrl, 'bob'));
    expect(approved.body).toMatchObject({ outcome: 'approved' });

    const incident = await resolved(incidentId);
    expect(incident).toMatchObject({ playbook: 'compromised-identity', entity: `account:${user}` });
    expect(incident.containedAt).toBeTruthy();
    expect((await fleet.account(user))?.status).toBe('disabled');
    const types = await timelineTypes(incidentId);
    expect(types[0]).toBe('incident.created');
    expect(types.at(-1)).toBe('incident.resolved');
  }, 90_000);

  it('secret-leak: a GitHub secret-scanning alert for a live, unshared key is revoked and rotated with no gate', async () => {
    const secret = `ghp_${randomBytes(18).toString('hex')}`;
    const fingerprint = new Redactor(Buffer.from(TEST_REDACTION_KEY)).fingerprint(secret);
    const credentialId = `cred-${randomUUID().slice(0, 8)}`;
    await fleet.addCredential({ id: credentialId, type: 'github_personal_access_token', fingerprint, last4: secret.slice(-4), owner: 'alice', shared: false });
    const payload = JSON.parse(readFileSync(path.join(FIXTURES, 'github/secret-scanning-created-public.json'), 'utf8'));
    payload.alert.secret = secret;
    payload.alert.validity = 'active';
    payload.alert.number = Math.floor(Math.random() * 1e9);
    const sent = await sendGithub(engine.baseUrl, 'secret_scanning_alert', payload, randomUUID());
    expect(sent.status).toBe(202);

    const incident = await resolved(sent.body.incidentId);
    expect(incident).toMatchObject({ playbook: 'secret-leak' });
    expect((await fleet.credential(credentialId))?.status).toBe('revoked');
    const types = await timelineTypes(sent.body.incidentId);
    expect(types).not.toContain('gate.requested');
    expect(types.at(-1)).toBe('incident.resolved');
  }, 60_000);

  it('secret-leak: a live AWS key in a generic alert is revoked after the opening and one lookup, the status and the alert’s entry riding with the calls', async () => {
    // The bench's containment alert (bench/figures/containment.ts). Issue 22: before the revoke
    // the run read the alert in an activity of its own and wrote the `responding` status in
    // another, each a workflow task and an activity on the key's way to its revoke, and the
    // opening alert's entry was a write of its own, whose completion woke the run once more.
    // The opening reads the alert now (readsFirstAlert), and a status change and the opening
    // alert's entry go with the next call.
    const secret = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const fingerprint = new Redactor(Buffer.from(TEST_REDACTION_KEY)).fingerprint(secret);
    const credentialId = `cred-${randomUUID().slice(0, 8)}`;
    await fleet.addCredential({ id: credentialId, type: 'aws_access_key_id', fingerprint, last4: secret.slice(-4), owner: 'team-leak', shared: false });
    const sent = await sendGeneric(engine.baseUrl, {
      title: 'AWS access key committed to a public repository',
      severity: 'critical',
      category: 'secret-leak',
      id: `leak-${credentialId}`,
      entity: { kind: 'credential', key: credentialId },
      description: `Found in issue #42: aws_access_key_id = ${secret}`,
      labels: { validity: 'active' },
    });
    expect(sent.status).toBe(202);

    const incident = await resolved(sent.body.incidentId);
    expect((await fleet.credential(credentialId))?.status).toBe('revoked');
    // The projection moved as it did when each status change was an activity of its own.
    expect(incident.containedAt).not.toBeNull();
    const events = (await getJson(`${engine.baseUrl}/incidents/${sent.body.incidentId}/timeline?limit=500`)).body.events as { type: string; data: { status?: string } }[];
    expect(events.filter((e) => e.type === 'incident.status-changed').map((e) => e.data.status)).toEqual(['responding', 'contained']);

    const history = await engine.app.get(Client).workflow.getHandle(incident.workflowId).fetchHistory();
    const scheduled = (history.events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter((n): n is string => !!n);
    const beforeRevoke = scheduled.slice(0, scheduled.indexOf('revokeCredential'));
    expect(beforeRevoke).not.toContain('loadAlert'); // the opening read it
    expect(beforeRevoke).not.toContain('setIncidentStatus'); // `responding` rode with the revoke
    // The opening alert's entry rode with the lookup: no write of its own to wake the run.
    expect(beforeRevoke).not.toContain('appendTimelineEvents');
    expect(beforeRevoke).toEqual(['openIncident', 'lookupCredential']);
    expect(scheduled).not.toContain('setIncidentStatus'); // nor `contained` (with the next write)
    expect(events.slice(0, 3).map((e) => e.type)).toEqual(['incident.created', 'playbook.started', 'alerts.merged']);
  }, 60_000);

  it('config-drift: a security-relevant drift reported by a scanner is reverted and verified', async () => {
    const resource = `sg-${randomUUID().slice(0, 8)}`;
    await fleet.addResource({ id: resource, kind: 'security-group', baseline: { ingress: [{ port: 443, cidr: '10.0.0.0/8' }] } });
    await fleet.setCurrentConfig(resource, { ingress: [{ port: 443, cidr: '10.0.0.0/8' }, { port: 22, cidr: '0.0.0.0/0' }] });
    const sent = await sendGeneric(engine.baseUrl, {
      title: `SSH open to the world on ${resource}`,
      severity: 'high',
      category: 'config-drift',
      entity: { kind: 'resource', key: resource },
    });
    expect(sent.status).toBe(202);

    const incident = await resolved(sent.body.incidentId);
    expect(incident).toMatchObject({ playbook: 'config-drift', entity: `resource:${resource}` });
    expect((await fleet.resource(resource))?.current).toEqual({ ingress: [{ port: 443, cidr: '10.0.0.0/8' }] });
    const types = await timelineTypes(sent.body.incidentId);
    expect(types).not.toContain('gate.requested');
    expect(types.at(-1)).toBe('incident.resolved');
  }, 60_000);

  it('patch-canary: started by hand, each wave widened through the API, every host patched', async () => {
    const tag = randomUUID().slice(0, 8);
    const hosts = Array.from({ length: 4 }, (_, i) => `canary-${tag}-${i}`);
    for (const id of hosts) await fleet.addHost({ id, owner: 'team-web', environment: 'development', criticality: 'medium', tags: { rollout: tag } });
    const sli = `error_rate_${tag}`;
    await fleet.setSli(sli, 0.01);
    const started = await postJson(`${engine.baseUrl}/playbooks/patch-canary/runs`, {
      params: { patchId: `KB-${tag}`, hosts: { tags: { rollout: tag } }, waves: [25, 100], bake: '1s', slo: { sli, max: 0.05 } },
    }, await tokenFor(engine.baseUrl, 'alice', 'responder'));
    expect(started.status).toBe(202);
    const { incidentId } = started.body;

    await pendingGate(incidentId, 'widen-wave-2');
    const own = await postJson(`${engine.baseUrl}/incidents/${incidentId}/approvals/widen-wave-2`, { decision: 'approve' }, await tokenFor(engine.baseUrl, 'alice'));
    expect(own).toMatchObject({ status: 409, body: { error: 'own_request' } });
    const counted = await postJson(`${engine.baseUrl}/incidents/${incidentId}/approvals/widen-wave-2`, { decision: 'approve' }, await tokenFor(engine.baseUrl, 'bob'));
    expect(counted).toMatchObject({ status: 200, body: { outcome: 'approved' } });

    await resolved(incidentId);
    for (const id of hosts) expect((await fleet.host(id))?.patches).toEqual([`KB-${tag}`]);
  }, 60_000);
});
