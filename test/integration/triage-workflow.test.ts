import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { alertsMergedSignal, resolveSignal, stateQuery, type AlertBatch } from '../../workflows/shared/messages';
import type { TriageInput } from '../../workflows/triage/shared';
import { eventually, getJson, startTestEngine, type TestEngine } from '../support/engine';

function batch(lastInboxId: number, count: number): AlertBatch {
  const at = new Date(Date.now() + lastInboxId).toISOString();
  return {
    lastInboxId,
    count,
    firstSeen: at,
    lastSeen: at,
    sources: ['falco'],
    maxSeverity: 'high',
    evidence: [{ alertId: randomUUID(), source: 'falco', title: 'shell', severity: 'high', fingerprint: `f${lastInboxId}`, observedAt: at }],
  };
}

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

    const latest = await client.workflow.getHandle(workflowId).describe();
    expect(latest.runId).not.toBe(firstRun);
    expect(latest.status.name).toBe('RUNNING');

    await client.workflow.getHandle(workflowId).signal(resolveSignal, { reason: 'storm over', actor: 'test' });
    const events = await eventually('the resolution on the timeline', async () => {
      const t = await getJson(`${engine.baseUrl}/incidents/${incidentId}/timeline?limit=500`);
      const list = (t.body.events ?? []) as { sequence: number; type: string }[];
      return list.at(-1)?.type === 'incident.resolved' ? list : undefined;
    });
    // One contiguous timeline across runs: 1 created + 30 merged batches + 1 resolved.
    expect(events.map((e) => e.sequence)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect(events.filter((e) => e.type === 'alerts.merged')).toHaveLength(30);
  }, 120_000);
});
