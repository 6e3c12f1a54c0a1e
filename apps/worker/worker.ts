import { NativeConnection, Worker } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { createActivities } from '../../activities';

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  db: DataSource;
  taskQueue: string;
  /** A prebuilt workflow bundle (tests build one per run); otherwise bundled at start. */
  workflowBundle?: { codePath: string };
}

/** A Palisade worker: the workflow bundle plus activities built from their dependencies. */
export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle
      ? { workflowBundle: opts.workflowBundle }
      : { workflowsPath: require.resolve('../../workflows') }),
    activities: createActivities({ db: opts.db }),
    shutdownGraceTime: '3s',
  });
}
