// The raw baseline's worker, in a process of its own: bench/processes/raw-workflow.ts on its
// own task queue of the engine's Temporal server, with no-op activities. Prints `polling`
// once it polls; stops on SIGTERM.
//
//   node -r @swc-node/register bench/processes/raw-worker.ts <temporal address> <task queue>
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import * as path from 'node:path';

async function main(): Promise<void> {
  const [address, taskQueue] = process.argv.slice(2);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: path.join(__dirname, 'raw-workflow.ts'),
    activities: { noop: async () => undefined },
  });
  const running = worker.run();
  process.stdout.write('polling\n');
  await running;
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
