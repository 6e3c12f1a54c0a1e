import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SimulatedFleet } from '../../activities/providers/simulated/fleet';
import { Capability } from '../../lib/providers/capabilities';
import { eventually, startTestEngine, type TestEngine } from '../support/engine';
import { gateOpen, incidentStatus, startRun, timeline, vote } from '../support/playbooks';
import { spawnCollecting, type Spawned } from '../support/processes';

const ROOT = path.resolve(__dirname, '../..');

// A worker is SIGKILLed while a playbook step is running; a new worker finishes the incident,
// and no provider action is applied twice.
describe('a worker killed mid-playbook', () => {
  let engine: TestEngine;
  let client: Client;
  let fleet: SimulatedFleet;
  const workers: Spawned[] = [];
  beforeAll(async () => {
    // The API only (to read and vote); the workers are separate processes we can kill.
    engine = await startTestEngine({ withWorker: false });
    client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
    fleet = new SimulatedFleet(engine.db);
  });
  afterAll(async () => {
    for (const w of workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null)) {
      process.kill(-w.child.pid!, 'SIGTERM');
      const stopped = await Promise.race([w.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 10_000))]);
      if (!stopped) process.kill(-w.child.pid!, 'SIGKILL');
    }
    await client?.connection.close();
    await engine?.close();
  });

  function startWorker(): Spawned {
    const worker = spawnCollecting(process.execPath, ['-r', '@swc-node/register', 'apps/worker/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        DATABASE_URL: engine.databaseUrl,
        PALISADE_TASK_QUEUE: engine.taskQueue,
        PALISADE_DB_POOL_SIZE: '2',
      },
    });
    workers.push(worker);
    return worker;
  }

  it('lets a new worker finish the incidents with no step done twice', async () => {
    const id = `i-${randomUUID().slice(0, 8)}`;
    await fleet.addHost({ id, hostname: id, owner: 'team-web', environment: 'development', criticality: 'medium' });
    // The agent is slow to answer the isolation check: the worker dies while it waits.
    await fleet.setFault(Capability.HostIsolation, { action: 'verify', target: id, latencyMs: 4_000 });
    const first = startWorker();
    const run = await startRun(client, engine, 'host-compromise', { entity: { kind: 'host', key: id, display: id } });
    // A patch rollout is under way at the same time: its canary wave bakes on a durable timer.
    const patchId = `KB-${id}`;
    const canaries = [`${id}-a`, `${id}-b`];
    for (const host of canaries) await fleet.addHost({ id: host, owner: 'team-web', environment: 'development', criticality: 'medium', tags: { rollout: id } });
    const rollout = await startRun(client, engine, 'patch-canary', {
      entity: { kind: 'resource', key: `patch:${patchId}`, display: patchId },
      params: { patchId, hosts: { tags: { rollout: id } }, waves: [50, 100], bake: '5s', slo: { sli: `error_rate_${id}`, max: 0.05 } },
      requestedBy: 'alice',
    });

    await eventually(
      'the isolation check to be running on the first worker',
      async () => {
        const { raw } = await run.handle.describe();
        const verify = raw.pendingActivities?.find((a) => a.activityType?.name === 'verifyIsolation');
        return verify?.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED ? true : undefined;
      },
      60_000,
    );
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.exited;
    await fleet.setFault(Capability.HostIsolation, { action: 'verify', target: id });

    startWorker();
    // The lost attempt's heartbeats stop: it times out within 20 s (not the step's timeout), is
    // retried on the new worker, and the playbook goes on.
    await gateOpen(run.handle, 'replace-host', 90_000);
    await vote(run.handle, 'replace-host', 'bob');
    await incidentStatus(engine, run.incidentId, 'resolved');
    await gateOpen(rollout.handle, 'widen-wave-2', 30_000);
    await vote(rollout.handle, 'widen-wave-2', 'bob');
    await incidentStatus(engine, rollout.incidentId, 'resolved');

    const events = await timeline(engine, run.incidentId);
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    const succeeded = events.filter((e) => e.type === 'step.succeeded').map((e) => e.data.step);
    expect(succeeded).toEqual(['Enrich from inventory', 'Snapshot disks', 'Collect volatile data', 'Isolate the host', 'Verify isolation', 'Notify the owner', 'Replace from the golden image']);
    const retried = events.find((e) => e.type === 'step.retrying' && e.data.step === 'Verify isolation');
    expect(retried?.data).toMatchObject({ errorType: 'Timeout', error: expect.stringContaining('stopped answering') });
    // Each changing action reached the fleet once.
    const applied = (await fleet.calls({ target: id })).filter((c) => c.outcome === 'applied').map((c) => c.action);
    expect(applied.sort()).toEqual(['collectVolatile', 'isolate', 'replace', 'snapshotDisks']);
    expect((await fleet.notifications({ recipient: 'team-web' })).filter((n) => n.id.startsWith(run.incidentId))).toHaveLength(1);
    // One apply per wave, and each canary carries the patch once.
    const applies = (await fleet.calls({ action: 'apply' })).filter((c) => c.target.startsWith(patchId) && c.outcome === 'applied');
    expect(applies).toHaveLength(2);
    for (const host of canaries) expect((await fleet.host(host))?.patches).toEqual([patchId]);
  }, 180_000);
});
