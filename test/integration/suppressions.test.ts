import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteJson, getJson, postJson, startTestEngine, tokenFor, type TestEngine } from '../support/engine';
import { genericAlert, sendGeneric } from '../support/webhooks';

describe('suppression windows', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ withWorker: false });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('stores matching alerts as suppressed while a window is open, and not after it is closed', async () => {
    const run = randomUUID().slice(0, 6);
    const alice = await tokenFor(engine.baseUrl, 'alice', 'admin');
    const window = await postJson(`${engine.baseUrl}/suppressions`, {
      entityPattern: `host:maint-${run}-*`,
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      reason: 'kernel patching (CHG-42)',
    }, alice);
    expect(window.status).toBe(201);
    expect(window.body).toMatchObject({ entityPattern: `host:maint-${run}-*`, origin: 'api', createdBy: 'alice' });

    const listed = await getJson(`${engine.baseUrl}/suppressions`);
    expect(listed.body.map((w: { id: string }) => w.id)).toContain(window.body.id);

    const quiet = await sendGeneric(engine.baseUrl, genericAlert(`maint-${run}-1`), { delivery: `${run}-1` });
    expect(quiet.body).toMatchObject({ disposition: 'suppressed', incidentId: null });
    const other = await sendGeneric(engine.baseUrl, genericAlert(`prod-${run}-1`), { delivery: `${run}-2` });
    expect(other.body.disposition).toBe('started');

    // Only admins open and close windows; closing lands in the audit log with who did it.
    const responder = await tokenFor(engine.baseUrl, 'bob', 'responder');
    expect(await deleteJson(`${engine.baseUrl}/suppressions/${window.body.id}`, responder)).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    const closed = await deleteJson(`${engine.baseUrl}/suppressions/${window.body.id}`, alice);
    expect(closed.status).toBe(200);
    const again = await deleteJson(`${engine.baseUrl}/suppressions/${window.body.id}`, alice);
    expect(again.status).toBe(404);
    const audit = await engine.db.query<{ actor: string; action: string }[]>(`SELECT actor, action FROM audit_log WHERE target = $1 ORDER BY id`, [`suppression:${window.body.id}`]);
    expect(audit).toEqual([
      { actor: 'alice', action: 'suppression.opened' },
      { actor: 'alice', action: 'suppression.closed' },
    ]);

    const loud = await sendGeneric(engine.baseUrl, genericAlert(`maint-${run}-1`, { id: 'after' }), { delivery: `${run}-3` });
    expect(loud.body.disposition).toBe('started');
  });

  it('explains an invalid window', async () => {
    const backwards = await postJson(`${engine.baseUrl}/suppressions`, {
      entityPattern: 'host:x',
      startsAt: '2026-12-02T00:00:00Z',
      endsAt: '2026-12-01T00:00:00Z',
      reason: 'r',
    });
    expect(backwards.status).toBe(400);
    expect(backwards.body.message).toContain('endsAt: must be after startsAt');
    const missing = await postJson(`${engine.baseUrl}/suppressions`, { entityPattern: 'host:x' });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/endsAt.*reason/);
  });

  // RFC 3339 allows offsets PostgreSQL's timestamptz refuses (past ±15:59): the same instants, in UTC, not a 500.
  it('opens a window given with any offset RFC 3339 allows', async () => {
    const window = await postJson(`${engine.baseUrl}/suppressions`, {
      entityPattern: `host:offset-${randomUUID().slice(0, 8)}`,
      startsAt: '2099-01-01T00:00:00-17:48',
      endsAt: '2099-01-01T06:00:00-17:48',
      reason: 'far offset',
    });
    expect(window.status, JSON.stringify(window.body)).toBe(201);
    expect(window.body).toMatchObject({ startsAt: '2099-01-01T17:48:00.000Z', endsAt: '2099-01-01T23:48:00.000Z' });
  });
});
