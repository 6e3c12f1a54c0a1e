// What the drills check of host-compromise runs they drive to the end: every gate approved
// through the API, each step once, each changing provider action applied once, the owner
// notified once (worker-killed and the cluster drill).
import { apiCall, n, sql, until } from './drill-kit';
import type { DrillCluster, DrillReport } from '../drills/drill';

/** What a complete host-compromise run on a host nobody enrolled does, both gates approved. */
const STEPS = ['Enrich from inventory', 'Snapshot disks', 'Collect volatile data', 'Isolate the host', 'Verify isolation', 'Notify the owner', 'Replace from the golden image'];
const CHANGING_ACTIONS = ['collectVolatile', 'isolate', 'replace', 'snapshotDisks'];
/**
 * A step the kill caught mid-call is retried once its heartbeats are missed (20 s, see
 * workflows/shared/activities.ts), after the step's retry wait.
 */
export const RUN_TIMEOUT_MS = 3 * 60_000;

export interface RunResult {
  host: string;
  incidentId: string;
  resolved: boolean;
  /** Steps this run takes after the shipped ones (a new build's, as the deploy drill ships). */
  extraSteps?: string[];
}

/**
 * Approves every gate the run opens until it is resolved, each token voting once per gate (a
 * critical incident's gate needs two approvers); false if it is not resolved in time.
 */
export async function approveGates(cluster: DrillCluster, tokens: string | string[], incidentId: string, timeoutMs = RUN_TIMEOUT_MS): Promise<boolean> {
  const voters = typeof tokens === 'string' ? [tokens] : tokens;
  const voted = new Set<string>();
  const done = await until(
    async () => {
      const [row] = await sql<{ status: string }>(cluster, `SELECT status FROM incidents WHERE id = $1`, [incidentId]);
      if (row?.status === 'resolved') return true;
      const gates = await apiCall(cluster, 'GET', `/incidents/${incidentId}/approvals`, voters[0], undefined, 10_000);
      for (const gate of (gates.body?.gates ?? []) as { id: string; status: string }[]) {
        for (const [k, token] of voters.entries()) {
          if (gate.status !== 'open' || voted.has(`${gate.id}:${k}`)) continue;
          // While the worker is down the vote cannot be counted yet: try again on the next round.
          const vote = await apiCall(cluster, 'POST', `/incidents/${incidentId}/approvals/${gate.id}`, token, { decision: 'approve' }, 15_000);
          if (vote.status === 200 || vote.status === 409) voted.add(`${gate.id}:${k}`);
        }
      }
      return undefined;
    },
    timeoutMs,
    300,
  );
  return done ?? false;
}

/** `killed`: the drill killed processes under the runs (a line says how many kills caught a step mid-call). */
export async function checkRuns(cluster: DrillCluster, results: RunResult[], report: DrillReport, opts: { killed: boolean }): Promise<void> {
  let complete = 0;
  let once = 0;
  let caughtMidStep = 0;
  let events = 0;
  for (const [i, r] of results.entries()) {
    const label = `run ${i + 1} (${r.host}, incident ${r.incidentId})`;
    if (!r.resolved) {
      report.losses.push(`${label}: not resolved within ${RUN_TIMEOUT_MS / 60_000} minutes of the kill`);
      continue;
    }
    const timeline = await sql<{ sequence: number; type: string; data: Record<string, any> }>(
      cluster,
      `SELECT sequence, type, data FROM timeline_events WHERE incident_id = $1 ORDER BY sequence`,
      [r.incidentId],
    );
    events += timeline.length;
    const gaps = timeline.some((e, k) => e.sequence !== k + 1);
    const succeeded = timeline.filter((e) => e.type === 'step.succeeded').map((e) => String(e.data.step));
    if (gaps) report.losses.push(`${label}: timeline sequence has gaps or repeats (${timeline.map((e) => e.sequence).join(',')})`);
    const expected = [...STEPS, ...(r.extraSteps ?? [])];
    if (succeeded.join('|') !== expected.join('|')) report.losses.push(`${label}: steps succeeded [${succeeded.join(', ')}], expected [${expected.join(', ')}]`);
    if (!timeline.some((e) => e.type === 'incident.resolved')) report.losses.push(`${label}: no incident.resolved on its timeline`);
    if (!gaps && succeeded.join('|') === expected.join('|')) complete++;
    if (timeline.some((e) => e.type === 'step.retrying' && e.data.errorType === 'Timeout')) caughtMidStep++;

    const applied = await sql<{ action: string; n: number }>(
      cluster,
      `SELECT action, count(*)::int AS n FROM sim_calls WHERE target = $1 AND outcome = 'applied' GROUP BY action ORDER BY action`,
      [r.host],
    );
    const [notified] = await sql<{ n: number }>(cluster, `SELECT count(*)::int AS n FROM sim_notifications WHERE id LIKE $1`, [`${r.incidentId}%`]);
    const twice = applied.filter((a) => a.n > 1).map((a) => `${a.action} ×${a.n}`);
    const missing = CHANGING_ACTIONS.filter((a) => !applied.some((x) => x.action === a));
    if (twice.length > 0) report.losses.push(`${label}: provider action(s) applied more than once: ${twice.join(', ')}`);
    if (missing.length > 0) report.losses.push(`${label}: provider action(s) never applied: ${missing.join(', ')}`);
    if ((notified?.n ?? 0) !== 1) report.losses.push(`${label}: the owner was notified ${notified?.n ?? 0} times, expected once`);
    if (twice.length === 0 && missing.length === 0 && notified?.n === 1) once++;
  }
  const total = results.length;
  report.found.push(
    `${results.filter((r) => r.resolved).length} of ${total} runs resolved; ${complete} of ${total} timelines complete (every step once, no gaps; ${n(events)} events in all)`,
    `${once} of ${total} runs applied each changing provider action (${CHANGING_ACTIONS.join(', ')}) exactly once and notified the owner once`,
  );
  if (opts.killed) report.found.push(`${caughtMidStep} kill(s) caught a provider step mid-flight: its missed heartbeats ended the attempt and the step was retried on the new worker`);
}

