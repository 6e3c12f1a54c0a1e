import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { alertsMergedSignal, resolveSignal, stateQuery, type AlertBatch } from '../../workflows/shared/messages';
import { SEARCH_ATTRIBUTE } from '../../lib/temporal/names';
import type { TriageInput } from '../../workflows/triage/shared';
import { eventually, getJson, startTestEngine, type TestEngine } from '../support/engine';

function batch(lastInboxId: number, count: number, incidentId = currentIncident): AlertBatch {
  const at = new Date(Date.now() + lastInboxId).toISOString();
  return {
    incidentId,
    lastInboxId,
    count,
    firstSeen: at,
    lastSeen: at,
    sources: ['falco'],
    maxSeverity: 'high',
    evidence: [{ alertId: randomUUID(), source: 'falco', title: 'shell', severity: 'high', fingerprint: `f${lastInboxId}`, observedAt: at }],
  };
}

let currentIncident = '';

// The triage playbook on a real worker: batches merge once, and a long storm continues as new
// with its counts and timeline intact.
describe('triage playbook', () => {
  let engine: TestEngine;
  let client: Client;
  beforeAll(async () => {
    engine = await startTestEngine();
    client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
  });
  afterAll(async () => {
    await client?.connection.close();
    await engine?.close();
  });

  it('skips a re-sent batch, continues as new before its history grows long, and resolves', async () => {
    const incidentId = randomUUID();
    currentIncident = incidentId;
    const workflowId = `triage:host:can-${incidentId.slice(0, 8)}`;
    const input: TriageInput = {
      incidentId,
      playbook: 'triage',
      playbookVersion: '0.1.0',
      entityKey: `host:can-${incidentId.slice(0, 8)}`,
      entity: { kind: 'host', key: 'can', display: 'can' },
      title: 'storm',
      severity: 'high',
      source: 'falco',
      detectedAt: new Date().toISOString(),
      historyLimit: 40,
    };
    const handle = await client.workflow.signalWithStart('triageIncident', {
      workflowId,
      taskQueue: engine.taskQueue,
      args: [input],
      signal: alertsMergedSignal,
      signalArgs: [batch(1, 10)],
    });
    const firstRun = handle.signaledRunId;
    await handle.signal(alertsMergedSignal, batch(1, 10)); // the dispatcher re-sending after a crash
    for (let id = 2; id <= 30; id++) {
      await handle.signal(alertsMergedSignal, batch(id, 10));
      // Give each batch its own workflow task, as a real storm spread over time would.
      if (id % 5 === 0) await eventually(`batch ${id}`, async () => ((await handle.query(stateQuery)).alertCount >= id * 10 ? true : undefined));
    }
    const state = await eventually('300 alerts', async () => {
      const s = await client.workflow.getHandle(workflowId).query(stateQuery);
      return s.alertCount === 300 ? s : undefined;
    });
    expect(state).toMatchObject({ incidentId, alertCount: 300, sources: ['falco'], maxSeverity: 'high' });

    // A critical batch escalates the incident: its search attributes follow.
    await client.workflow.getHandle(workflowId).signal(alertsMergedSignal, { ...batch(31, 1), maxSeverity: 'critical', sources: ['guardduty'] });
    const escalated = await eventually('search attributes to follow the merge', async () => {
      const d = await client.workflow.getHandle(workflowId).describe();
      return d.typedSearchAttributes.get(SEARCH_ATTRIBUTE.severity) === 'critical' ? d : undefined;
    });
    expect(escalated.typedSearchAttributes.get(SEARCH_ATTRIBUTE.source)).toEqual(['falco', 'guardduty']);

    // The run continues as new once it has recorded what it holds (its counts reach the query
    // before their timeline writes finish, so wait for the new run rather than assume it).
    const latest = await eventually('the run to continue as new', async () => {
      const d = await client.workflow.getHandle(workflowId).describe();
      return d.runId !== firstRun ? d : undefined;
    });
    expect(latest.status.name).toBe('RUNNING');

    await client.workflow.getHandle(workflowId).signal(resolveSignal, { reason: 'storm over', actor: 'test' });
    const events = await eventually('the resolution on the timeline', async () => {
      const t = await getJson(`${engine.baseUrl}/incidents/${incidentId}/timeline?limit=500`);
      const list = (t.body.events ?? []) as { sequence: number; type: string }[];
      return list.at(-1)?.type === 'incident.resolved' ? list : undefined;
    }, 60_000); // several continued runs: seconds when quiet, longer than 15 s under the full suite's load
    // One contiguous timeline across runs: created, the playbook started (once: a continued run
    // does not say it again), 31 merged batches, the critical one's severity raise, resolved.
    expect(events.filter((e) => e.type !== 'alerts.merged').map((e) => e.type)).toEqual(['incident.created', 'playbook.started', 'incident.severity-raised', 'incident.resolved']);
    expect(events.map((e) => e.sequence)).toEqual(Array.from({ length: 35 }, (_, i) => i + 1));
    expect(events.filter((e) => e.type === 'alerts.merged')).toHaveLength(31);
  }, 120_000);

  it('keeps alerts that arrive while it resolves, and hands the next incident’s alerts to a new run', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const key = `host:race-${a.slice(0, 8)}`;
    const start = (incidentId: string): TriageInput => ({
      incidentId,
      playbook: 'triage',
      playbookVersion: '0.1.0',
      entityKey: key,
      entity: { kind: 'host', key: 'race', display: 'race' },
      title: `incident ${incidentId.slice(0, 4)}`,
      severity: 'high',
      source: 'falco',
      detectedAt: new Date().toISOString(),
    });
    const workflowId = `triage:${key}`;
    const handle = await client.workflow.signalWithStart('triageIncident', {
      workflowId,
      taskQueue: engine.taskQueue,
      args: [start(a)],
      signal: alertsMergedSignal,
      signalArgs: [batch(1, 1, a)],
    });
    await eventually('the first batch', async () => ((await handle.query(stateQuery)).alertCount === 1 ? true : undefined));

    // Back to back: resolve, a late batch for this incident, and the entity's next incident.
    await handle.signal(resolveSignal, { reason: 'done', actor: 'test' });
    await handle.signal(alertsMergedSignal, batch(2, 4, a));
    await handle.signal(alertsMergedSignal, { ...batch(3, 7, b), start: start(b) } as AlertBatch);

    const aEvents = await eventually('incident A resolved', async () => {
      const t = await getJson(`${engine.baseUrl}/incidents/${a}/timeline`);
      const list = (t.body.events ?? []) as { type: string; data: { totalAlerts?: number } }[];
      return list.some((e) => e.type === 'incident.resolved') && list.filter((e) => e.type === 'alerts.merged').length === 2 ? list : undefined;
    });
    // The late batch is on A's timeline (before or after the resolution, as it arrived), not lost.
    const merged = aEvents.filter((e) => e.type === 'alerts.merged');
    expect(merged).toHaveLength(2);
    expect(Math.max(...merged.map((e) => e.data.totalAlerts ?? 0))).toBe(5);

    const bState = await eventually('incident B running with its alerts', async () => {
      const s = await client.workflow.getHandle(workflowId).query(stateQuery).catch(() => undefined);
      return s?.incidentId === b && s.alertCount === 7 ? s : undefined;
    });
    expect(bState.status).toBe('open');
    expect((await client.workflow.getHandle(workflowId).describe()).typedSearchAttributes.get(SEARCH_ATTRIBUTE.source)).toEqual(['falco']);
    const bIncident = await eventually('incident B recorded', async () => {
      const i = await getJson(`${engine.baseUrl}/incidents/${b}`);
      return i.status === 200 ? i.body : undefined;
    });
    expect(bIncident).toMatchObject({ status: 'open', workflowId });
  }, 60_000);

  it('records the alerts that reached it before a resolve ahead of the resolution: the timeline ends resolved', async () => {
    const incidentId = randomUUID();
    currentIncident = incidentId;
    const key = `host:queued-${incidentId.slice(0, 8)}`;
    const input: TriageInput = {
      incidentId,
      playbook: 'triage',
      playbookVersion: '0.1.0',
      entityKey: key,
      entity: { kind: 'host', key: 'queued', display: 'queued' },
      title: 'three batches, then a resolve',
      severity: 'high',
      source: 'falco',
      detectedAt: new Date().toISOString(),
    };
    // Delayed start: the signals below wait in the history, so the run's first workflow task
    // meets three batches and the resolve together, and its merge loop is still writing batches
    // when the resolve wakes the body (a storm's batches queued behind a merge's resolve).
    const handle = await client.workflow.start('triageIncident', { workflowId: `triage:${key}`, taskQueue: engine.taskQueue, args: [input], startDelay: '2s' });
    for (const [id, count] of [[1, 1], [2, 2], [3, 3]] as const) await handle.signal(alertsMergedSignal, batch(id, count));
    await handle.signal(resolveSignal, { reason: 'done', actor: 'test' });
    await handle.result();

    const t = await getJson(`${engine.baseUrl}/incidents/${incidentId}/timeline`);
    const events = (t.body.events ?? []) as { sequence: number; type: string; data: { totalAlerts?: number } }[];
    expect(events.map((e) => e.type)).toEqual(['incident.created', 'playbook.started', 'alerts.merged', 'alerts.merged', 'alerts.merged', 'incident.resolved']);
    expect(events.at(-1)?.data.totalAlerts).toBe(6);
  }, 60_000);
});
