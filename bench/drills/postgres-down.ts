// Drill: the embedded Postgres is stopped while alerts keep coming, then started again on the
// same folder and port. Promise: while it is down every answer is 503 with Retry-After (never
// a 202: nothing is acknowledged that is not stored); when it is back the engine recovers by
// itself — the same refused requests are then accepted, and the workflow gets them.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiCall, n, postSigned, sendGeneric, sql, tallyIncidents, triageAlert, until, type Answer } from '../support/drill-kit';
import { signGeneric } from '../support/webhooks';
import { scaled, type Drill, type DrillReport } from './drill';

const SENDERS = 5;
const PACE_MS = 250;
/** Refused requests the drill sends again, unchanged, once Postgres is back. */
const RESENT = 10;
const RECOVERY_TIMEOUT_MS = 120_000;

export const postgresDown: Drill = async (cluster, opts) => {
  const report: DrillReport = { drill: 'postgres-down', did: [], found: [], losses: [] };
  const postgres = cluster.processes.postgres;
  if (!postgres) {
    report.losses.push('the harness cannot control the Postgres server: nothing was drilled');
    return report;
  }
  const downSeconds = scaled(30, opts, 5);
  const runId = `pg-${randomUUID().slice(0, 8)}`;
  const host = `drill-${runId}`;
  const first = await sendGeneric(cluster, triageAlert(host, 0, runId), `${runId}-0`);
  if (first.status !== 202) {
    report.losses.push(`the first alert, before Postgres went down, was answered ${first.status}: ${JSON.stringify(first.body).slice(0, 200)}`);
    return report;
  }
  const incidentId = first.body.incidentId as string;

  await postgres.kill('SIGTERM');
  opts.say(`  Postgres stopped; alerts keep coming for ${downSeconds} s`);
  const answers: Answer[] = [];
  const refused: { body: string; headers: Record<string, string> }[] = [];
  const stopAt = Date.now() + downSeconds * 1000;
  let seq = 1;
  const sender = async () => {
    while (Date.now() < stopAt) {
      const i = seq++;
      const request = signGeneric(cluster.secret('PALISADE_WEBHOOK_SECRET_GENERIC'), triageAlert(host, i, runId), `${runId}-${i}`);
      const res = await postSigned(cluster, request);
      answers.push(res);
      if (res.status === 503 && refused.length < RESENT) refused.push(request);
      await sleep(PACE_MS);
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, sender));
  const t0 = Date.now();
  await postgres.start();
  opts.say(`  Postgres is back (started in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  report.did.push(
    `stopped the embedded Postgres (SIGTERM) for ${downSeconds} s while ${SENDERS} senders posted generic alerts for one host (one every ${PACE_MS} ms each)`,
    `started it again on the same folder and port, then re-sent ${refused.length} refused requests unchanged until accepted`,
  );

  // While it was down: 503 with Retry-After, nothing else.
  const proper = answers.filter((a) => a.status === 503 && a.headers?.get('retry-after'));
  const accepted = answers.filter((a) => a.status === 202);
  const other = answers.filter((a) => a.status !== 202 && !proper.includes(a));
  if (accepted.length > 0) report.losses.push(`${accepted.length} alert(s) answered 202 while Postgres was down`);
  for (const a of other.slice(0, 5)) report.losses.push(`answered ${a.status === 0 ? `nothing (${a.error}): the API did not answer` : `${a.status} (Retry-After ${a.headers?.get('retry-after') ?? 'missing'}) ${JSON.stringify(a.body).slice(0, 160)}`}`);
  if (other.length > 5) report.losses.push(`…and ${other.length - 5} more answers that were not 503 with Retry-After`);
  if (answers.length === 0) report.losses.push('no request was sent while Postgres was down');
  const retryAfter = [...new Set(proper.map((a) => a.headers!.get('retry-after')))].join(', ');
  report.found.push(`${n(proper.length)} of ${n(answers.length)} answers while Postgres was down were 503 with Retry-After (${retryAfter || 'none'} s); ${accepted.length} were 202`);

  // Back: the refused requests are accepted as new (a refused store left nothing behind).
  const t1 = Date.now();
  const resent: Answer[] = [];
  for (const request of refused) {
    const res = await until(async () => {
      const r = await postSigned(cluster, request, 10_000);
      return r.status === 202 ? r : undefined;
    }, RECOVERY_TIMEOUT_MS, 500);
    if (!res) {
      report.losses.push(`a refused request was still not accepted ${RECOVERY_TIMEOUT_MS / 1000} s after Postgres was back`);
      break;
    }
    resent.push(res);
  }
  const recoverySeconds = (Date.now() - t1) / 1000;
  const duplicates = resent.filter((r) => r.body?.disposition === 'duplicate');
  if (duplicates.length > 0) report.losses.push(`${duplicates.length} refused request(s) were answered "duplicate" when re-sent: the refused store was half done`);
  const ready = await until(async () => ((await apiCall(cluster, 'GET', '/readyz', cluster.adminToken, undefined, 5_000)).status === 200 ? true : undefined), RECOVERY_TIMEOUT_MS, 1_000);
  if (!ready) report.losses.push(`/readyz was not 200 within ${RECOVERY_TIMEOUT_MS / 1000} s of Postgres coming back`);
  const died = [cluster.processes.api, cluster.processes.worker].filter((p) => p && !p.running);
  for (const p of died) {
    if (p) {
      report.losses.push(`the ${p.name} process died while Postgres was down (started again for the next drills)`);
      await p.start();
    }
  }

  // The workflow recorded every stored alert of the incident, the re-sent ones included.
  const tally = await until(async () => {
    const [t] = await tallyIncidents(cluster, [incidentId]);
    return t.merged === t.stored && t.stored >= 1 + resent.length ? t : undefined;
  }, RECOVERY_TIMEOUT_MS, 1_000);
  const [last] = tally ? [tally] : await tallyIncidents(cluster, [incidentId]);
  if (!tally) report.losses.push(`incident ${incidentId}: ${last.stored} alerts stored (expected ${1 + resent.length}), its workflow recorded ${last.merged}`);
  const [leftovers] = await sql<{ n: number }>(cluster, `SELECT count(*)::int AS n FROM alerts WHERE delivery_id LIKE $1`, [`${runId}-%`]);
  report.found.push(
    `the door accepted again ${recoverySeconds.toFixed(1)} s after Postgres was back: ${resent.length} of ${refused.length} re-sent requests answered 202 (${resent.filter((r) => r.body?.disposition === 'merged').length} merged, ${duplicates.length} duplicate); /readyz ${ready ? '200' : 'not 200'}`,
    `API and worker ${died.length === 0 ? 'never stopped' : `restarted (${died.map((p) => p?.name).join(', ')} had died)`}; ${leftovers.n} alerts of this drill stored (1 before, ${resent.length} re-sent), the incident's workflow recorded ${last.merged}`,
  );
  return report;
};
