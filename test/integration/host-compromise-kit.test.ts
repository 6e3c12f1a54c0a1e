import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Capability, playbookKit } from '../kit/testing';

// A shipped playbook tested with the authors' kit (test/kit/testing.ts), as a team's test
// imports it (`@palisade/kit/testing`): one kit for the engine's tests and the teams'.
describe('host-compromise, with the test kit', () => {
  const kit = playbookKit();

  it('isolates a production host once approved, through a failing isolation call, and is not replaced when denied', async () => {
    const host = `kit-${randomUUID().slice(0, 8)}`;
    await kit.fleet.addHost({ id: host, hostname: host, owner: 'team-web', environment: 'production', criticality: 'high' });
    // The EDR refuses the first isolation call: the step retries it, and the timeline says so.
    await kit.fleet.setFault(Capability.HostIsolation, { action: 'isolate', target: host, failNext: 1 });

    const run = await kit.start('host-compromise', { entity: { kind: 'host', key: host, display: host }, params: { host } });
    await run.gateOpen('isolate-host');
    expect(await run.vote('isolate-host', 'bob', 'approve', { reason: 'beaconing confirmed' })).toMatchObject({ outcome: 'approved' });
    await run.gateOpen('replace-host');
    expect(await run.vote('replace-host', 'alice', 'deny', { reason: 'forensics first' })).toMatchObject({ outcome: 'denied' });

    expect(await run.result()).toMatchObject({ status: 'resolved', summary: expect.stringContaining('isolated; not replaced') });
    expect(await run.steps()).toEqual(['Enrich from inventory', 'Snapshot disks', 'Collect volatile data', 'Isolate the host', 'Verify isolation', 'Notify the owner']);
    const retried = (await run.timeline()).filter((e) => e.type === 'step.retrying');
    expect(retried.map((e) => e.data.step)).toEqual(['Isolate the host']);
    expect((await kit.fleet.host(host))?.isolated).toBe(true);
  });
});
