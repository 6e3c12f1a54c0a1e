// Drill: the worker is SIGKILLed in the middle of every playbook run and a new one started.
// Promise: every run finishes, its timeline is complete, and no provider action is done twice.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiCall, describeAnswer, n, sql, tokenFor, until } from '../support/drill-kit';
import { approveGates, checkRuns, type RunResult } from '../support/host-compromise-runs';
import { scaled, type Drill, type DrillCluster, type DrillReport } from './drill';

const PLAYBOOK = 'host-compromise';
export const workerKilled: Drill = async (cluster, opts) => {
  const report: DrillReport = { drill: 'worker-killed', did: [], found: [], losses: [] };
  const worker = cluster.processes.worker;
  if (!worker) {
    report.losses.push('the harness cannot control the worker process: nothing was drilled');
    return report;
  }
  const runs = scaled(20, opts, 1);
  const runId = randomUUID().slice(0, 8);
  const requester = await tokenFor(cluster, 'bob', 'responder');
  const approver = await tokenFor(cluster, 'alice', 'approver');
  const results: RunResult[] = [];
  // The kill lands after a random timeline event: a point inside the run, whatever its pace.
  // The first run shows how many events a run has; later kills spread over all of them.
  let eventsPerRun = 12;

  for (let i = 0; i < runs; i++) {
    const host = `drill-wk-${runId}-${i}`;
    const started = await apiCall(cluster, 'POST', `/playbooks/${PLAYBOOK}/runs`, requester, { params: { host } });
    if (started.status !== 202) {
      report.losses.push(`run ${i + 1}: POST /playbooks/${PLAYBOOK}/runs answered ${describeAnswer(started)}`);
      continue;
    }
    const incidentId = started.body.incidentId as string;
    const killAfter = 1 + Math.floor(Math.random() * Math.max(1, eventsPerRun - 1));
    const approving = approveGates(cluster, approver, incidentId);
    // Wait for that event (the run may be paused at a gate: the approver keeps it going).
    await until(async () => ((await eventCount(cluster, incidentId)) >= killAfter ? true : undefined), 120_000, 50);
    await sleep(Math.random() * 300);
    const killedAt = await eventCount(cluster, incidentId);
    await worker.kill('SIGKILL');
    await worker.start();
    opts.say(`  run ${i + 1}/${runs} (${host}): worker killed after timeline event ${killedAt}, a new worker polls`);
    const resolved = await approving;
    results.push({ host, incidentId, resolved });
    if (resolved && i === 0) eventsPerRun = Math.max(eventsPerRun, await eventCount(cluster, incidentId));
  }

  report.did.push(
    `opened ${n(runs)} ${PLAYBOOK} runs one after another (POST /playbooks/${PLAYBOOK}/runs as bob), approved their gates through the API as alice`,
    `SIGKILLed the worker once in each run, after a random timeline event (1 to ${eventsPerRun - 1} of about ${eventsPerRun}), and started a new worker each time`,
  );
  await checkRuns(cluster, results, report, { killed: true });
  return report;
};

async function eventCount(cluster: DrillCluster, incidentId: string): Promise<number> {
  const [row] = await sql<{ n: number }>(cluster, `SELECT count(*)::int AS n FROM timeline_events WHERE incident_id = $1`, [incidentId]);
  return row?.n ?? 0;
}
