// The API's contract: what GET /docs-json says, checked against the routes and against live
// answers of a real engine (real Temporal, real Postgres). The schemathesis drill
// (bench/drills/openapi.ts) then throws generated requests at the same document.
import { Client as PgClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, getJson, postJson, startTestEngine, tokenFor, type TestEngine } from '../support/engine';

describe('an incident reported by hand', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine();
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('GET /incidents/:id/approvals answers while its playbook runs and after, never 500', async () => {
    // Hold the playbook between its two steps (the incident recorded, its first timeline event
    // not yet written) by locking the timeline against inserts: reads still go through.
    const pg = new PgClient({ connectionString: engine.databaseUrl });
    await pg.connect();
    try {
      await pg.query('BEGIN');
      await pg.query('LOCK TABLE timeline_events IN SHARE MODE');
      const made = await postJson(`${engine.baseUrl}/incidents`, { title: 'Laptop stolen', severity: 'high' });
      expect(made.status).toBe(202);
      const id = made.body.incidentId as string;
      await eventually('the incident to be recorded', async () => ((await getJson(`${engine.baseUrl}/incidents/${id}`)).status === 200 ? true : undefined));

      // Its playbook runs and holds no approval gates: none to show (it answered 500 before).
      const running = await getJson(`${engine.baseUrl}/incidents/${id}/approvals`);
      expect(running).toEqual({ status: 200, body: { incidentId: id, phase: null, currentStep: null, gates: [] } });
      const described = await getJson(`${engine.baseUrl}/incidents/${id}`);
      expect(described.body).toMatchObject({ id, status: 'open', live: null, liveStatus: 'running' });
      // Nor a gate to vote on.
      const vote = await postJson(`${engine.baseUrl}/incidents/${id}/approvals/isolate-host`, { decision: 'approve' }, await tokenFor(engine.baseUrl, 'alice', 'approver'));
      expect(vote).toMatchObject({ status: 409, body: { error: 'unknown_gate' } });

      await pg.query('COMMIT');
      await eventually('the playbook to finish', async () => {
        const res = await getJson(`${engine.baseUrl}/incidents/${id}/timeline`);
        return res.body.events?.length > 0 ? true : undefined;
      });
      // Finished: no running playbook whose gates could be read or decided.
      const finished = await eventually('the run to end', async () => {
        const res = await getJson(`${engine.baseUrl}/incidents/${id}/approvals`);
        return res.status === 409 ? res : undefined;
      });
      expect(finished.body).toMatchObject({ error: 'playbook_not_running' });
    } finally {
      await pg.query('ROLLBACK').catch(() => undefined);
      await pg.end();
    }
  });
});
