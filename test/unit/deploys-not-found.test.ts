import { HttpException } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import type { AuditService } from '../../apps/api/audit/audit.service';
import { DeploysService } from '../../apps/api/deploys/deploys.service';
import type { PalisadeConfig } from '../../lib/config/env';

// Temporal answers DescribeWorkerDeployment from the deployment's own system workflow, and may say
// NOT_FOUND for a moment while that workflow turns over (a CI run's deploy test met a 404 from
// GET /deploys between two versions, with both workers polling). A deployment whose worker has
// registered its build is there: a NOT_FOUND is asked again, and only one that lasts is a 404.
const GRPC_NOT_FOUND = 5;

function serviceWith(answers: (() => unknown)[], registeredBuilds: string[]) {
  let asked = 0;
  const workflowService = {
    describeWorkerDeployment: async () => {
      const answer = answers[Math.min(asked++, answers.length - 1)];
      return answer();
    },
  };
  const temporal = { workflowService, options: { namespace: 'default' }, withDeadline: (_deadline: number, call: () => Promise<unknown>) => call() } as unknown as Client;
  const db = { query: async (sql: string) => (sql.includes('FROM worker_builds') ? registeredBuilds.map((build_id) => ({ build_id })) : []) } as unknown as DataSource;
  const config = { temporal: { deploymentName: 'palisade', taskQueue: 'palisade' }, database: { poolSize: 1 } } as unknown as PalisadeConfig;
  const service = new DeploysService(db, temporal, config, {} as AuditService);
  return { service, asked: () => asked };
}

const notFound = () => {
  throw Object.assign(new Error('5 NOT_FOUND: worker deployment not found'), { code: GRPC_NOT_FOUND });
};
const described = () => ({
  workerDeploymentInfo: { versionSummaries: [{ deploymentVersion: { buildId: 'b-one' } }], routingConfig: { currentDeploymentVersion: { buildId: 'b-one' } } },
  conflictToken: new Uint8Array([1]),
});

describe('the deployment for GET /deploys', () => {
  it('asks again through a passing NOT_FOUND once a worker of it has registered its build', async () => {
    const { service, asked } = serviceWith([notFound, notFound, described], ['b-one']);
    const state = await service.state();
    expect(state.current).toBe('b-one');
    expect(asked()).toBe(3);
  });

  it('is a 404 deployment_not_found when no worker of it has registered, without waiting', async () => {
    const { service, asked } = serviceWith([notFound, described], []);
    const failure = await service.state().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(HttpException);
    expect((failure as HttpException).getStatus()).toBe(404);
    expect((failure as HttpException).getResponse()).toMatchObject({ error: 'deployment_not_found' });
    expect(asked()).toBe(1);
  });

  it('is a 404 when the NOT_FOUND lasts, though a build was registered', async () => {
    const { service } = serviceWith([notFound], ['b-one']);
    const failure = await service.state().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((failure as HttpException).getStatus()).toBe(404);
  }, 20_000);
});
