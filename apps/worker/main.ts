import 'reflect-metadata';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig, requireDatabaseUrl, requireTemporalAddress } from '../../lib/config/env';
import { createDataSource } from '../../lib/db/data-source';
import { describeError } from '../../lib/errors';
import { createLogger } from '../../lib/logger';
import { startTracing } from '../../lib/telemetry/tracing';
import { installHeapSnapshots } from './heap-snapshots';
import { installTemporalRuntime } from './logging';
import { becomeCurrent } from './versioning';
import { createWorker } from './worker';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger('worker', config.logLevel);
  const metricsPort = config.temporal.workerMetricsPort;
  installTemporalRuntime(log, metricsPort ? { bindAddress: `${config.host}:${metricsPort}` } : undefined);
  if (metricsPort) log.info(`worker metrics at http://${config.host}:${metricsPort}/metrics`);
  const db = createDataSource({ url: requireDatabaseUrl(config), poolSize: config.database.poolSize, applicationName: 'palisade-worker' });
  await db.initialize();
  const connection = await NativeConnection.connect({ address: requireTemporalAddress(config) });
  const workflowBundle = config.temporal.workflowBundle ? { codePath: config.temporal.workflowBundle } : undefined;
  const tracing = startTracing({ service: 'palisade-worker', otlpEndpoint: config.otlpEndpoint });
  if (tracing) log.info(`traces to ${config.otlpEndpoint}`);
  // Bench only: before createWorker, which starts the SDK's workflow threads.
  if (config.temporal.workerHeapSnapshotDir) installHeapSnapshots(config.temporal.workerHeapSnapshotDir, log);
  const worker = await createWorker({ connection, config, db, env: process.env, workflowBundle, tracing });

  // Worker.run() installs its own SIGINT/SIGTERM handlers: it stops polling, lets running
  // activities finish, then resolves.
  const version = worker.options.workerDeploymentOptions?.version;
  log.info({ taskQueue: worker.options.taskQueue, deployment: version?.deploymentName, buildId: version?.buildId }, 'worker polling');
  const running = worker.run();
  if (version) {
    // A first start (or `npm start`, one node) routes new runs to this build; otherwise `palisade deploy` decides.
    becomeCurrent(connection, config.temporal.namespace, version, config.temporal.becomeCurrent).then(
      (made) => log.info({ buildId: version.buildId, made }, made ? 'this build is now current' : 'this build polls; the current version stays as it is'),
      (err: unknown) => log.error({ err: describeError(err) }, 'could not make this build current'),
    );
  }
  await running;
  await connection.close();
  await db.destroy();
  await tracing?.shutdown();
  log.info('worker stopped');
}

main().catch((err: unknown) => {
  console.error(`palisade worker: ${describeError(err)}`);
  process.exit(1);
});
