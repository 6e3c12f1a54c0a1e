import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SimulatedFleet } from '../../activities/providers/simulated/fleet';
import { escapeMarkdown, formatDuration, formatUtc } from '../../lib/postmortem/format';
import { Capability } from '../../lib/providers/capabilities';
import { cancelSignal, decideUpdate, resolveSignal, stateQuery } from '../../workflows/shared/messages';
import { eventually, getJson, patchJson, postJson, startTestEngine, TEST_ADMIN_TOKEN, tokenFor, type TestEngine } from '../support/engine';
import { gateOpen, incidentStatus, PEOPLE, vote } from '../support/playbooks';
import { genericAlert, sendGeneric } from '../support/webhooks';

const HOSTILE_TITLE = 'Reverse shell | <script>alert(1)</script>\n# pwned';

interface Event {
  sequence: number;
  type: string;
  occurredAt: string;
  data: Record<string, any>;
}

// Postmortems of real incidents: a signed webhook in, the host-compromise playbook on a real
// worker, real Temporal and real Postgres, then GET /incidents/:id/postmortem in each format,
// its numbers checked against the incident and its timeline as the API serves them.
describe('postmortem API', () => {
  let engine: TestEngine;
  let client: Client;
  let fleet: SimulatedFleet;
  beforeAll(async () => {
    engine = await startTestEngine();
    client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
    fleet = new SimulatedFleet(engine.db);
  });
  afterAll(async () => {
    await client?.connection.close();
    await engine?.close();
  });

  const fetchAs = (path: string, token: string | null = TEST_ADMIN_TOKEN) => fetch(`${engine.baseUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  /** A host-compromise incident opened by a webhook alert; resolves with its id and workflow handle. */
  async function openIncident(host: string, environment: 'production' | 'development') {
    await fleet.addHost({ id: host, hostname: host, owner: 'team-web', environment, criticality: 'high' });
    const sent = await sendGeneric(engine.baseUrl, genericAlert(host, { title: HOSTILE_TITLE }));
    expect(sent.status).toBe(202);
    const incidentId = sent.body.incidentId as string;
    // The door records the incident; the inbox dispatcher then starts its playbook, which opens the timeline.
    await eventually('the playbook to open the incident', async () => {
      const res = await getJson(`${engine.baseUrl}/incidents/${incidentId}/timeline`);
      return res.status === 200 && res.body.events.length > 0 ? true : undefined;
    });
    const incident = (await getJson(`${engine.baseUrl}/incidents/${incidentId}`)).body;
    return { incidentId, handle: client.workflow.getHandle(incident.workflowId as string) };
  }

  /** The incident, its whole timeline and its postmortem model, as the API serves them. */
  async function read(incidentId: string) {
    const incident = (await getJson(`${engine.baseUrl}/incidents/${incidentId}`)).body;
    const timeline = await getJson(`${engine.baseUrl}/incidents/${incidentId}/timeline?limit=500`);
    expect(timeline.body.nextCursor).toBeNull();
    const res = await getJson(`${engine.baseUrl}/incidents/${incidentId}/postmortem?format=json`);
    expect(res.status).toBe(200);
    const events = timeline.body.events as Event[];
    const at = (type: string, match: (e: Event) => boolean = () => true) => {
      const e = events.find((x) => x.type === type && match(x));
      if (!e) throw new Error(`no ${type} event on the timeline`);
      return Date.parse(e.occurredAt);
    };
    const count = (type: string) => events.filter((e) => e.type === type).length;
    return { incident, events, pm: res.body, at, count };
  }

  it('resolved with two approvals and a retry: the numbers match the timeline, in json, md and html', async () => {
    const host = `web-${randomUUID().slice(0, 8)}`;
    // The isolation check fails once, then holds: one retry on the timeline.
    await fleet.setFault(Capability.HostIsolation, { action: 'verify', target: host, failNext: 1 });
    const { incidentId, handle } = await openIncident(host, 'production');
    await gateOpen(handle, 'isolate-host', 30_000);
    // The playbook is responding on its own; nobody has acknowledged it yet.
    expect((await getJson(`${engine.baseUrl}/incidents/${incidentId}`)).body).toMatchObject({ status: 'responding', acknowledgedAt: null });
    const ack = await postJson(`${engine.baseUrl}/incidents/${incidentId}/acknowledge`, { note: 'on it' }, await tokenFor(engine.baseUrl, 'carol', 'responder'));
    expect(ack).toMatchObject({ status: 200, body: { acknowledgedBy: 'carol' } });
    await vote(handle, 'isolate-host', 'bob', 'approve', 'confirmed | <b>bob</b>\n## pwned');
    await gateOpen(handle, 'replace-host', 30_000);
    await vote(handle, 'replace-host', 'alice', 'deny', 'not now');
    await incidentStatus(engine, incidentId, 'resolved');

    const { incident, events, pm, at, count } = await read(incidentId);
    const start = Date.parse(incident.firstAlertAt);
    expect(pm.incident).toMatchObject({ id: incidentId, title: HOSTILE_TITLE, status: 'resolved', playbook: 'host-compromise', entity: `host:${host}` });
    expect(pm.impact).toMatchObject({ entity: `host:${host}`, severity: incident.severity, alertCount: 1, sources: ['generic'], firstAlertAt: new Date(start).toISOString() });
    expect(pm.impact.alerts).toEqual([expect.objectContaining({ title: HOSTILE_TITLE, source: 'generic' })]);

    // Key times: from the first alert to the incident opened on the timeline, and to the projection's stamps.
    expect(pm.times.startedAt).toBe(new Date(start).toISOString());
    expect(pm.durations.toDetectMs).toBe(at('incident.created') - start);
    // Time to acknowledge measures the person (carol), not the playbook's start.
    expect(incident.acknowledgedAt).toBe(ack.body.acknowledgedAt);
    expect(pm.summary.acknowledgedBy).toBe('carol');
    expect(pm.durations.toAcknowledgeMs).toBe(Date.parse(ack.body.acknowledgedAt) - start);
    expect(pm.durations.toContainMs).toBe(Date.parse(incident.containedAt) - start);
    expect(pm.durations.toResolveMs).toBe(Date.parse(incident.resolvedAt) - start);
    expect(pm.durations.toDetectMs).toBeGreaterThan(0);
    // The stamps follow the order the timeline tells.
    expect(Date.parse(incident.acknowledgedAt)).toBe(at('incident.acknowledged'));
    expect(at('incident.status-changed', (e) => e.data.status === 'responding')).toBeLessThan(Date.parse(incident.acknowledgedAt));
    expect(events.some((e) => e.type === 'incident.status-changed' && e.data.status === 'acknowledged')).toBe(false);
    expect(Date.parse(incident.containedAt)).toBeGreaterThan(at('gate.decided', (e) => e.data.gateId === 'isolate-host'));
    expect(Date.parse(incident.resolvedAt)).toBeGreaterThanOrEqual(at('incident.resolved'));

    // Every approval, its decider and its wait, as the timeline's gate events have them.
    const gate = (id: string, type: string) => at(type, (e) => e.data.gateId === id);
    const waits = ['isolate-host', 'replace-host'].map((id) => gate(id, 'gate.decided') - gate(id, 'gate.requested'));
    expect(pm.approvals.map((a: any) => [a.gateId, a.outcome, a.decidedBy, a.requestedAt, a.decidedAt, a.waitedMs])).toEqual([
      ['isolate-host', 'approved', ['bob'], new Date(gate('isolate-host', 'gate.requested')).toISOString(), new Date(gate('isolate-host', 'gate.decided')).toISOString(), waits[0]],
      ['replace-host', 'denied', ['alice'], new Date(gate('replace-host', 'gate.requested')).toISOString(), new Date(gate('replace-host', 'gate.decided')).toISOString(), waits[1]],
    ]);
    expect(pm.approvals[0].votes).toEqual([expect.objectContaining({ approver: 'bob', decision: 'approve', reason: 'confirmed | <b>bob</b>\n## pwned', via: 'api' })]);
    expect(pm.durations.waitingForApprovalMs).toBe(waits[0] + waits[1]);

    // What the automation did: every step event counted once.
    expect(pm.automation.counts).toMatchObject({
      steps: count('step.started') + count('step.skipped'),
      succeeded: count('step.succeeded'),
      failed: count('step.failed'),
      skipped: count('step.skipped'),
      retries: count('step.retrying'),
      running: 0,
    });
    expect(pm.automation.counts).toMatchObject({ failed: 0, retries: 1 });
    expect(pm.automation.steps.find((s: any) => s.name === 'Verify isolation')).toMatchObject({ outcome: 'succeeded', attempts: 2, retries: 1 });
    expect(pm.automation.playbook.outcome).toBe('completed');
    expect(pm.timeline.map((e: any) => [e.sequence, e.type])).toEqual(events.map((e) => [e.sequence, e.type]));
    expect(pm.actionItems).toEqual([]);

    // Markdown: the default, plain text with the same numbers; the hostile title stays text.
    const mdRes = await fetchAs(`/incidents/${incidentId}/postmortem`);
    expect(mdRes.status).toBe(200);
    expect(mdRes.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    const md = await mdRes.text();
    expect(md).toContain(`| Detected: Palisade opened the incident | ${formatUtc(pm.times.openedAt)} | time to detect: ${formatDuration(pm.durations.toDetectMs)} |`);
    expect(md).toContain(`| Acknowledged by carol | ${formatUtc(incident.acknowledgedAt)} | time to acknowledge: ${formatDuration(pm.durations.toAcknowledgeMs)} |`);
    expect(md).toContain(`| Contained | ${formatUtc(incident.containedAt)} | time to contain: ${formatDuration(pm.durations.toContainMs)} |`);
    expect(md).toContain(`| Resolved | ${formatUtc(incident.resolvedAt)} | time to resolve: ${formatDuration(pm.durations.toResolveMs)} |`);
    for (const a of pm.approvals) {
      expect(md).toContain(`| ${a.gateId} | ${escapeMarkdown(a.step)} | ${formatUtc(a.requestedAt)} | ${a.outcome} | ${formatUtc(a.decidedAt)} | ${formatDuration(a.waitedMs)} | ${a.decidedBy.join(', ')} |`);
    }
    expect(md).toContain('# Postmortem: Reverse shell \\| \\<script\\>alert(1)\\</script\\> # pwned');
    expect(md).toContain(`${count('step.succeeded')} steps succeeded, 0 failed, ${count('step.skipped')} skipped; 1 retry;`);
    expect(md.split('\n').filter((l) => /^#+ .*pwned/.test(l))).toEqual(['# Postmortem: Reverse shell \\| \\<script\\>alert(1)\\</script\\> # pwned']);
    expect(md).not.toMatch(/(?<!\\)</);

    // HTML: a standalone page, escaped.
    const htmlRes = await fetchAs(`/incidents/${incidentId}/postmortem?format=html`);
    expect(htmlRes.status).toBe(200);
    expect(htmlRes.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(htmlRes.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
    const html = await htmlRes.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script|<link|src=|href=|@import|url\(/i);
    expect(html).toContain('Postmortem: Reverse shell | &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain(`time to detect: ${formatDuration(pm.durations.toDetectMs)}`);
    expect(html).toContain(`time to resolve: ${formatDuration(pm.durations.toResolveMs)}`);
    for (const a of pm.approvals) expect(html).toContain(`<td class="num">${formatDuration(a.waitedMs)}</td>`);
  }, 90_000);

  it('a failed step, a cancel and its compensation: what failed and what was undone', async () => {
    const host = `dev-${randomUUID().slice(0, 8)}`;
    await fleet.setFault(Capability.HostIsolation, { action: 'verify', target: host, offline: true });
    const { incidentId, handle } = await openIncident(host, 'development');
    await eventually('the playbook to fail', async () => ((await handle.query(stateQuery)).phase === 'failed' ? true : undefined), 45_000);
    await handle.signal(cancelSignal, { reason: 'false positive: a pentest', actor: 'bob', incidentId });
    // The host was isolated: releasing it on bob's cancel needs another approver.
    await gateOpen(handle, 'undo-containment');
    await handle.executeUpdate(decideUpdate, { args: [{ gateId: 'undo-containment', decision: 'approve', approver: PEOPLE.alice, reason: 'pentest confirmed' }] });
    await incidentStatus(engine, incidentId, 'cancelled');

    const { incident, pm, at, count } = await read(incidentId);
    const start = Date.parse(incident.firstAlertAt);
    expect(pm.incident.status).toBe('cancelled');
    expect(pm.approvals).toEqual([expect.objectContaining({ gateId: 'undo-containment', outcome: 'approved', requestedBy: 'bob' })]);
    expect(pm.durations).toMatchObject({ toResolveMs: null, toCloseMs: at('incident.cancelled') - start, toContainMs: null, waitingForApprovalMs: pm.approvals[0].waitedMs });
    expect(pm.summary).toMatchObject({ closed: true, closedBy: 'bob', closing: expect.stringContaining('false positive: a pentest') });
    // Nobody acknowledged it: the playbook responding on its own is no acknowledgement.
    expect(pm.summary.acknowledgedBy).toBeNull();
    expect(pm.times.acknowledgedAt).toBeNull();
    expect(pm.durations.toAcknowledgeMs).toBeNull();
    expect(pm.automation.playbook).toMatchObject({ outcome: 'failed', failedStep: 'Verify isolation' });
    expect(pm.automation.counts).toMatchObject({ failed: count('step.failed'), retries: count('step.retrying'), compensations: 1, compensationsFailed: 0 });
    expect(pm.automation.failedSteps).toEqual([expect.objectContaining({ name: 'Verify isolation', attempts: 4, retries: 3, errorType: 'AgentOffline' })]);
    expect(pm.automation.compensations).toEqual([expect.objectContaining({ name: 'Release the host', reason: 'cancel', outcome: 'succeeded' })]);
    expect(pm.automation.steps.find((s: any) => s.name === 'Release the host')).toMatchObject({ compensation: true, outcome: 'succeeded' });
    expect(pm.actionItems).toEqual([expect.stringContaining('"Verify isolation" failed after 4 attempt(s)')]);

    const md = await (await fetchAs(`/incidents/${incidentId}/postmortem?format=md`)).text();
    expect(md).toContain('- **Playbook:** failed at "Verify isolation"');
    expect(md).toMatch(/- \*\*Verify isolation\*\* failed at \S+ after 4 attempts \(AgentOffline\): /);
    expect(md).toContain('- Undo **Release the host** (cancel): succeeded');
    expect(md).toContain(`| Cancelled | ${formatUtc(pm.times.closedAt)} | ${formatDuration(pm.durations.toCloseMs)} |`);
    expect(md).toContain('- [ ] Find out why "Verify isolation" failed');
  }, 90_000);

  it('gains the owner and who gave it to whom, each SLA target met or pending, links and merges, and the review state (json and md)', async () => {
    const tag = randomUUID().slice(0, 8);
    const a = await openIncident(`dev-a-${tag}`, 'development');
    const b = await openIncident(`dev-b-${tag}`, 'development');
    const c = await openIncident(`dev-c-${tag}`, 'development');
    // Contained by its playbook, then waiting for a person: contain is reached, acknowledge and resolve are not.
    await gateOpen(a.handle, 'replace-host', 30_000);
    const carol = await tokenFor(engine.baseUrl, 'carol', 'responder');
    const url = (path: string) => `${engine.baseUrl}${path}`;
    expect(await postJson(url(`/incidents/${a.incidentId}/take`), { reason: 'I know this host' }, carol)).toMatchObject({ status: 200, body: { assignee: 'carol' } });
    expect(await postJson(url(`/incidents/${a.incidentId}/assign`), { assignee: 'bob', reason: 'handover' }, carol)).toMatchObject({ status: 200, body: { assignee: 'bob', previous: 'carol' } });
    expect(await postJson(url(`/incidents/${a.incidentId}/links`), { incidentId: c.incidentId, relation: 'caused-by', reason: 'same phishing wave' }, carol)).toMatchObject({ status: 200, body: { created: true } });
    expect((await postJson(url(`/incidents/${b.incidentId}/merge`), { into: a.incidentId, reason: 'same host twice' }, carol)).status).toBe(202);
    // The duplicate's alert moves here and its playbook raises the severity a level for it (high → critical):
    // waited for, so that everything below reads one state (CI once read the incident high and its postmortem critical).
    await eventually('the moved alert to raise the survivor to critical', async () => ((await getJson(url(`/incidents/${a.incidentId}`))).body.severity === 'critical' ? true : undefined), 60_000);
    const edited = await patchJson(url(`/postmortems/${a.incidentId}`), { rootCause: 'a reused password' }, carol);
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);

    const { incident, pm } = await read(a.incidentId);
    expect(pm.owner).toEqual({
      assignee: 'bob',
      assignments: [
        expect.objectContaining({ by: 'carol', how: 'take', assignee: 'carol', previous: null, reason: 'I know this host' }),
        expect.objectContaining({ by: 'carol', how: 'assign', assignee: 'bob', previous: 'carol', reason: 'handover' }),
      ],
    });
    // runbooks/sla.yaml: critical acknowledges within 15m and contains within 1h; a host compromise resolves within 30m.
    const start = Date.parse(incident.firstAlertAt);
    const due = (ms: number) => new Date(start + ms).toISOString();
    expect(incident.severity).toBe('critical');
    expect(pm.sla).toEqual([
      { measure: 'acknowledge', target: '15m', targetMs: 900_000, rule: 'critical', dueAt: due(900_000), reachedAt: null, tookMs: null, state: 'pending' },
      { measure: 'contain', target: '1h', targetMs: 3_600_000, rule: 'critical', dueAt: due(3_600_000), reachedAt: incident.containedAt, tookMs: Date.parse(incident.containedAt) - start, state: 'met' },
      { measure: 'resolve', target: '30m', targetMs: 1_800_000, rule: 'host-compromise/critical', dueAt: due(1_800_000), reachedAt: null, tookMs: null, state: 'pending' },
    ]);
    // The list's clock comes from the same judgement.
    expect(incident.sla).toMatchObject({ measure: 'acknowledge', dueAt: due(900_000) });
    expect(pm.links).toEqual({
      duplicateOf: null,
      mergedIn: [expect.objectContaining({ incidentId: b.incidentId, relation: 'duplicated-by', reason: 'same host twice', by: 'carol', at: expect.any(String) })],
      related: [expect.objectContaining({ incidentId: c.incidentId, relation: 'caused-by', reason: 'same phishing wave', by: 'carol', title: HOSTILE_TITLE })],
    });
    expect(pm.review).toEqual({ state: 'draft', revision: 1, signOffs: [], published: null });
    // The duplicate's postmortem points at where its alerts went.
    const dup = await getJson(url(`/incidents/${b.incidentId}/postmortem?format=json`));
    expect(dup.body.links).toMatchObject({ duplicateOf: { incidentId: a.incidentId, relation: 'duplicate-of', reason: 'same host twice', by: 'carol' }, mergedIn: [], related: [] });
    expect(dup.body.review).toBeNull();

    const md = await (await fetchAs(`/incidents/${a.incidentId}/postmortem`)).text();
    expect(md).toContain('- **Owner:** bob (2 changes of owner, under Ownership).');
    const contain = /\| contain within (\w+) \| (\w+) \| (\S+) \| (\S+) \| (\S+) \| met \|/.exec(md);
    expect(contain, md).not.toBeNull();
    const [, within, severity, dueAt, reachedAt, took] = contain!;
    expect({ within, severity, dueAt, reachedAt, took }).toEqual({ within: '1h', severity: 'critical', dueAt: formatUtc(due(3_600_000)), reachedAt: formatUtc(incident.containedAt), took: formatDuration(Date.parse(incident.containedAt) - start) });
    expect(md).toMatch(/\| acknowledge within 15m \| critical \|/);
    expect(md).toContain(`- **Merged in:** ${b.incidentId} `);
    expect(md).toContain(`- **caused-by** ${c.incidentId} `);
    expect(md).toContain(`- **Review:** revision 1, draft (GET /postmortems/${a.incidentId}).`);

    for (const { incidentId, handle } of [a, c]) await handle.signal(resolveSignal, { reason: 'test over', actor: 'bob', incidentId });
    await incidentStatus(engine, a.incidentId, 'resolved');
  }, 120_000);

  it('reads an open incident, answers a viewer, and refuses an unknown format, incident or token with the error shape', async () => {
    const { incidentId, handle } = await openIncident(`dev-${randomUUID().slice(0, 8)}`, 'development');
    await gateOpen(handle, 'replace-host', 30_000);
    const viewer = await tokenFor(engine.baseUrl, 'vera', 'viewer');
    // The gate is open in the workflow before its gate.requested event reaches the timeline.
    const open = await eventually('the gate request on the timeline', async () => {
      const res = await getJson(`${engine.baseUrl}/incidents/${incidentId}/postmortem?format=json`, viewer);
      return res.body.approvals?.length > 0 ? res : undefined;
    });
    expect(open.status).toBe(200);
    expect(open.body.summary.closed).toBe(false);
    expect(open.body.durations).toMatchObject({ toResolveMs: null, toCloseMs: null });
    expect(open.body.approvals).toEqual([expect.objectContaining({ gateId: 'replace-host', outcome: 'open', decidedAt: null, waitedMs: null })]);
    expect(open.body.automation.playbook.outcome).toBe('running');
    const md = await (await fetchAs(`/incidents/${incidentId}/postmortem`, viewer)).text();
    expect(md).toContain('- **Not closed yet:** the incident is contained.');

    const badFormat = await getJson(`${engine.baseUrl}/incidents/${incidentId}/postmortem?format=pdf`);
    expect(badFormat).toMatchObject({ status: 400, body: { error: 'invalid_request', message: expect.stringContaining("expected 'md', 'html' or 'json'"), hint: expect.any(String) } });
    expect(await getJson(`${engine.baseUrl}/incidents/${randomUUID()}/postmortem`)).toMatchObject({ status: 404, body: { error: 'incident_not_found' } });
    expect(await getJson(`${engine.baseUrl}/incidents/not-an-id/postmortem`)).toMatchObject({ status: 400, body: { error: 'invalid_incident_id' } });
    expect(await getJson(`${engine.baseUrl}/incidents/${incidentId}/postmortem`, null)).toMatchObject({ status: 401, body: { error: 'unauthenticated' } });

    await handle.signal(resolveSignal, { reason: 'test over', actor: 'bob', incidentId });
    await incidentStatus(engine, incidentId, 'resolved');
  }, 60_000);
});
