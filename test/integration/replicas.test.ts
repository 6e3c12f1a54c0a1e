import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlaybookMetrics } from '../../apps/api/metrics/playbook-metrics';
import { deleteJson, eventually, getJson, postJson, startTestEngine, TRIAGE_ROUTING, type TestEngine } from '../support/engine';
import { genericAlert, sendGeneric } from '../support/webhooks';

/**
 * Two API replicas on one database: what decides an outcome lives in Postgres, so either
 * replica answers the same (issue 21, "replicas are equal").
 */
describe('two API replicas', () => {
  let a: TestEngine;
  let b: TestEngine;

  beforeAll(async () => {
    a = await startTestEngine({ withWorker: false, env: TRIAGE_ROUTING });
    b = await startTestEngine({ withWorker: false, databaseUrl: a.databaseUrl, env: TRIAGE_ROUTING });
  }, 60_000);

  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('refuses on one replica a signed generic request the other accepted, and stores nothing for it', async () => {
    const entity = `replica-${randomUUID().slice(0, 8)}`;
    const timestamp = Math.floor(Date.now() / 1000);
    const first = await sendGeneric(a.baseUrl, genericAlert(entity), { timestamp, delivery: 'd-1' });
    expect(first.status).toBe(202);

    // The same signed body and timestamp; the unsigned delivery header changed so it is not a duplicate delivery.
    const replay = await sendGeneric(b.baseUrl, genericAlert(entity), { timestamp, delivery: 'd-2' });
    expect(replay).toMatchObject({ status: 401, body: { error: 'replayed_request' } });

    const [{ count }] = await a.db.query<{ count: string }[]>(`SELECT count(*) FROM alerts WHERE entity_key = $1`, [entity]);
    expect(Number(count)).toBe(1);
  });

  it('lets a sender retry a request whose storing failed', async () => {
    const entity = `replica-retry-${randomUUID().slice(0, 8)}`;
    const timestamp = Math.floor(Date.now() / 1000);
    await a.db.query(`ALTER TABLE alerts ADD CONSTRAINT test_refuse_retry CHECK (entity_key <> '${entity}')`);
    try {
      const failed = await sendGeneric(a.baseUrl, genericAlert(entity), { timestamp });
      expect(failed.status).toBe(503);
    } finally {
      await a.db.query(`ALTER TABLE alerts DROP CONSTRAINT test_refuse_retry`);
    }
    const retried = await sendGeneric(b.baseUrl, genericAlert(entity), { timestamp });
    expect(retried.status).toBe(202);
  });

  it('stops a revoked token on the other replica within seconds', async () => {
    const made = await postJson(`${a.baseUrl}/tokens`, { name: `replica-${randomUUID().slice(0, 6)}`, role: 'viewer' });
    expect(made.status).toBe(201);
    const token: string = made.body.token;
    expect((await getJson(`${b.baseUrl}/incidents`, token)).status).toBe(200);

    expect((await deleteJson(`${a.baseUrl}/tokens/${made.body.id}`)).status).toBe(200);
    await eventually('replica b refuses the revoked token', async () => ((await getJson(`${b.baseUrl}/incidents`, token)).status === 401 ? true : undefined), 5_000);
  });

  it('counts each finished step once in the histograms summed across replicas', async () => {
    const incidentId = randomUUID();
    const playbook = `replica-metrics-${randomUUID().slice(0, 6)}`;
    await a.db.query(
      `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity, detected_at)
       VALUES ($1, $2, 'metrics across replicas', 'low', 'open', $3, '1.0.0', 'host:m', now())`,
      [incidentId, `${playbook}:host:m`, playbook],
    );
    const steps = 3;
    for (let n = 0; n < steps; n++) {
      for (const [k, type] of [[0, 'step.started'], [1, 'step.succeeded']] as const) {
        await a.db.query(
          `INSERT INTO timeline_events (id, incident_id, sequence, type, occurred_at, actor, summary, data, recorded_at)
           VALUES ($1, $2, $3, $4, now() - interval '20 seconds', 'test', $4, $5, now() - interval '10 seconds')`,
          [randomUUID(), incidentId, n * 2 + k + 1, type, JSON.stringify({ step: `step-${n}` })],
        );
      }
    }
    // Both replicas fold at once, then again: as Prometheus scraping both would make them.
    const folds = [a, b].map((e) => e.app.get(PlaybookMetrics));
    await Promise.all(folds.map((f) => f.fold()));
    for (const f of folds) await f.fold();

    let total = 0;
    for (const e of [a, b]) {
      const text = (await (await fetch(`${e.baseUrl}/metrics`)).text()).split('\n');
      for (const line of text) {
        const m = line.match(/^palisade_step_duration_seconds_count\{playbook="([^"]+)".*\} (\d+)$/);
        if (m && m[1] === playbook) total += Number(m[2]);
      }
    }
    expect(total).toBe(steps);
  });

  it('marks a game day whose API process died as error with the reason, on any replica, never leaving it running', async () => {
    const id = randomUUID();
    // A run another replica started and then lost (killed): its last heartbeat is minutes old.
    await a.db.query(`INSERT INTO gamedays (id, scenario, status, requested_by, started_at) VALUES ($1, 'short', 'running', 'test', now() - interval '10 minutes')`, [id]);
    const seen = await getJson(`${b.baseUrl}/gamedays/${id}`);
    expect(seen).toMatchObject({ status: 200, body: { status: 'error', finishedAt: expect.any(String) } });
    expect(seen.body.error).toMatch(/API process running it stopped/);
    const [row] = await a.db.query<{ status: string }[]>(`SELECT status FROM gamedays WHERE id = $1`, [id]);
    expect(row.status).toBe('error');
  });
});

