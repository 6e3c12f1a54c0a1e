import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StuckWatcher } from '../../apps/api/incidents/stuck-watcher.service';
import { MetricsService } from '../../apps/api/metrics/metrics.service';
import { startTestEngine, type TestEngine } from '../support/engine';

// The stuck watcher describes every open incident's run, a few at a time, each call with a 2 s
// deadline. With Temporal down and thousands of incidents open (a worm's day), a sweep that
// tried each one took an hour; the API's shutdown waited for it, so SIGTERM left the process
// running (seen after a bench: two APIs still up minutes after their Temporal was gone).
describe('the stuck watcher while Temporal does not answer', () => {
  let engine: TestEngine;
  let temporalDown: Client;
  const OPEN = 40;

  beforeAll(async () => {
    engine = await startTestEngine({ withWorker: false });
    // Nothing listens on port 1: the real client, a Temporal that is not there.
    temporalDown = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    const playbook = `stuck-outage-${randomUUID().slice(0, 8)}`;
    await engine.db.query(
      `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity, detected_at)
       SELECT gen_random_uuid(), $1 || ':host-' || g, 'Beacon to a known C2 address', 'medium', 'open', $1, '1', 'host:' || g, now()
       FROM generate_series(1, $2::int) g`,
      [playbook, OPEN],
    );
  });
  afterAll(async () => {
    await temporalDown?.connection.close();
    await engine?.close();
  });

  const watcher = () => new StuckWatcher(engine.db, temporalDown, engine.config, new MetricsService());

  it('gives the sweep up once Temporal does not answer, instead of waiting out a deadline per open incident', async () => {
    const summary = await watcher().sweep();
    expect(summary).toMatchObject({ open: OPEN, stopped: 'temporal-unreachable' });
    // The calls already under way when the first failed, at most.
    expect(summary.looked).toBeLessThan(OPEN);
  }, 60_000);

  it('stops a sweep under way when the API shuts down', async () => {
    const w = watcher();
    const sweeping = w.sweep();
    await w.onApplicationShutdown();
    expect(await sweeping).toMatchObject({ open: OPEN, looked: 0, stopped: 'shutting-down' });
  }, 60_000);
});
