import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
