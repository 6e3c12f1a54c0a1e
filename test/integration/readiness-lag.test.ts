import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InboxDispatcher } from '../../apps/api/webhooks/inbox-dispatcher.service';
import { eventually, getJson, startTestEngine, type TestEngine, TRIAGE_ROUTING } from '../support/engine';
import { genericAlert, sendGeneric } from '../support/webhooks';

// Issue 22: after a burst the door had taken (202 each), the inbox drained for hours while
// /readyz kept saying `ready`. Readiness now says `degraded`, with the figures, once the
// inbox is past its thresholds (PALISADE_READY_INBOX_MAX_PENDING / _MAX_AGE), and /metrics
// says so in one gauge.

const MAX_PENDING = 5;

describe('/readyz when the inbox falls behind', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ env: { ...TRIAGE_ROUTING, PALISADE_READY_INBOX_MAX_PENDING: String(MAX_PENDING), PALISADE_READY_INBOX_MAX_AGE: '300' } });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('says ready while the inbox keeps up, degraded with the figures once it is past its thresholds, and /metrics shows it', async () => {
    const first = await sendGeneric(engine.baseUrl, genericAlert(`lag-${randomUUID().slice(0, 8)}`));
    expect(first.status).toBe(202);
    const keepingUp = await eventually('the inbox to drain', async () => {
      const r = await getJson(`${engine.baseUrl}/readyz`);
      return r.body.inbox?.pending === 0 ? r : undefined;
    }, 30_000);
    expect(keepingUp.status).toBe(200);
    expect(keepingUp.body.status).toBe('ready');
    expect(keepingUp.body.checks.inbox).toMatchObject({ ok: true });

    // The dispatcher stops handing alerts to Temporal (as when it cannot keep up): the door still takes them.
    await engine.app.get(InboxDispatcher).onApplicationShutdown();
    for (let i = 0; i <= MAX_PENDING; i++) {
      const sent = await sendGeneric(engine.baseUrl, genericAlert(`lag-${randomUUID().slice(0, 8)}`));
      expect(sent.status).toBe(202);
    }
    const behind = await eventually('readiness to see the backlog', async () => {
      const r = await getJson(`${engine.baseUrl}/readyz`);
      return r.body.inbox?.pending > MAX_PENDING ? r : undefined;
    }, 30_000);
    // Degraded, not 503: the door must keep storing alerts, so a load balancer keeps sending them.
    expect(behind.status).toBe(200);
    expect(behind.body.status).toBe('degraded');
    expect(behind.body.checks.inbox.ok).toBe(false);
    expect(behind.body.checks.inbox.detail).toContain(`${behind.body.inbox.pending} alerts wait`);
    expect(behind.body.checks.inbox.detail).toContain(`limit ${MAX_PENDING}`);

    // The oldest one has waited past the age limit too.
    await engine.db.query(`UPDATE inbox SET created_at = created_at - interval '20 minutes' WHERE dispatched_at IS NULL`);
    const old = await eventually('readiness to see the age', async () => {
      const r = await getJson(`${engine.baseUrl}/readyz`);
      return r.body.inbox?.oldestAgeSeconds >= 1_200 ? r : undefined;
    }, 30_000);
    expect(old.body.checks.inbox.detail).toMatch(/oldest waits 1[23]\d\d s \(limit 300 s\)/);

    const metrics = await (await fetch(`${engine.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^palisade_inbox_behind 1$/m);
    expect(metrics).toMatch(/^palisade_inbox_oldest_age_seconds 1[23]\d\d$/m);
  }, 120_000);
});
