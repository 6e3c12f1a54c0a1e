import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { StuckWatcher } from '../../apps/api/incidents/stuck-watcher.service';
import { MetricsService } from '../../apps/api/metrics/metrics.service';
import { startTestEngine, type TestEngine } from '../support/engine';

/** `count` open incidents whose runs Temporal has never heard of (workflow ids `<prefix>-…:host-<n>`). */
async function openIncidents(engine: TestEngine, prefix: string, count: number): Promise<void> {
  await engine.db.query(
    `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity, detected_at)
     SELECT gen_random_uuid(), $1 || ':host-' || g, 'Beacon to a known C2 address', 'medium', 'open', $1, '1', 'host:' || g, now()
     FROM generate_series(1, $2::int) g`,
    [`${prefix}-${randomUUID().slice(0, 8)}`, count],
  );
}

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
    await openIncidents(engine, 'stuck-outage', OPEN);
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

// On a worm's day thousands of incidents are open, and the watcher described them all every
// 15 s, back to back: 65 DescribeWorkflowExecution calls a second at 1,000 open, as much of
// Temporal's time as a tenth of the burst's playbooks (issue 22). A sweep now takes turns at
// PALISADE_STUCK_CHECK_RATE a second, however many lanes it runs.
describe('the stuck watcher at its pace', () => {
  let engine: TestEngine;
  let temporal: Client;
  const OPEN = 40;

  beforeAll(async () => {
    // One run described every 10 s: a sweep's second turn comes long after its first.
    engine = await startTestEngine({ withWorker: false, env: { PALISADE_STUCK_CHECK_RATE: '0.1' } });
    temporal = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
    await openIncidents(engine, 'stuck-pace', OPEN);
  });
  afterAll(async () => {
    await temporal?.connection.close();
    await engine?.close();
  });

  it('describes one run a turn, not one a lane, and a shutdown ends the turns it waits for', async () => {
    const watcher = new StuckWatcher(engine.db, temporal, engine.config, new MetricsService());
    let firstCall!: () => void;
    const called = new Promise<void>((resolve) => (firstCall = resolve));
    const describe = temporal.workflowService.describeWorkflowExecution.bind(temporal.workflowService);
    const spy = vi.spyOn(temporal.workflowService, 'describeWorkflowExecution').mockImplementation((request) => {
      firstCall();
      return describe(request);
    });
    const sweeping = watcher.sweep();
    await called;
    await watcher.onApplicationShutdown();
    // The first turn's run only (its workflow is not there: nothing to say); the other lanes
    // waited for theirs, and stopped with the API.
    expect(await sweeping).toEqual({ open: OPEN, looked: 1, stopped: 'shutting-down' });
    expect(spy).toHaveBeenCalledTimes(1);
  }, 60_000);
});
