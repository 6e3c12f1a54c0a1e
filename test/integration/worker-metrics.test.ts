import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { nodeEntry } from '../../apps/cli/start/child-process';
import { freePort } from '../../apps/cli/start/ports';
import { eventually, TEST_REDACTION_KEY } from '../support/engine';
import { spawnCollecting, type Spawned } from '../support/processes';
import { createDatabase } from '../setup/postgres';

/**
 * The worker as `npm start` and the cluster run it (its own process, apps/worker/main.ts)
 * serves the Temporal SDK's metrics for Prometheus: task slots, pollers, request latencies (the
 * sticky cache and task latencies join them once workflows run) (issue 21, item 5).
 */
describe('worker /metrics', () => {
  let worker: Spawned;
  let metricsUrl: string;
  let db: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    db = await createDatabase(inject('postgresAdminUrl'), `palisade_wm_${randomUUID().replaceAll('-', '')}`, inject('templateDatabase'));
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    const entry = nodeEntry(path.resolve(__dirname, '../../apps/worker/main.ts'));
    worker = spawnCollecting(entry.command, entry.args, {
      cwd: path.resolve(__dirname, '../..'),
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        DATABASE_URL: db.url,
        PALISADE_TASK_QUEUE: `test-${randomUUID()}`,
        PALISADE_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
        PALISADE_REDACTION_KEY: TEST_REDACTION_KEY,
        PALISADE_WORKER_METRICS_PORT: String(port),
      },
    });
  }, 60_000);

  afterAll(async () => {
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await db?.drop();
  });

  it("serves the SDK's worker metrics", async () => {
    const text = await eventually(
      'the worker to serve its metrics',
      async () => {
        const res = await fetch(metricsUrl).catch(() => undefined);
        const body = res?.ok ? await res.text() : undefined;
        return body?.includes('temporal_worker_task_slots_available') ? body : undefined;
      },
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nworker output:\n${worker.output().slice(-2000)}`);
    });
    expect(text).toMatch(/temporal_worker_task_slots_available\{[^}]*worker_type="WorkflowWorker"/);
    expect(text).toMatch(/temporal_num_pollers\{[^}]*poller_type="workflow_task"/);
  });
});
