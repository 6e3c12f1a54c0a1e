// Drill: the Temporal dev server is stopped for a minute while alerts keep coming.
// Promise: the door keeps answering 202, nothing is lost, the inbox drains when Temporal is
// back, and each entity's alerts reach its workflow in the order they were sent.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiCall, inboxDrained, n, sendGeneric, sql, tallyIncidents, tallyLoss, triageAlert, until, type Answer } from '../support/drill-kit';
import { scaled, type Drill, type DrillReport } from './drill';

/** Each host's sender sends one alert, waits for the answer, then this long: its order is the order sent. */
const PACE_MS = 500;
/** Alerts flow this long before Temporal stops, and after it is back. */
const AROUND_MS = 3_000;

export const temporalDown: Drill = async (cluster, opts) => {
  const report: DrillReport = { drill: 'temporal-down', did: [], found: [], losses: [] };
  const temporal = cluster.processes.temporal;
  if (!temporal) {
    report.losses.push('the harness cannot control the Temporal server: nothing was drilled');
    return report;
  }
  const downSeconds = scaled(60, opts, 5);
  const hosts = scaled(20, opts, 4);
  const runId = `tmp-${randomUUID().slice(0, 8)}`;
  const answers: { host: string; seq: number; res: Answer }[] = [];
  let sending = true;

  // Half the hosts send from the start (their incidents run before the outage), the other half
  // only once Temporal is down (their incidents are opened while it is).
  const lane = async (h: number) => {
    const host = `drill-${runId}-${h}`;
    for (let seq = 0; sending; seq++) {
      const res = await sendGeneric(cluster, triageAlert(host, seq, runId), `${runId}-${h}-${seq}`);
      answers.push({ host, seq, res });
      await sleep(PACE_MS);
    }
  };
  const early = Array.from({ length: Math.ceil(hosts / 2) }, (_, h) => lane(h));
  await sleep(AROUND_MS);
  await temporal.kill('SIGTERM');
  opts.say(`  Temporal stopped; alerts keep coming for ${downSeconds} s`);
  const late = Array.from({ length: Math.floor(hosts / 2) }, (_, h) => lane(Math.ceil(hosts / 2) + h));
  await sleep((downSeconds * 1000) / 2);
  const readyz = await apiCall(cluster, 'GET', '/readyz', cluster.adminToken);
  await sleep((downSeconds * 1000) / 2);
  const sentWhileDown = answers.length;
  await temporal.start();
  opts.say('  Temporal is back');
  await sleep(AROUND_MS);
  sending = false;
  await Promise.all([...early, ...late]);

  report.did.push(
    `sent generic alerts for ${hosts} hosts, one sender per host (one alert every ${PACE_MS} ms after each answer), ${hosts / 2 <= 1 ? 'one' : 'half'} of them starting only once Temporal was down`,
    `stopped the Temporal dev server (SIGTERM) for ${downSeconds} s, then started it again on the same database file`,
  );

  // Every answer a 202, during the outage too.
  const refused = answers.filter((a) => a.res.status !== 202);
  for (const a of refused.slice(0, 10)) report.losses.push(`${a.host} alert ${a.seq}: answered ${a.res.status === 0 ? `nothing (${a.res.error})` : `${a.res.status} ${JSON.stringify(a.res.body).slice(0, 160)}`}`);
  if (refused.length > 10) report.losses.push(`…and ${refused.length - 10} more not answered 202`);
  report.found.push(
    `${n(answers.length - refused.length)} of ${n(answers.length)} alerts answered 202 (${n(sentWhileDown)} of them sent before Temporal was started again)`,
    `/readyz mid-outage: ${readyz.status}${readyz.body?.message ? ` "${readyz.body.message}"` : ''}, ${readyz.body?.inbox?.pending ?? '?'} alert(s) waiting in the inbox`,
  );

  // Nothing lost: stored, drained, counted by each incident's workflow in inbox order.
  const accepted = answers.filter((a) => a.res.status === 202);
  const alertIds = accepted.map((a) => a.res.body.alertIds[0] as string);
  const t0 = Date.now();
  const drained = await inboxDrained(cluster, alertIds, 180_000);
  const drainSeconds = (Date.now() - t0) / 1000;
  const [stored] = await sql<{ n: number }>(cluster, `SELECT count(*)::int AS n FROM alerts WHERE id = ANY($1::uuid[])`, [alertIds]);
  if (stored.n !== alertIds.length) report.losses.push(`${n(alertIds.length - stored.n)} alert(s) answered 202 are not in Postgres`);
  if (!drained) report.losses.push('the inbox did not drain within 3 minutes of Temporal coming back');

  const incidents = [...new Set(accepted.map((a) => a.res.body.incidentId as string))];
  const tallies = (await until(async () => {
    const t = await tallyIncidents(cluster, incidents);
    return t.every((x) => x.merged >= x.stored) ? t : undefined; // more than stored never comes back down
  }, 120_000, 1_000)) ?? (await tallyIncidents(cluster, incidents));
  for (const t of tallies.filter((x) => x.merged !== x.stored)) report.losses.push(tallyLoss(t));
  const outOfOrder = tallies.filter((t) => t.batches.some((id, k) => k > 0 && id <= t.batches[k - 1]));
  for (const t of outOfOrder) report.losses.push(`incident ${t.incidentId}: its workflow recorded batches out of inbox order (${t.batches.join(', ')})`);

  // The door kept each host's order: inbox ids rise with the order the host's alerts were sent.
  const rows = await sql<{ host: string; seq: number; inbox_id: string }>(
    cluster,
    `SELECT a.entity_key AS host, (a.labels->>'seq')::int AS seq, i.id AS inbox_id FROM alerts a JOIN inbox i ON i.alert_id = a.id
     WHERE a.id = ANY($1::uuid[]) ORDER BY a.entity_key, i.id`,
    [alertIds],
  );
  const doorDisorder = new Set<string>();
  rows.forEach((r, k) => {
    const prev = rows[k - 1];
    if (prev && prev.host === r.host && prev.seq > r.seq) doorDisorder.add(r.host);
  });
  for (const host of doorDisorder) report.losses.push(`${host}: its alerts entered the inbox out of the order they were sent`);
  if (cluster.processes.worker && !cluster.processes.worker.running) {
    report.losses.push('the worker process died during the outage (started again for the next drills)');
    await cluster.processes.worker.start();
  }
  report.found.push(
    `inbox ${drained ? `drained ${drainSeconds.toFixed(1)} s after Temporal was back` : 'not drained'}; ${incidents.length} incidents' workflows recorded ${n(tallies.reduce((s, t) => s + t.merged, 0))} of ${n(stored.n)} stored alerts`,
    `order per host kept at the door and in the workflows: ${incidents.length - outOfOrder.length} of ${incidents.length} incidents' batches in inbox order, ${hosts - doorDisorder.size} of ${hosts} hosts' alerts in the order sent`,
  );
  return report;
};
