// Another build of the engine's workflow code, beside a test engine's worker: what a deploy
// starts (Worker Versioning), on the same task queue and worker deployment.
import { NativeConnection, type Worker } from '@temporalio/worker';
import * as path from 'node:path';
import { inject } from 'vitest';
import { ENGINE_MODULES } from '../../apps/playbooks/bundle';
import { ENGINE_ROOT } from '../../apps/playbooks/kit-resolution';
import { loadPlaybooks } from '../../apps/playbooks/load';
import { becomeCurrent } from '../../apps/worker/versioning';
import { createWorker } from '../../apps/worker/worker';
import { bundlePlaybooks } from '../../lib/temporal/workflow-bundle';
import type { TestEngine } from './engine';

export interface OtherBuild {
  worker: Worker;
  buildId: string;
  /** Makes `buildId` current again (a rollback). */
  promoteBuild: (buildId: string) => Promise<void>;
  /** Routes new runs, and the open AUTO_UPGRADE ones, to this build. */
  promote: () => Promise<void>;
  close: () => Promise<void>;
}

/**
 * A bundle with other code but the same running logic: every shipped playbook but `leftOut`
 * (so its histories replay on it, as after a careful change).
 */
export async function otherBundle(leftOut = 'patch-canary'): Promise<{ code: string }> {
  const { bundle, catalogue } = await loadPlaybooks();
  const type = catalogue.require(leftOut, 'otherBundle').workflowType;
  return bundlePlaybooks(bundle.filter((b) => b.workflowType !== type), ENGINE_MODULES);
}

/** The shipped playbooks with manual-incident changed without patched(): its open runs cannot move to this build. */
export async function brokenBundle(): Promise<{ code: string }> {
  const { bundle, catalogue } = await loadPlaybooks();
  const type = catalogue.require('manual-incident', 'brokenBundle').workflowType;
  const broken = path.join(ENGINE_ROOT, 'test/fixtures/versions/broken-manual-incident/playbook.ts');
  const entries = bundle.map((b) => (b.workflowType === type ? { file: broken, workflowType: type } : b));
  return bundlePlaybooks(entries, ENGINE_MODULES);
}

/**
 * Starts a worker of `bundle` beside the engine's, polling the same task queue as another version
 * of its deployment; `env` is the engine's own when its vendors read secrets from it.
 */
export async function startOtherBuild(engine: TestEngine, bundle: { code: string }, env?: NodeJS.ProcessEnv): Promise<OtherBuild> {
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const worker = await createWorker({ connection, config: engine.config, db: engine.db, workflowBundle: bundle, env });
  const running = worker.run();
  const version = worker.options.workerDeploymentOptions!.version;
  return {
    worker,
    buildId: version.buildId,
    promoteBuild: async (buildId) => {
      await becomeCurrent(connection, engine.config.temporal.namespace, { ...version, buildId }, 'always');
    },
    promote: async () => {
      await becomeCurrent(connection, engine.config.temporal.namespace, version, 'always');
    },
    close: async () => {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
