import { NativeConnection } from '@temporalio/worker';
import { inject } from 'vitest';
import { becomeCurrent } from '../../apps/worker/versioning';
import { createWorker } from '../../apps/worker/worker';
import type { TestEngine } from './engine';

export interface EngineWorker {
  /** Starts polling (a worker is created idle: what it would take waits on Temporal meanwhile). */
  start: () => void;
  /** Routes new runs to its version (the engine's own build), as `npm start` does. */
  promote: () => Promise<void>;
  /** Stops it (or, never started, lets it go); once. */
  stop: () => Promise<void>;
}

/**
 * A worker of the engine's own build (its task queue, its deployment version) for an engine
 * started `withWorker: false`: created but not polling until `start()`, so a test can stop one and
 * have the next ready, and what the run's playbook must answer (a `decide` Update) waits in
 * Temporal, unanswered, until the test starts it. Nothing of Temporal is mocked.
 */
export async function engineWorker(engine: TestEngine): Promise<EngineWorker> {
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const worker = await createWorker({ connection, config: engine.config, db: engine.db, workflowBundle: { codePath: inject('workflowBundlePath') } });
  let running: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  return {
    start: () => {
      running ??= worker.run();
    },
    promote: async () => {
      await becomeCurrent(connection, engine.config.temporal.namespace, worker.options.workerDeploymentOptions!.version, 'always');
    },
    stop: () =>
      (stopping ??= (async () => {
        if (running) {
          if (worker.getState() === 'RUNNING') worker.shutdown();
          await running;
        } else {
          await worker.runUntil(Promise.resolve());
        }
        await connection.close();
      })()),
  };
}
