// Drill: a playbook change deployed under open incidents (issue 19), through the API as an
// admin does it with `palisade deploy`.
//   1. Incidents wait at their isolation gate on version 1 (host-compromise, started by hand).
//   2. Version 2 (host-compromise changed behind patched(): test/fixtures/versions/host-compromise-v2)
//      starts beside it as a worker of its own and is ramped: new incidents split between them.
//   3. It is promoted (the replay check of the open incidents passes), new ones start on it, and
//      the open ones finish on it (AUTO_UPGRADE), taking the new step; others go half way.
//   4. It is rolled back: those finish on version 1, without the new step.
//   5. An incompatible change (test/fixtures/versions/broken-host-compromise, no patched()): its
//      promotion is refused naming an incident; forced through, the incidents it breaks are
//      flagged stuck within a minute, and the flag clears after a rollback.
//   6. Versions 2 and 3's workers stop: once their last poll is older than a poll lasts, GET
//      /deploys shows them with no pollers, and a promotion of one is refused (409
//      version_has_no_pollers): new incidents would wait for a worker that is not there.
// Promise: nothing lost, no step or provider action applied twice, each run on the version its
// behaviour says.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { READYZ_STUCK_NAMED } from '../../apps/api/health/health.service';
import { bundleWith } from '../../test/fixtures/versions/builds';
import { CONFIRM_STEP } from '../../test/fixtures/versions/host-compromise-v2/playbook';
import { apiCall, askPast503, describeAnswer, inLanes, n, sql, tokenFor, until, type Answer } from '../support/drill-kit';
import { approveGates, checkRuns, type RunResult } from '../support/host-compromise-runs';
import { scaled, type Drill, type DrillCluster, type DrillProcess, type DrillReport } from './drill';

const PLAYBOOK = 'host-compromise';
/** The stuck alarm's promise (issue 19): flagged within a minute of the first failing task. */
const STUCK_WITHIN_MS = 60_000;
/** How many runs are started or driven at once. */
const LANES = 8;

interface Version {
  version: string;
  pollers: number;
}

export const deployDrill: Drill = async (cluster, opts) => {
  const report: DrillReport = { drill: 'deploy', did: [], found: [], losses: [] };
  if (!cluster.addWorker) {
    report.losses.push('the harness cannot start another worker: nothing was drilled');
    return report;
  }
  const waiting = scaled(50, opts, 4);
  const duringRamp = scaled(100, opts, 16);
  // A short run has too few incidents to see 10 % land anywhere for sure: half, then.
  const percent = opts.scale >= 1 ? 10 : 50;
  const afterPromotion = scaled(20, opts, 2);
  const breakable = scaled(10, opts, 2);
  const runId = randomUUID().slice(0, 8);
  const bundles = mkdtempSync(path.join(os.tmpdir(), 'palisade-deploy-drill-'));
  const workers: DrillProcess[] = [];
  const requester = await tokenFor(cluster, 'bob', 'responder');
  const approver = await tokenFor(cluster, 'alice', 'approver');
  const admin = cluster.adminToken;
  // GET /deploys asks Temporal; a 503 while it is slow (a loaded machine, the full test suite)
  // is asked again for up to a minute; any other answer stops the drill with what it said.
  const deploys = async (): Promise<{ current: string | null; ramping: unknown; versions: Version[] }> =>
    (await askPast503(() => apiCall(cluster, 'GET', '/deploys', admin), 'GET /deploys')).body as { current: string | null; ramping: unknown; versions: Version[] };
  const expectAnswer = (what: string, answer: Answer, status: number): boolean => {
    if (answer.status === status) return true;
    report.losses.push(`${what} answered ${describeAnswer(answer, 300)}, expected ${status}`);
    return false;
  };

  try {
    // The engine's worker makes its build current once it polls (a first start).
    const v1 = await until(async () => (await deploys()).current ?? undefined, 60_000, 500);
    if (!v1) {
      report.losses.push('no version is current before the drill: the engine did not make its worker current');
      return report;
    }

    // 1. Incidents waiting at their isolation gate on version 1.
    const open = (label: string, count: number) => openRuns(cluster, requester, `drill-dp-${runId}-${label}`, count, report);
    opts.say(`  opening ${n(waiting)} runs on version ${v1}...`);
    const first = await open('w', waiting);
    await waitAtGate(cluster, requester, first, 'isolate-host', report);
    const startedFirst = await builds(cluster, first);
    report.did.push(`opened ${n(first.length)} ${PLAYBOOK} runs by hand (bob) on version ${v1}; each waits at its isolate-host gate`);
    if (startedFirst.some((b) => b.started_build !== v1)) report.losses.push(`runs opened before the deploy started on ${[...new Set(startedFirst.map((b) => b.started_build))].join(', ')}, not only ${v1}`);

    // 2. Version 2 beside it, ramped.
    opts.say('  starting version 2 beside it...');
    const v2 = await startBuild(cluster, 'worker-v2', await bundleWith({ [PLAYBOOK]: 'host-compromise-v2' }), bundles, workers, deploys);
    if (!expectAnswer(`POST /deploys/ramp ${v2} ${percent}%`, await apiCall(cluster, 'POST', '/deploys/ramp', admin, { version: v2, percent, reason: 'deploy drill' }), 201)) return report;
    opts.say(`  ramped ${v2} to ${percent}%; opening ${n(duringRamp)} runs...`);
    const ramped = await open('r', duringRamp);
    await waitAtGate(cluster, requester, ramped, 'isolate-host', report);
    const split = await builds(cluster, ramped);
    const onV2 = split.filter((b) => b.started_build === v2).length;
    const onV1 = split.filter((b) => b.started_build === v1).length;
    report.did.push(`started version 2 (${v2}: host-compromise confirms the host in inventory at the end, behind patched()) as a second worker, ramped it to ${percent}% and opened ${n(ramped.length)} runs`);
    report.found.push(`during the ${percent}% ramp ${n(onV2)} of ${n(ramped.length)} new runs started on version 2 (${pct(onV2, ramped.length)}) and ${n(onV1)} on version 1`);
    const sd = Math.sqrt(ramped.length * (percent / 100) * (1 - percent / 100));
    if (onV1 + onV2 !== ramped.length) report.losses.push(`${ramped.length - onV1 - onV2} runs opened during the ramp started on neither version`);
    if (onV2 === 0 || onV1 === 0 || Math.abs(onV2 - (ramped.length * percent) / 100) > 3.5 * sd) report.losses.push(`the ramp's split (${onV2} of ${ramped.length} on version 2) is not about ${percent}%`);

    // 3. Promoted: the open incidents replay on version 2 first.
    opts.say('  promoting version 2 (the open incidents replay on it first)...');
    const promoted = await apiCall(cluster, 'POST', '/deploys/promote', admin, { version: v2, reason: 'deploy drill' }, 120_000);
    if (!expectAnswer(`POST /deploys/promote ${v2}`, promoted, 201)) return report;
    const check = promoted.body.replayCheck as { replayed: number; divergences: unknown[] };
    report.found.push(`promotion replayed ${n(check.replayed)} open incident(s) on version 2 first: ${check.divergences.length} diverged`);
    if (check.divergences.length > 0) report.losses.push(`a careful change diverged on replay: ${JSON.stringify(check.divergences).slice(0, 300)}`);
    if (check.replayed < first.length + ramped.length) report.losses.push(`the promotion replayed ${check.replayed} incidents, fewer than the ${first.length + ramped.length} open`);
    const later = await open('p', afterPromotion);
    await waitAtGate(cluster, requester, later, 'isolate-host', report);
    const startedLater = await builds(cluster, later);
    if (startedLater.some((b) => b.started_build !== v2)) report.losses.push(`runs opened after the promotion started on ${[...new Set(startedLater.map((b) => b.started_build))].join(', ')}, not only version 2`);

    // Half of the first runs and every later one finish on version 2; the other half only pass their first gate.
    const halfway = first.slice(0, Math.floor(first.length / 2));
    const onNew = [...first.slice(halfway.length), ...ramped, ...later];
    opts.say(`  driving ${n(onNew.length)} runs to the end on version 2, ${n(halfway.length)} half way...`);
    const results: (RunResult & { expected: string })[] = [];
    await inLanes(onNew, LANES, async (r) => {
      results.push({ ...r, resolved: await approveGates(cluster, approver, r.incidentId), extraSteps: [CONFIRM_STEP], expected: v2 });
    });
    await inLanes(halfway, LANES, async (r) => {
      if (!(await vote(cluster, approver, r.incidentId, 'isolate-host'))) report.losses.push(`${r.host}: its isolate-host vote was not counted`);
    });
    await waitAtGate(cluster, requester, halfway, 'replace-host', report);
    report.did.push(`promoted version 2; opened ${n(later.length)} more runs; approved every gate of ${n(onNew.length)} runs (${n(first.length - halfway.length)} opened on version 1, all opened during the ramp, all opened after) and only the isolate-host gate of ${n(halfway.length)} opened on version 1`);

    // 4. Rolled back: the runs half way finish on version 1.
    opts.say('  rolling back to version 1 and finishing the rest...');
    if (!expectAnswer('POST /deploys/rollback', await apiCall(cluster, 'POST', '/deploys/rollback', admin, { reason: 'deploy drill' }, 60_000), 201)) return report;
    await inLanes(halfway, LANES, async (r) => {
      results.push({ ...r, resolved: await approveGates(cluster, approver, r.incidentId), expected: v1 });
    });
    report.did.push(`rolled back to version 1, then approved the replace-host gate of the ${n(halfway.length)} runs half way`);
    const ran = await builds(cluster, results);
    const wrong = results.filter((r) => ran.find((b) => b.id === r.incidentId)?.running_build !== r.expected);
    report.found.push(`${n(results.length - wrong.length)} of ${n(results.length)} runs ended on the version their behaviour (AUTO_UPGRADE) says: version 2 for those it was current for at their last task, version 1 after the rollback`);
    for (const r of wrong.slice(0, 5)) report.losses.push(`${r.host} (incident ${r.incidentId}) ended on ${ran.find((b) => b.id === r.incidentId)?.running_build}, expected ${r.expected}`);
    await checkRuns(cluster, results, report, { killed: false });
    await checkNothingLost(cluster, runId, first.length + ramped.length + later.length, report);

    // 5. An incompatible change: refused, then forced, then rolled back.
    opts.say('  an incompatible change: refused, forced, stuck, rolled back...');
    await breakAndMend(cluster, { admin, requester, approver, v1, count: breakable, label: `drill-dp-${runId}-x`, bundles, workers, deploys }, report);

    // 6. The versions whose workers stop are refused.
    opts.say('  stopping versions 2 and 3, then asking to promote version 2...');
    await refuseStoppedVersions(cluster, admin, v1, workers, deploys, report);
  } finally {
    for (const w of workers) await w.kill('SIGTERM');
    rmSync(bundles, { recursive: true, force: true });
  }
  return report;
};

interface BreakContext {
  admin: string;
  requester: string;
  approver: string;
  v1: string;
  count: number;
  label: string;
  bundles: string;
  workers: DrillProcess[];
  deploys: () => Promise<{ current: string | null; versions: Version[] }>;
}

async function breakAndMend(cluster: DrillCluster, c: BreakContext, report: DrillReport): Promise<void> {
  const runs = await openRuns(cluster, c.requester, c.label, c.count, report);
  await waitAtGate(cluster, c.requester, runs, 'isolate-host', report);
  const ids = runs.map((r) => r.incidentId);
  const v3 = await startBuild(cluster, 'worker-v3', await bundleWith({ [PLAYBOOK]: 'broken-host-compromise' }), c.bundles, c.workers, c.deploys);
  report.did.push(`opened ${n(runs.length)} runs waiting at isolate-host, started version 3 (${v3}: host-compromise waits a second before enriching, no patched()) and asked to promote it`);

  const refused = await apiCall(cluster, 'POST', '/deploys/promote', c.admin, { version: v3, reason: 'deploy drill: incompatible' }, 120_000);
  // The refusal names the oldest open incident that would break: one of these runs, or an open
  // host-compromise incident an earlier drill left at its gate (bad-input's valid alerts), which
  // breaks as surely. Either way every one of these runs must be among those counted.
  const message = String(refused.body?.message ?? '');
  const namedId = /incident ([0-9a-f-]{36})/.exec(message)?.[1];
  const breaks = Number(/would break (\d+) open incident/.exec(message)?.[1] ?? 0);
  const [namedRow] = namedId ? await sql<{ playbook: string; status: string }>(cluster, `SELECT playbook, status FROM incidents WHERE id = $1`, [namedId]) : [];
  const named = namedRow?.playbook === PLAYBOOK && !['resolved', 'cancelled'].includes(namedRow.status) && breaks >= ids.length;
  if (refused.status === 409 && refused.body?.error === 'replay_diverged' && named) {
    report.found.push(`the promotion of version 3 was refused (409 replay_diverged): "${String(refused.body.message).slice(0, 600)}…"`);
  } else {
    report.losses.push(`the promotion of an incompatible version answered ${describeAnswer(refused, 300)}, not 409 replay_diverged naming an open ${PLAYBOOK} incident and counting all ${ids.length} of its runs`);
    return;
  }

  const forced = await apiCall(cluster, 'POST', '/deploys/promote', c.admin, { version: v3, force: true, reason: 'deploy drill: forced' }, 120_000);
  if (forced.status !== 201 || forced.body?.replayCheck?.forced !== true) {
    report.losses.push(`the forced promotion answered ${describeAnswer(forced, 300)}`);
    return;
  }
  // The next workflow task of each run (the vote's signal) meets the changed code.
  const since = Date.now();
  await inLanes(runs, LANES, async (r) => {
    await apiCall(cluster, 'POST', `/incidents/${r.incidentId}/approvals/isolate-host`, c.approver, { decision: 'approve' }, 15_000);
  });
  const stuck = await until(async () => {
    const rows = await sql<{ id: string }>(cluster, `SELECT id FROM incidents WHERE id = ANY($1::uuid[]) AND stuck_since IS NOT NULL`, [ids]);
    return rows.length === ids.length ? Date.now() - since : undefined;
  }, STUCK_WITHIN_MS * 2, 500);
  if (stuck === undefined || stuck > STUCK_WITHIN_MS) {
    report.losses.push(`forced through, the broken runs were ${stuck === undefined ? `not all flagged stuck within ${STUCK_WITHIN_MS * 2 / 1000} s` : `flagged stuck after ${Math.round(stuck / 1000)} s, over a minute`}`);
  } else {
    report.found.push(`forced through, all ${n(ids.length)} broken runs were flagged stuck within ${Math.ceil(stuck / 1000)} s of the votes that gave them a workflow task`);
  }
  const ready = await apiCall(cluster, 'GET', '/readyz', c.admin);
  const listed = ((ready.body?.stuck?.incidents ?? []) as { id: string }[]).map((i) => i.id);
  const metrics = await fetch(`${cluster.apiUrl}/metrics`, { headers: { authorization: `Bearer ${c.admin}` } }).then((r) => r.text());
  const gauge = Number(/^palisade_incidents_stuck (\d+)/m.exec(metrics)?.[1] ?? 0);
  const reasons = await sql<{ stuck_reason: string | null }>(cluster, `SELECT stuck_reason FROM incidents WHERE id = ANY($1::uuid[])`, [ids]);
  const shown = ids.filter((id) => listed.includes(id)).length;
  const counted = Number(ready.body?.stuck?.count ?? 0);
  report.found.push(`/readyz counted ${counted} stuck and listed ${shown} of these ${ids.length}; palisade_incidents_stuck ${gauge}; ${reasons.filter((r) => r.stuck_reason?.includes(v3)).length} stuck reasons name version 3`);
  // /readyz names the ten stuck longest and counts them all: open incidents other drills left in
  // this engine, given a task on version 3, may be stuck too and fill the list first.
  const missing = shown < ids.length && listed.length < READYZ_STUCK_NAMED;
  if (stuck !== undefined && (missing || counted < ids.length || gauge < ids.length)) {
    report.losses.push(`a stuck incident is missing from /readyz (listed ${shown} of ${ids.length} in ${listed.length}, counted ${counted}) or the metric (${gauge})`);
  }

  const mended = Date.now();
  const rolled = await apiCall(cluster, 'POST', '/deploys/rollback', c.admin, { reason: 'deploy drill: the broken version' }, 60_000);
  if (rolled.status !== 201 || rolled.body?.status?.current !== c.v1) {
    report.losses.push(`the rollback answered ${describeAnswer(rolled, 300)}`);
    return;
  }
  const results: RunResult[] = [];
  await inLanes(runs, LANES, async (r) => {
    results.push({ ...r, resolved: await approveGates(cluster, c.approver, r.incidentId) });
  });
  const cleared = await until(async () => {
    const rows = await sql<{ n: number }>(cluster, `SELECT count(*)::int AS n FROM incidents WHERE id = ANY($1::uuid[]) AND stuck_since IS NULL AND status = 'resolved'`, [ids]);
    return rows[0].n === ids.length ? Date.now() - mended : undefined;
  }, 3 * 60_000, 500);
  const unstuck = await sql<{ n: number }>(cluster, `SELECT count(DISTINCT incident_id)::int AS n FROM timeline_events WHERE incident_id = ANY($1::uuid[]) AND type = 'incident.unstuck'`, [ids]);
  report.did.push('rolled back to version 1 and approved the rest of their gates');
  if (cleared === undefined) report.losses.push('after the rollback, not every broken run cleared its stuck flag and resolved within 3 minutes');
  else report.found.push(`after the rollback all ${n(ids.length)} cleared by themselves and resolved within ${Math.ceil(cleared / 1000)} s; ${unstuck[0].n} timelines say incident.unstuck`);
  await checkRuns(cluster, results, report, { killed: false });
}

/**
 * Stops every worker the drill started, waits until GET /deploys shows their versions with no
 * pollers (Temporal keeps a poll up to a minute, the API counts one within 75 s), and asks to
 * promote one: refused, and version 1 stays current.
 */
async function refuseStoppedVersions(cluster: DrillCluster, admin: string, v1: string, workers: DrillProcess[], deploys: () => Promise<{ current: string | null; versions: Version[] }>, report: DrillReport): Promise<void> {
  const stoppedAt = Date.now();
  for (const w of workers) await w.kill('SIGTERM');
  const others = (v: Version) => v.version !== v1;
  const quiet = await until(async () => {
    const now = (await deploys()).versions.filter(others);
    return now.length > 0 && now.every((v) => v.pollers === 0) ? now : undefined;
  }, 3 * 60_000, 1_000);
  if (!quiet) {
    report.losses.push('3 minutes after their workers stopped, GET /deploys still counted pollers of versions 2 and 3');
    return;
  }
  const target = quiet[0].version;
  report.did.push(`stopped the workers of versions 2 and 3 and asked to promote ${target}`);
  report.found.push(`GET /deploys showed no pollers of ${quiet.map((v) => v.version).join(' and ')} ${Math.ceil((Date.now() - stoppedAt) / 1000)} s after their workers stopped`);
  const refused = await apiCall(cluster, 'POST', '/deploys/promote', admin, { version: target, reason: 'deploy drill: a version nobody runs' }, 60_000);
  if (refused.status !== 409 || refused.body?.error !== 'version_has_no_pollers') {
    report.losses.push(`promoting ${target}, whose workers had stopped, answered ${describeAnswer(refused, 300)}, expected 409 version_has_no_pollers`);
    return;
  }
  const after = await deploys();
  if (after.current !== v1) report.losses.push(`after the refused promotion ${after.current} is current, not ${v1}`);
  else report.found.push(`its promotion was refused (409 version_has_no_pollers: "${String(refused.body.message).slice(0, 160)}…"), and ${v1} stayed current`);
}

/** Opens `count` host-compromise runs by hand, on hosts `<prefix>-<i>`. */
async function openRuns(cluster: DrillCluster, token: string, prefix: string, count: number, report: DrillReport): Promise<RunResult[]> {
  const runs: RunResult[] = [];
  await inLanes(
    Array.from({ length: count }, (_, i) => `${prefix}-${i}`),
    LANES,
    async (host) => {
      const started = await apiCall(cluster, 'POST', `/playbooks/${PLAYBOOK}/runs`, token, { params: { host } });
      if (started.status === 202) runs.push({ host, incidentId: started.body.incidentId as string, resolved: false });
      else report.losses.push(`${host}: POST /playbooks/${PLAYBOOK}/runs answered ${describeAnswer(started, 300)}`);
    },
  );
  return runs;
}

/** Waits until every run waits at `gate` (a loss for each that does not within 5 minutes). */
async function waitAtGate(cluster: DrillCluster, token: string, runs: RunResult[], gate: string, report: DrillReport): Promise<void> {
  const pending = new Set(runs.map((r) => r.incidentId));
  await until(
    async () => {
      await inLanes([...pending], LANES, async (id) => {
        const gates = await apiCall(cluster, 'GET', `/incidents/${id}/approvals`, token, undefined, 10_000);
        if (((gates.body?.gates ?? []) as { id: string; status: string }[]).some((g) => g.id === gate && g.status === 'open')) pending.delete(id);
      });
      return pending.size === 0 ? true : undefined;
    },
    5 * 60_000,
    1_000,
  );
  for (const id of pending) report.losses.push(`incident ${id} did not wait at ${gate} within 5 minutes`);
}

/** One approver's vote; true once it is counted (or the gate was decided already). */
async function vote(cluster: DrillCluster, token: string, incidentId: string, gate: string): Promise<boolean> {
  const counted = await until(async () => {
    const v = await apiCall(cluster, 'POST', `/incidents/${incidentId}/approvals/${gate}`, token, { decision: 'approve' }, 15_000);
    return v.status === 200 || v.status === 409 ? true : undefined;
  }, 60_000, 1_000);
  return counted ?? false;
}

async function builds(cluster: DrillCluster, runs: { incidentId: string }[]): Promise<{ id: string; started_build: string | null; running_build: string | null }[]> {
  return sql(cluster, `SELECT id, started_build, running_build FROM incidents WHERE id = ANY($1::uuid[])`, [runs.map((r) => r.incidentId)]);
}

/** Writes `bundle` for a worker of its own, starts it, and returns its build id once it polls. */
async function startBuild(cluster: DrillCluster, name: string, bundle: { code: string }, dir: string, workers: DrillProcess[], deploys: () => Promise<{ versions: Version[] }>): Promise<string> {
  const before = new Set((await deploys()).versions.map((v) => v.version));
  const file = path.join(dir, `${name}.js`);
  writeFileSync(file, bundle.code);
  const worker = cluster.addWorker!(name, { PALISADE_WORKFLOW_BUNDLE: file, PALISADE_BECOME_CURRENT: 'never' });
  workers.push(worker);
  await worker.start();
  const version = await until(async () => (await deploys()).versions.find((v) => !before.has(v.version) && v.pollers > 0)?.version, 60_000, 500);
  if (!version) throw new Error(`${name} started but no new version polls the deployment within a minute`);
  return version;
}

async function checkNothingLost(cluster: DrillCluster, runId: string, opened: number, report: DrillReport): Promise<void> {
  const [row] = await sql<{ n: number; hosts: number }>(
    cluster,
    `SELECT count(*)::int AS n, count(DISTINCT entity)::int AS hosts FROM incidents WHERE entity LIKE $1`,
    [`%drill-dp-${runId}-%`],
  );
  report.found.push(`${n(row.n)} incidents for the ${n(opened)} runs opened through the deploy, one per host`);
  if (row.n !== opened || row.hosts !== opened) report.losses.push(`${row.n} incidents (${row.hosts} hosts) for ${opened} runs opened`);
}

const pct = (part: number, whole: number) => `${whole === 0 ? 0 : Math.round((100 * part) / whole)}%`;
