// Drill: the API is SIGKILLed in the middle of an alert storm and started again.
// Promise: every alert answered 202 is in Postgres and reaches its incident's workflow.
// Requests cut by the kill get no answer: the senders re-send them (same X-Palisade-Delivery,
// a fresh signature), as a SIEM does; they are not losses, only 202-answered alerts count.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkStoredOnce, inboxDrained, killAndRestart as restarted, n, sendGeneric, sql, tallyIncidents, tallyLoss, triageAlert, until } from '../support/drill-kit';
import { scaled, type Drill, type DrillReport } from './drill';

const SENDERS = 50;
/** How long a sender keeps re-sending one alert that gets no answer. */
const RESEND_FOR_MS = 120_000;

export const apiKilled: Drill = async (cluster, opts) => {
  const report: DrillReport = { drill: 'api-killed', did: [], found: [], losses: [] };
  const api = cluster.processes.api;
  if (!api) {
    report.losses.push('the harness cannot control the API process: nothing was drilled');
    return report;
  }
  const total = scaled(5_000, opts, 20);
  const entities = scaled(100, opts, 4);
  const runId = `api-${randomUUID().slice(0, 8)}`;
  const accepted = new Map<string, { alertId: string; incidentId: string }>(); // delivery → ids
  const noAnswer = new Map<string, number>(); // error code → count
  const otherStatus = new Map<number, number>();
  const unexpected: string[] = [];
  let killed: Promise<number> | undefined;
  let acceptedAtKill = 0;
  let next = 0;

  const sender = async () => {
    while (next < total) {
      const i = next++;
      const host = `drill-${runId}-${i % entities}`;
      const delivery = `${runId}-${i}`;
      const deadline = Date.now() + RESEND_FOR_MS;
      while (Date.now() < deadline) {
        const res = await sendGeneric(cluster, triageAlert(host, i, runId), delivery);
        if (res.status === 202) {
          accepted.set(delivery, { alertId: res.body.alertIds[0], incidentId: res.body.incidentId });
          break;
        }
        if (res.status === 0) noAnswer.set(res.error ?? 'unknown', (noAnswer.get(res.error ?? 'unknown') ?? 0) + 1);
        else otherStatus.set(res.status, (otherStatus.get(res.status) ?? 0) + 1);
        if (res.status >= 400 && res.status < 500) {
          unexpected.push(`${delivery}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
          break;
        }
        await sleep(1_000); // a new second: the re-sent request is signed anew, not a replay
      }
      // Mid-way through the storm, the API dies; it is started again at once.
      if (!killed && accepted.size >= total / 2) {
        killed = killAndRestart();
        killed.catch(() => undefined); // awaited below; a failed restart is reported there
      }
    }
  };
  const killAndRestart = () => {
    acceptedAtKill = accepted.size;
    return restarted(api, () => opts.say(`  API SIGKILLed after ${n(acceptedAtKill)} alerts answered 202; starting it again`));
  };

  opts.say(`  sending ${n(total)} alerts over ${SENDERS} connections to ${entities} hosts...`);
  const t0 = Date.now();
  await Promise.all(Array.from({ length: Math.min(SENDERS, total) }, sender));
  const downMs = killed ? await killed : undefined;
  const sendSeconds = (Date.now() - t0) / 1000;
  report.did.push(
    `sent ${n(total)} generic alerts for ${entities} hosts over ${Math.min(SENDERS, total)} concurrent senders in ${sendSeconds.toFixed(1)} s, re-sending those that got no answer`,
    downMs === undefined ? 'never killed the API (the storm ended first)' : `SIGKILLed the API mid-storm, after ${n(acceptedAtKill)} alerts were answered 202; it answered /healthz again ${(downMs / 1000).toFixed(1)} s later`,
  );
  if (downMs === undefined) report.losses.push('the API was never killed: the drill proved nothing');
  for (const u of unexpected.slice(0, 10)) report.losses.push(`answered ${u}`);
  const cut = [...noAnswer.values()].reduce((a, b) => a + b, 0);
  report.found.push(
    `${n(accepted.size)} of ${n(total)} alerts answered 202; ${n(cut)} request(s) got no answer while the API was down (${[...noAnswer].map(([k, v]) => `${k} ×${v}`).join(', ') || 'none'})` +
      (otherStatus.size > 0 ? `; other answers: ${[...otherStatus].map(([k, v]) => `${k} ×${v}`).join(', ')}` : ''),
  );

  // Every 202 is in Postgres, once.
  const ids = [...accepted.values()];
  const alertIds = ids.map((a) => a.alertId);
  const { stored, doubled } = await checkStoredOnce(cluster, runId, alertIds, report.losses);

  // Every 202 reaches its incident: its inbox row is dispatched, and the workflow counted it.
  const drained = await inboxDrained(cluster, alertIds, 180_000 + total * 20);
  const queued = await sql<{ n: number }>(cluster, `SELECT count(DISTINCT alert_id)::int AS n FROM inbox WHERE alert_id = ANY($1::uuid[]) AND dispatched_at IS NOT NULL`, [alertIds]);
  const dispatched = queued[0]?.n ?? 0;
  if (dispatched < alertIds.length) report.losses.push(`${n(alertIds.length - dispatched)} alert(s) answered 202 were never dispatched to Temporal${drained ? '' : ' (the inbox did not drain in time)'}`);
  const incidents = [...new Set(ids.map((a) => a.incidentId))];
  const tallies = await until(async () => {
    const t = await tallyIncidents(cluster, incidents);
    return t.every((x) => x.merged >= x.stored) ? t : undefined; // more than stored never comes back down
  }, 120_000, 1_000) ?? (await tallyIncidents(cluster, incidents));
  const short = tallies.filter((t) => t.merged !== t.stored);
  for (const t of short.slice(0, 10)) report.losses.push(tallyLoss(t));
  const recorded = tallies.reduce((sum, t) => sum + t.merged, 0);
  report.found.push(
    `${n(stored)} of ${n(alertIds.length)} answered alerts in Postgres, ${doubled === 0 ? 'none' : n(doubled)} stored twice; ${n(dispatched)} dispatched from the inbox`,
    `${incidents.length - short.length} of ${incidents.length} incidents' workflows recorded every alert stored for them (${n(recorded)} alerts on their timelines)`,
  );
  return report;
};
