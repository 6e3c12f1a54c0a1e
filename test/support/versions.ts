// Another build of the engine's workflow code, beside a test engine's worker: what a deploy
// starts (Worker Versioning), on the same task queue and worker deployment.
import { NativeConnection, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { becomeCurrent } from '../../apps/worker/versioning';
import { createWorker } from '../../apps/worker/worker';
import type { TestEngine } from './engine';

export { brokenBundle, otherBundle, queryFixturesBundle } from '../fixtures/versions/builds';

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
 * Starts a worker of `bundle` beside the engine's, polling the same task queue as another version
 * of its deployment; `env` is the engine's own when its vendors read secrets from it.
 */
export async function startOtherBuild(engine: TestEngine, bundle: { code: string }, env?: NodeJS.ProcessEnv): Promise<OtherBuild> {
  // The engine's Temporal: the run's shared one, or a server of the test's own.
  const connection = await NativeConnection.connect({ address: engine.config.temporal.address ?? inject('temporalAddress') });
  const worker = await createWorker({ connection, config: engine.config, db: engine.db, workflowBundle: bundle, env });
  const running = worker.run();
  const version = worker.options.workerDeploymentOptions!.version;
  let closing: Promise<void> | undefined;
  return {
    worker,
    buildId: version.buildId,
    promoteBuild: async (buildId) => {
      await becomeCurrent(connection, engine.config.temporal.namespace, { ...version, buildId }, 'always');
    },
    promote: async () => {
      await becomeCurrent(connection, engine.config.temporal.namespace, version, 'always');
    },
    // Once: a test may stop a build's worker before afterAll stops the rest.
    close: () =>
      (closing ??= (async () => {
        worker.shutdown();
        await running;
        await connection.close();
      })()),
  };
}
