import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../apps/cli/start/ports';
import { runMigrations } from '../../lib/db/data-source';
import { createDatabase } from '../setup/postgres';
import { eventually, getJson, postJson, startTestEngine, tokenFor, type TestEngine } from '../support/engine';

// Starting playbooks by hand and deciding their approval gates over HTTP, on a real worker,
// real Temporal and real Postgres. Hosts are new to the simulated fleet, which treats an
// unknown host as production: its isolation waits for an approver.
describe('playbooks and approvals API', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine();
  });
  afterAll(async () => {
    await engine?.close();
  });

  // Who starts a run and who votes is the person the API token names.
  const runs = async (playbook: string, body: unknown, as = 'alice') => postJson(`${engine.baseUrl}/playbooks/${playbook}/runs`, body, await tokenFor(engine.baseUrl, as, 'responder'));
  const decide = async (incidentId: string, gateId: string, as: string, body: unknown) =>
    postJson(`${engine.baseUrl}/incidents/${incidentId}/approvals/${gateId}`, body, await tokenFor(engine.baseUrl, as, 'approver'));
  const incidentsFor = async (entityKey: string) =>
    Number((await engine.db.query<{ n: string }[]>(`SELECT count(*) AS n FROM incidents WHERE entity = $1`, [entityKey]))[0].n);

  it('lists every playbook from its declaration, with a params schema for those started by hand', async () => {
    const res = await getJson(`${engine.baseUrl}/playbooks`);
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(res.body.map((p: { name: string }) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual(['compromised-identity', 'config-drift', 'host-compromise', 'manual-incident', 'patch-canary', 'secret-leak', 'triage']);
    expect(byName.triage).toMatchObject({ workflowType: 'triageIncident', manual: false, paramsSchema: null });
    expect(byName['host-compromise']).toMatchObject({
      workflowType: 'hostCompromise',
      manual: true,
      paramsSchema: { type: 'object', properties: { host: { type: 'string' } }, required: ['host'] },
    });
    for (const name of ['secret-leak', 'config-drift', 'patch-canary']) {
      expect(byName[name].manual).toBe(true);
      expect(byName[name].paramsSchema.type).toBe('object');
      expect(byName[name].version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(byName[name].description.length).toBeGreaterThan(10);
    }
    // Each with its runbook page, its steps in order and its gates as approvals.yaml sets them.
    expect(byName['host-compromise'].runbook).toContain('# Runbook: host compromise');
    // The step names its timeline records, from its declaration; the runner's own listed apart.
    expect(byName['host-compromise'].steps.slice(0, 4)).toEqual(['Enrich from inventory', 'Snapshot disks', 'Collect volatile data', 'Isolate the host']);
    expect(byName['host-compromise'].runnerSteps).toContain('Read the parameters');
    expect(byName['host-compromise'].source).toEqual({ kind: 'shipped', dir: 'workflows/host-compromise' });
    expect(byName['host-compromise'].gates.map((g: { id: string }) => g.id)).toEqual(['isolate-host', 'replace-host', 'undo-containment']);
    expect(byName['host-compromise'].gates[0]).toMatchObject({ approvers: 'role approver', fourEyes: true, fallback: 'deny' });
    expect(byName['patch-canary'].gates[0]).toMatchObject({ id: 'widen-wave', fallback: 'pause' });
    expect(byName.triage).toMatchObject({ runbook: null, steps: [], gates: [] });
    // Defaults are optional on input: a patch-canary run needs only patchId and hosts.
    expect(byName['patch-canary'].paramsSchema.required.sort()).toEqual(['hosts', 'patchId']);
  });

  it('refuses a run it cannot start, saying why, and opens no incident', async () => {
    const host = `test-${randomUUID()}`;

    const badParams = await runs('host-compromise', { params: { hostname: host } });
    expect(badParams).toMatchObject({ status: 400, body: { error: 'invalid_params' } });
    expect(badParams.body.message).toContain('params.host:');
    expect(badParams.body.message).toContain('hostname');

    const badWaves = await runs('patch-canary', { params: { patchId: 'KB-1', hosts: { environment: 'staging' }, waves: [50, 10] } });
    expect(badWaves).toMatchObject({ status: 400, body: { error: 'invalid_params' } });
    expect(badWaves.body.message).toContain('params.waves: must rise and end at 100');

    const unknown = await runs('no-such-playbook', { params: {} });
    expect(unknown).toMatchObject({ status: 404, body: { error: 'unknown_playbook' } });
    expect(unknown.body.message).toContain("'no-such-playbook'");
    expect(unknown.body.message).toContain('host-compromise');

    const triage = await runs('triage', { params: {} });
    expect(triage).toMatchObject({ status: 400, body: { error: 'playbook_not_startable' } });
    expect(triage.body.message).toContain('triage');

    const stranger = await runs('host-compromise', { params: { host }}, 'mallory');
    expect(stranger).toMatchObject({ status: 403, body: { error: 'unknown_person' } });
    expect(stranger.body.message).toContain("'mallory'");
    expect(stranger.body.hint).toContain('runbooks/people.yaml');

    const noOne = await runs('host-compromise', { params: { host }, severity: 'apocalyptic' });
    expect(noOne).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(noOne.body.message).toContain('severity');

    // A viewer may not start runs; no token at all is a 401 that says what to send.
    const viewer = await postJson(`${engine.baseUrl}/playbooks/host-compromise/runs`, { params: { host } }, await tokenFor(engine.baseUrl, 'alice', 'viewer'));
    expect(viewer).toMatchObject({ status: 403, body: { error: 'forbidden', message: expect.stringContaining('responder') } });
    const anonymous = await postJson(`${engine.baseUrl}/playbooks/host-compromise/runs`, { params: { host } }, null);
    expect(anonymous).toMatchObject({ status: 401, body: { error: 'unauthenticated', hint: expect.stringContaining('Authorization: Bearer') } });

    expect(await incidentsFor(`host:${host}`)).toBe(0);
  });

  it('starts host-compromise by hand, takes votes on its isolation gate, and cancels it', async () => {
    const host = `test-${randomUUID()}`;
    const started = await runs('host-compromise', { params: { host } });
    expect(started.status).toBe(202);
    const { incidentId, workflowId, links } = started.body;
    expect(workflowId).toBe(`host-compromise:host:${host}`);
    expect(links).toEqual({ incident: `/incidents/${incidentId}`, timeline: `/incidents/${incidentId}/timeline`, approvals: `/incidents/${incidentId}/approvals` });

    const incident = await getJson(`${engine.baseUrl}/incidents/${incidentId}`);
    expect(incident.body).toMatchObject({ id: incidentId, workflowId, status: expect.any(String), playbook: 'host-compromise', severity: 'high', entity: `host:${host}`, title: `Suspected compromise of ${host}` });

    const again = await runs('host-compromise', { params: { host }}, 'bob');
    expect(again).toMatchObject({ status: 409, body: { error: 'incident_already_open' } });
    expect(again.body.message).toContain(incidentId);

    const gate = await eventually(
      'the isolate-host gate to open',
      async () => {
        const res = await getJson(`${engine.baseUrl}/incidents/${incidentId}/approvals`);
        return res.status === 200 ? res.body.gates.find((g: { id: string; status: string }) => g.id === 'isolate-host' && g.status === 'open') : undefined;
      },
      30_000,
    );
    expect(gate).toMatchObject({ requestedBy: 'alice', needed: 1, approvals: 0, votes: [], critical: false, fallback: 'deny', approvers: { roles: ['approver'] } });
    expect(Date.parse(gate.deadline)).toBeGreaterThan(Date.now());
    expect(Date.parse(gate.expiresAt)).toBeGreaterThan(Date.parse(gate.deadline));

    const own = await decide(incidentId, 'isolate-host', 'alice', { decision: 'approve' });
    expect(own).toMatchObject({ status: 409, body: { error: 'own_request' } });
    expect(own.body.message).toContain('alice');

    const notAllowed = await decide(incidentId, 'isolate-host', 'carol', { decision: 'approve' });
    expect(notAllowed).toMatchObject({ status: 409, body: { error: 'not_allowed' } });
    expect(notAllowed.body.message).toContain('carol');

    const stranger = await decide(incidentId, 'isolate-host', 'mallory', { decision: 'approve' });
    expect(stranger).toMatchObject({ status: 403, body: { error: 'unknown_person' } });

    const asserted = await decide(incidentId, 'isolate-host', 'bob', { decision: 'approve', approver: 'dave' });
    expect(asserted).toMatchObject({ status: 400, body: { message: expect.stringContaining('the approver is the person your API token names') } });

    const responderVote = await postJson(`${engine.baseUrl}/incidents/${incidentId}/approvals/isolate-host`, { decision: 'approve' }, await tokenFor(engine.baseUrl, 'bob', 'responder'));
    expect(responderVote).toMatchObject({ status: 403, body: { error: 'forbidden' } });

    const silentDeny = await decide(incidentId, 'isolate-host', 'bob', { decision: 'deny' });
    expect(silentDeny.status).toBe(400);
    expect(silentDeny.body.message).toContain('reason');

    const approved = await decide(incidentId, 'isolate-host', 'bob', { decision: 'approve', reason: 'reverse shell confirmed' });
    expect(approved.status).toBe(200);
    expect(approved.body).toEqual({ incidentId, gateId: 'isolate-host', outcome: 'approved', approvals: 1, needed: 1 });

    const twice = await decide(incidentId, 'isolate-host', 'bob', { decision: 'approve' });
    expect(twice).toMatchObject({ status: 409, body: { error: 'already_decided' } });

    const nowhere = await decide(incidentId, 'no-such-gate', 'bob', { decision: 'approve' });
    expect(nowhere).toMatchObject({ status: 409, body: { error: 'unknown_gate' } });
    expect(nowhere.body.message).toContain('no-such-gate');

    // The playbook moves on to the rebuild: the waiting gate comes first, the decided one after.
    const gates = await eventually(
      'the replace-host gate to open',
      async () => {
        const res = await getJson(`${engine.baseUrl}/incidents/${incidentId}/approvals`);
        return res.body.gates?.length === 2 ? res.body.gates : undefined;
      },
      30_000,
    );
    expect(gates.map((g: { id: string; status: string }) => [g.id, g.status])).toEqual([
      ['replace-host', 'open'],
      ['isolate-host', 'approved'],
    ]);
    expect(gates[1].votes).toMatchObject([{ approverId: 'bob', decision: 'approve', reason: 'reverse shell confirmed', via: 'api' }]);

    // The host is isolated: undoing that on alice's cancel needs another approver (bob).
    const cancel = await postJson(`${engine.baseUrl}/incidents/${incidentId}/cancel`, { reason: 'false positive: a red-team drill' }, await tokenFor(engine.baseUrl, 'alice', 'responder'));
    expect(cancel.status).toBe(202);
    expect(cancel.body).toMatchObject({ incidentId, status: 'awaiting-approval', gateId: 'undo-containment', undo: ['Release the host'] });
    await eventually('the undo gate to open', async () => {
      const res = await getJson(`${engine.baseUrl}/incidents/${incidentId}/approvals`);
      return res.body.gates?.some((g: { id: string; status: string }) => g.id === 'undo-containment' && g.status === 'open') ? true : undefined;
    });
    expect(await decide(incidentId, 'undo-containment', 'bob', { decision: 'approve', reason: 'red team confirmed' })).toMatchObject({ status: 200, body: { outcome: 'approved' } });
    await eventually(
      'the incident to be cancelled',
      async () => {
        const res = await getJson(`${engine.baseUrl}/incidents/${incidentId}`);
        return res.body.status === 'cancelled' ? res.body : undefined;
      },
      30_000,
    );

    const closed = await getJson(`${engine.baseUrl}/incidents/${incidentId}/approvals`);
    expect(closed).toMatchObject({ status: 409, body: { error: 'playbook_not_running' } });
    expect(closed.body.hint).toContain(`/incidents/${incidentId}/timeline`);
    const lateVote = await decide(incidentId, 'replace-host', 'bob', { decision: 'approve' });
    expect(lateVote).toMatchObject({ status: 409, body: { error: 'playbook_not_running' } });
    const cancelAgain = await postJson(`${engine.baseUrl}/incidents/${incidentId}/cancel`, { reason: 'again' });
    expect(cancelAgain).toMatchObject({ status: 409, body: { error: 'incident_closed' } });

    // GET /metrics: the approval's wait and the steps' durations, folded in from the timeline.
    const metrics = await eventually('playbook metrics', async () => {
      const text = await (await fetch(`${engine.baseUrl}/metrics`)).text();
      return /palisade_approval_wait_seconds_count\{playbook="host-compromise",outcome="approved"\} [1-9]/.test(text) ? text : undefined;
    });
    expect(metrics).toMatch(/palisade_step_duration_seconds_count\{playbook="host-compromise",step="[^"]+",outcome="succeeded"\} [1-9]/);
    expect(metrics).toMatch(/^# TYPE palisade_incidents_open gauge$/m);
  }, 120_000);

  it('without Slack credentials, answers Slack\'s requests with 503 saying how to connect it (approvals work through the API above)', async () => {
    const res = await fetch(`${engine.baseUrl}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'payload=%7B%7D' });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: 'slack_not_configured', hint: expect.stringContaining('SLACK_SIGNING_SECRET') });
  });

  it('answers 503 and keeps no incident when Temporal is unreachable', async () => {
    // A database of its own: this engine's inbox dispatcher must not lease other tests' alerts.
    const db = await createDatabase(inject('postgresAdminUrl'), `palisade_offline_${Date.now()}`);
    await runMigrations(db.url);
    const offline = await startTestEngine({ withWorker: false, databaseUrl: db.url, temporalAddress: `127.0.0.1:${await freePort()}` });
    try {
      const host = `test-${randomUUID()}`;
      const res = await postJson(`${offline.baseUrl}/playbooks/host-compromise/runs`, { params: { host } }, await tokenFor(offline.baseUrl, 'alice', 'responder'));
      expect(res, JSON.stringify(res.body)).toMatchObject({ status: 503, body: { error: "temporal_unavailable" } });
      expect(res.body.message).toContain(`host:${host}`);
      const left = await offline.db.query<{ n: string }[]>(`SELECT count(*) AS n FROM incidents`);
      expect(Number(left[0].n)).toBe(0);

      const incidentId = randomUUID();
      await offline.db.query(
        `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity, detected_at)
         VALUES ($1, $2, 'offline check', 'low', 'open', 'host-compromise', '1.0.0', $3, now())`,
        [incidentId, `host-compromise:host:${host}`, `host:${host}`],
      );
      const approvals = await getJson(`${offline.baseUrl}/incidents/${incidentId}/approvals`);
      expect(approvals).toMatchObject({ status: 503, body: { error: 'temporal_unavailable' } });
    } finally {
      await offline.close();
      await db.drop();
    }
  }, 60_000);
});
