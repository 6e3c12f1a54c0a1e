import { HttpException } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuditService } from '../../apps/api/audit/audit.service';
import { DeploysService } from '../../apps/api/deploys/deploys.service';
import type { PalisadeConfig } from '../../lib/config/env';

// The full openapi-contract drill on a loaded machine: POST /deploys/ramp answered 500 after
// "the routing of worker deployment palisade did not change within 60 s". Temporal was slow to
// apply a routing change, not Palisade broken: a 503 temporal_unavailable that says the change
// may still apply and where to see it, and nothing recorded.
describe('a routing change Temporal does not apply in time', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is a 503 temporal_unavailable pointing at GET /deploys, and records nothing', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout'] });
    const workflowService = {
      // A routing update still under way, every time it is asked.
      describeWorkerDeployment: async () => ({
        workerDeploymentInfo: { versionSummaries: [{ deploymentVersion: { buildId: 'b-one' } }], routingConfig: { currentDeploymentVersion: { buildId: 'b-one' } }, routingConfigUpdateState: 1 },
        conflictToken: new Uint8Array([1]),
      }),
    };
    const temporal = { workflowService, options: { namespace: 'default' }, withDeadline: (_d: number, call: () => Promise<unknown>) => call() } as unknown as Client;
    const queries: string[] = [];
    const db = { query: async (sql: string) => (queries.push(sql), []) } as unknown as DataSource;
    const config = { temporal: { deploymentName: 'palisade', taskQueue: 'palisade' }, database: { poolSize: 1 } } as unknown as PalisadeConfig;
    const deploys = new DeploysService(db, temporal, config, { record: async () => undefined } as unknown as AuditService);

    const failure = deploys.change('ramp', { current: 'b-one', ramping: { buildId: 'b-two', percent: 10 } }, { actor: 'admin', version: 'b-two', previous: 'b-one', percent: 10 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    await vi.advanceTimersByTimeAsync(61_000);
    const err = await failure;
    expect(err).toBeInstanceOf(HttpException);
    expect({ status: (err as HttpException).getStatus(), body: (err as HttpException).getResponse() }).toMatchObject({
      status: 503,
      body: { error: 'temporal_unavailable', message: expect.stringContaining('GET /deploys') },
    });
    expect(queries.filter((q) => q.includes('deploy_changes'))).toEqual([]);
  });
});
