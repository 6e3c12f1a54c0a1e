import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTimelineActivities } from '../../activities/timeline/timeline.activities';
import { Redactor } from '../../lib/intake/redact';
import { eventually, getJson, postJson, startTestEngine, TEST_REDACTION_KEY, tokenFor, type TestEngine } from '../support/engine';

// HTTP in → Temporal workflow → activity → Postgres → HTTP out, with real servers throughout.
describe('the first slice: POST /incidents to its timeline', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await startTestEngine();
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('records incident.created through the worker and reads it back', async () => {
    const created = await postJson(`${engine.baseUrl}/incidents`, {
      title: 'Reverse shell on web-7',
      severity: 'critical',
      entity: 'web-7',
    }, await tokenFor(engine.baseUrl, 'alice', 'responder'));
    expect(created.status).toBe(202);
    const { incidentId, workflowId } = created.body as { incidentId: string; workflowId: string };
    expect(workflowId).toBe(`manual-incident:${incidentId}`);

    const timeline = await eventually('incident.created on the timeline', async () => {
      const res = await getJson(`${engine.baseUrl}/incidents/${incidentId}/timeline`);
      return res.status === 200 && res.body.events.length >= 2 ? res.body : undefined;
    });
    expect(timeline.events.map((e: { type: string }) => e.type)).toEqual(['incident.created', 'playbook.started']);
    expect(timeline.events[0]).toMatchObject({
      id: `${incidentId}#1`,
      incidentId,
      sequence: 1,
      type: 'incident.created',
      actor: 'alice',
      data: { severity: 'critical', entity: { kind: 'resource', key: 'web-7', display: 'web-7' }, entityKey: 'web-7' },
    });

    const incident = await getJson(`${engine.baseUrl}/incidents/${incidentId}`);
    expect(incident.status).toBe(200);
    expect(incident.body).toMatchObject({
      id: incidentId,
      workflowId,
      title: 'Reverse shell on web-7',
      severity: 'critical',
      status: 'open',
      playbook: 'manual-incident',
      playbookVersion: '0.1.0',
      entity: 'web-7',
    });

    // The rows were written by the worker's activity, inside a real workflow run.
    const client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
    try {
      const handle = client.workflow.getHandle(workflowId);
      // It waits for a responder, like every incident's run.
      expect((await handle.describe()).status.name).toBe('RUNNING');
      const resolve = await postJson(`${engine.baseUrl}/incidents/${incidentId}/resolve`, { classification: 'true_positive', reason: 'shell was a pentest' }, await tokenFor(engine.baseUrl, 'alice', 'responder'));
      expect(resolve.status).toBe(202);
      await handle.result();
      const description = await handle.describe();
      expect(description.status.name).toBe('COMPLETED');
      expect(description.taskQueue).toBe(engine.taskQueue);
      expect(description.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value])).toEqual(
        expect.arrayContaining([
          ['PalisadePlaybook', 'manual-incident'],
          ['PalisadeSeverity', 'critical'],
          ['PalisadeEntity', 'web-7'],
        ]),
      );
      const history = await handle.fetchHistory();
      // Activities, and local activities (projection writes since PATCH.localProjection: their marker names the type).
      const scheduled = history.events
        ?.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? localActivityType(e.markerRecordedEventAttributes))
        .filter(Boolean);
      // Opened in one activity: the open check, the row, its owner, the policies (PATCH.timelineHeld).
      expect(scheduled).toEqual(expect.arrayContaining(['openIncident']));
      // The opening's entries held, then written together as the run waits for a responder (PATCH.timelineHeld).
      expect(scheduled).toEqual(expect.arrayContaining(['appendTimelineEvents', 'closeIncident']));
    } finally {
      await client.connection.close();
    }
  });

  it('lands a retried timeline write once', async () => {
    const activities = createTimelineActivities(engine.db, new Redactor(Buffer.from(TEST_REDACTION_KEY)));
    const incidentId = crypto.randomUUID();
    const event = {
      id: `${incidentId}#1`,
      incidentId,
      sequence: 1,
      type: 'incident.created' as const,
      occurredAt: new Date().toISOString(),
      actor: 'test',
      summary: 'retried',
      data: {},
    };
    await activities.appendTimelineEvent(event);
    await activities.appendTimelineEvent(event);
    const rows: unknown[] = await engine.db.query('SELECT id FROM timeline_events WHERE incident_id = $1', [incidentId]);
    expect(rows).toHaveLength(1);
  });

  it('answers bad input with the error shape', async () => {
    const invalid = await postJson(`${engine.baseUrl}/incidents`, { title: '', severity: 'apocalyptic' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toBe('invalid_request');
    expect(invalid.body.message).toContain('severity');
    expect(invalid.body.message).toContain('title');
    expect(invalid.body.hint).toMatch(/\/docs/);

    const malformed = await postJson(`${engine.baseUrl}/incidents`, '{not json');
    expect(malformed.status).toBe(400);
    expect(Object.keys(malformed.body).sort()).toEqual(['error', 'hint', 'message']);

    const notAnId = await getJson(`${engine.baseUrl}/incidents/42`);
    expect(notAnId).toMatchObject({ status: 400, body: { error: 'invalid_incident_id' } });

    const unknown = await getJson(`${engine.baseUrl}/incidents/${crypto.randomUUID()}`);
    expect(unknown).toMatchObject({ status: 404, body: { error: 'incident_not_found' } });
  });
});

describe('health', () => {
  it('is ready with Postgres, Temporal and a polling worker', async () => {
    const engine = await startTestEngine();
    try {
      expect((await getJson(`${engine.baseUrl}/healthz`)).body).toEqual({ status: 'ok' });
      const ready = await eventually('readiness', async () => {
        const res = await getJson(`${engine.baseUrl}/readyz`);
        return res.status === 200 ? res : undefined;
      });
      expect(ready.body.checks.worker.detail).toContain(engine.taskQueue);
    } finally {
      await engine.close();
    }
  });

  it('is not ready, and says why, when no worker polls its task queue', async () => {
    const engine = await startTestEngine({ withWorker: false });
    try {
      const res = await getJson(`${engine.baseUrl}/readyz`);
      expect(res.status).toBe(503);
      expect(res.body.error).toBe('not_ready');
      expect(res.body.message).toContain(`worker (no worker polls task queue '${engine.taskQueue}')`);
      expect(res.body.checks).toMatchObject({ postgres: { ok: true }, temporal: { ok: true }, worker: { ok: false } });
    } finally {
      await engine.close();
    }
  });
});

/** The activity type a local activity's marker records (Temporal's core SDK: `core_local_activity`, JSON details). */
function localActivityType(marker: { markerName?: string | null; details?: Record<string, { payloads?: { data?: Uint8Array | null }[] | null }> | null } | null | undefined): string | undefined {
  const data = marker?.markerName === 'core_local_activity' ? marker.details?.data?.payloads?.[0]?.data : undefined;
  return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type : undefined;
}
