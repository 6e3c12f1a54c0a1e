import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import triage from '../../workflows/triage/playbook';
import { alertsMergedSignal } from '../../workflows/shared/messages';
import type { TriageBatch, TriageInput } from '../../workflows/triage/shared';
import { eventually, getJson, postJson, startTestEngine, type TestEngine, TRIAGE_ROUTING } from '../support/engine';
import { genericAlert, sendGeneric } from '../support/webhooks';

// Alerts that reach an incident as it closes: answered `202 merged`, so they must land on an
// incident that acts on them, never on a shelf, and never restart a closed incident's run.
describe('alerts that reach an incident as it closes', () => {
  let engine: TestEngine;
  let client: Client;
  beforeAll(async () => {
    engine = await startTestEngine({ env: TRIAGE_ROUTING });
    client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
  });
  afterAll(async () => {
    await client?.connection.close();
    await engine?.close();
  });

  const events = async (incidentId: string) =>
    ((await getJson(`${engine.baseUrl}/incidents/${incidentId}/timeline`)).body.events ?? []) as { type: string; sequence: number; data: Record<string, any> }[];

  async function openIncident(host: string): Promise<string> {
    const first = await sendGeneric(engine.baseUrl, genericAlert(host), { delivery: `${host}-1` });
    expect(first.body.disposition).toBe('started');
    await eventually('the playbook to run', async () => ((await events(first.body.incidentId)).length >= 2 ? true : undefined));
    return first.body.incidentId as string;
  }

  /**
   * Merges an alert into the incident and resolves it while the dispatcher is held off that
   * incident (it takes this advisory lock to claim one). Returns the late alert's id and, once
   * the incident is resolved, `release` to let the dispatcher at it.
   */
  async function mergeAsItCloses(host: string, incidentId: string): Promise<{ lateAlertId: string; release: () => Promise<void> }> {
    const pg = new PgClient({ connectionString: engine.databaseUrl });
    await pg.connect();
    try {
      await pg.query(`SELECT pg_advisory_lock(hashtext($1))`, [incidentId]);
      const late = await sendGeneric(engine.baseUrl, genericAlert(host, { id: 'late' }), { delivery: `${host}-late` });
      expect(late.body).toMatchObject({ disposition: 'merged', incidentId });
      expect((await postJson(`${engine.baseUrl}/incidents/${incidentId}/resolve`, { classification: 'true_positive', reason: 'reimaged' })).status).toBe(202);
      await eventually('the incident to resolve', async () => ((await getJson(`${engine.baseUrl}/incidents/${incidentId}`)).body.status === 'resolved' ? true : undefined));
      return { lateAlertId: late.body.alertIds[0] as string, release: () => pg.end() };
    } catch (err) {
      await pg.end();
      throw err;
    }
  }

  const recorded = (list: { type: string; data: Record<string, any> }[], alertId: string) =>
    list.some((e) => e.type === 'alerts.merged' && e.data.evidence.some((a: { alertId: string }) => a.alertId === alertId));

  it('an alert merged just before the close and dispatched just after reopens the incident and reaches its playbook', async () => {
    const host = `late-${randomUUID().slice(0, 8)}`;
    const incidentId = await openIncident(host);
    const { lateAlertId, release } = await mergeAsItCloses(host, incidentId);
    await release();

    // The alert is not shelved: the incident reopens and its playbook records it.
    const timeline = await eventually('the late alert on a running incident', async () => {
      const list = await events(incidentId);
      return recorded(list, lateAlertId) ? list : undefined;
    }, 20_000);
    const types = timeline.map((e) => e.type);
    expect(types.slice(types.indexOf('incident.resolved'))).toEqual(['incident.resolved', 'note', 'incident.reopened', 'playbook.started', 'alerts.merged']);
    expect(timeline.find((e) => e.type === 'note')?.data).toMatchObject({ lateAlerts: 1 });
    expect(timeline.map((e) => e.sequence)).toEqual(timeline.map((_, i) => i + 1));
    const incident = await getJson(`${engine.baseUrl}/incidents/${incidentId}`);
    expect(incident.body).toMatchObject({ status: 'open', alertCount: 2, resolvedAt: null });
    expect(incident.body.live).toMatchObject({ alertCount: 1 });
  });

  it('when the entity has a new incident by then, the late alert joins it and both timelines say so', async () => {
    const host = `moved-${randomUUID().slice(0, 8)}`;
    const incidentId = await openIncident(host);
    const { lateAlertId, release } = await mergeAsItCloses(host, incidentId);
    let nextId: string;
    try {
      const next = await sendGeneric(engine.baseUrl, genericAlert(host, { id: 'next' }), { delivery: `${host}-next` });
      expect(next.body.disposition).toBe('started');
      nextId = next.body.incidentId as string;
      await eventually('the next incident to run', async () => ((await events(nextId)).length >= 2 ? true : undefined));
    } finally {
      await release();
    }

    const moved = await eventually('the late alert on the next incident', async () => {
      const list = await events(nextId);
      return recorded(list, lateAlertId) ? list : undefined;
    }, 20_000);
    expect(moved.map((e) => e.type)).toEqual(['incident.created', 'playbook.started', 'alerts.merged', 'alerts.merged']);
    expect((await getJson(`${engine.baseUrl}/alerts/${lateAlertId}`)).body.incidentId).toBe(nextId);
    expect((await events(incidentId)).at(-1)).toMatchObject({ type: 'note', data: { lateAlerts: 1, movedTo: nextId } });
    expect((await getJson(`${engine.baseUrl}/incidents/${incidentId}`)).body).toMatchObject({ status: 'resolved', alertCount: 1 });
    expect((await getJson(`${engine.baseUrl}/incidents/${nextId}`)).body).toMatchObject({ status: 'open', alertCount: 2 });
  });

  it('a signal that arrives after the run ended does not restart the closed incident', async () => {
    const host = `stale-${randomUUID().slice(0, 8)}`;
    const incidentId = await openIncident(host);
    const incident = (await getJson(`${engine.baseUrl}/incidents/${incidentId}`)).body;
    const before = await events(incidentId);
    expect((await postJson(`${engine.baseUrl}/incidents/${incidentId}/resolve`, { classification: 'true_positive', reason: 'done' })).status).toBe(202);
    const handle = client.workflow.getHandle(incident.workflowId);
    await handle.result();
    const closed = await events(incidentId);

    // What a dispatcher sends when it read the incident open just before it closed: the
    // incident's start input (with the timeline sequence it read then) and a batch.
    const at = new Date().toISOString();
    const start: TriageInput = {
      incidentId,
      playbook: 'triage',
      playbookVersion: triage.version,
      entityKey: incident.entity,
      entity: { kind: 'host', key: host, display: host },
      title: incident.title,
      severity: incident.severity,
      source: 'generic',
      detectedAt: incident.detectedAt,
      timelineSequence: before.length,
    };
    const batch: TriageBatch = {
      incidentId,
      lastInboxId: 1_000_000_000,
      count: 1,
      firstSeen: at,
      lastSeen: at,
      sources: ['generic'],
      maxSeverity: 'high',
      evidence: [],
      start,
    };
    const stale = await client.workflow.signalWithStart(triage.workflowType, {
      workflowId: incident.workflowId,
      taskQueue: engine.taskQueue,
      args: [start],
      signal: alertsMergedSignal,
      signalArgs: [batch],
    });
    // The run it started sees its incident closed and ends without acting on it.
    await eventually('the stale run to end', async () => ((await stale.describe()).status.name === 'COMPLETED' ? true : undefined), 20_000);
    expect(await events(incidentId)).toEqual(closed);
    expect((await getJson(`${engine.baseUrl}/incidents/${incidentId}`)).body.status).toBe('resolved');
  });
});
