// Drill on the real cluster (`npm run drills -- --cluster`): a storm of host-compromise alerts
// over many hosts, sent to both APIs, while one API, one worker and Temporal's history service
// are SIGKILLed and started again. Then every incident's gates are approved through both APIs.
// Promise: every 202 stored once; every incident's workflow records exactly the alerts stored
// for it, in inbox order; every gate still decidable; no provider action applied twice.
// Requests cut by a kill get no answer: the sender re-sends them (same delivery id, a fresh
// signature) to the other API, as a load balancer would; only 202-answered alerts count.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiCall, checkStoredOnce, inboxDrained, inLanes, killAndRestart, n, sendGeneric, tallyIncidents, tallyLoss, until } from '../support/drill-kit';
import { SLACK_USERS } from '../support/cluster';
import type { RealCluster } from '../support/real-cluster';
import { scaled, type DrillOptions, type DrillReport } from './drill';
import { approveGates, checkRuns, type RunResult } from '../support/host-compromise-runs';

const SENDERS = 50;
const RESEND_FOR_MS = 180_000;
/** The faults, each when that share of the storm has been answered 202. */
const FAULTS = [
  { at: 0.25, part: 'api-1' },
  { at: 0.5, part: 'worker-1' },
  { at: 0.75, part: 'temporal-history' },
] as const;

export async function clusterFaults(cluster: RealCluster, opts: DrillOptions): Promise<DrillReport> {
  const report: DrillReport = { drill: 'cluster-faults', did: [], found: [], losses: [] };
  const total = scaled(5_000, opts, 40);
  const hosts = scaled(100, opts, 4);
  const runId = `cl-${randomUUID().slice(0, 8)}`;
  const accepted = new Map<string, { alertId: string; incidentId: string; host: string }>();
  const perApi = cluster.apiUrls.map(() => 0);
  const noAnswer = new Map<string, number>();
  const refused: string[] = [];
  const faults: { part: string; acceptedBefore: number; downMs: Promise<number> }[] = [];

  const fault = (part: string) => {
    const p = cluster.parts[part];
    const acceptedBefore = accepted.size;
    const downMs = killAndRestart(p, () => opts.say(`  ${part} SIGKILLed after ${n(acceptedBefore)} alerts answered 202; starting it again`));
    downMs.catch(() => undefined); // awaited below; a failed restart is reported there
    faults.push({ part, acceptedBefore, downMs });
  };

  const alerts = Array.from({ length: total }, (_, i) => i);
  opts.say(`  sending ${n(total)} host-compromise alerts for ${hosts} hosts over ${SENDERS} connections to ${cluster.apiUrls.length} APIs...`);
  const t0 = Date.now();
  await inLanes(alerts, SENDERS, async (i) => {
    const host = `drill-${runId}-${i % hosts}`;
    const delivery = `${runId}-${i}`;
    const payload = {
      id: delivery,
      title: `Drill: suspicious process on ${host} (${i})`,
      severity: 'high',
      category: 'host-compromise',
      entity: { kind: 'host', key: host },
      labels: { drill: runId, seq: String(i) },
    };
    let api = i % cluster.apiUrls.length;
    const deadline = Date.now() + RESEND_FOR_MS;
    while (Date.now() < deadline) {
      const res = await sendGeneric({ ...cluster, apiUrl: cluster.apiUrls[api] }, payload, delivery);
      if (res.status === 202) {
        accepted.set(delivery, { alertId: res.body.alertIds[0], incidentId: res.body.incidentId, host });
        perApi[api]++;
        break;
      }
      if (res.status >= 400 && res.status < 500) {
        refused.push(`${delivery}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        break;
      }
      const why = res.status === 0 ? (res.error ?? 'no answer') : String(res.status);
      noAnswer.set(why, (noAnswer.get(why) ?? 0) + 1);
      api = (api + 1) % cluster.apiUrls.length; // the other replica, as a load balancer would
      await sleep(1_000); // a new second: the re-sent request is signed anew, not a replay
    }
    for (const f of FAULTS) if (!faults.some((x) => x.part === f.part) && accepted.size >= total * f.at) fault(f.part);
  });
  const sendSeconds = (Date.now() - t0) / 1000;
  const downs = await Promise.allSettled(faults.map((f) => f.downMs));
  report.did.push(
    `sent ${n(total)} generic host-compromise alerts for ${hosts} hosts over ${SENDERS} senders, alternating between ${cluster.apiUrls.length} APIs (${perApi.map((c, k) => `API ${k + 1}: ${n(c)}`).join(', ')} answered 202) in ${sendSeconds.toFixed(1)} s`,
    ...faults.map((f, k) => {
      const d = downs[k];
      return d.status === 'fulfilled'
        ? `SIGKILLed ${f.part} after ${n(f.acceptedBefore)} alerts were answered 202; it was serving again ${(d.value / 1000).toFixed(1)} s later`
        : `SIGKILLed ${f.part} after ${n(f.acceptedBefore)} alerts; starting it again failed: ${(d.reason as Error).message}`;
    }),
  );
  for (const f of FAULTS) if (!faults.some((x) => x.part === f.part)) report.losses.push(`${f.part} was never killed (the storm ended first): the drill proved less than it says`);
  downs.forEach((d, k) => d.status === 'rejected' && report.losses.push(`${faults[k].part} did not start again: ${(d.reason as Error).message}`));
  for (const r of refused.slice(0, 10)) report.losses.push(`answered ${r}`);
  report.found.push(
    `${n(accepted.size)} of ${n(total)} alerts answered 202; ${n([...noAnswer.values()].reduce((a, b) => a + b, 0))} attempt(s) got no 202 and were re-sent to the other API (${[...noAnswer].map(([k, v]) => `${k} ×${v}`).join(', ') || 'none'})`,
  );

  // Every 202 is in Postgres, once.
  const ids = [...accepted.values()];
  const alertIds = ids.map((a) => a.alertId);
  const { stored, doubled } = await checkStoredOnce(cluster, runId, alertIds, report.losses);

  const incidents = [...new Set(ids.map((a) => a.incidentId))];
  const drained = await inboxDrained(cluster, alertIds, 300_000 + total * 20);
  if (!drained) report.losses.push('the inbox did not drain within the drill\'s wait');
  // Behind a storm the workflows record alerts after the inbox drains (a loaded machine: minutes).
  // How long that took is a finding; what they recorded is judged once every run has ended.
  const drainedAt = Date.now();
  const caughtUp = await until(async () => ((await tallyIncidents(cluster, incidents)).every((x) => x.merged >= x.stored) ? true : undefined), 900_000, 2_000);
  report.found.push(
    `${n(stored)} of ${n(alertIds.length)} answered alerts in Postgres, ${doubled === 0 ? 'none' : n(doubled)} stored twice; ${incidents.length} incidents (one per host expected: ${hosts})`,
    caughtUp
      ? `every incident's workflow had recorded its alerts ${((Date.now() - drainedAt) / 1000).toFixed(0)} s after the inbox drained (${sendSeconds.toFixed(0)} s of storm before that)`
      : 'after 15 minutes the workflows had not recorded every alert yet: counted again once the runs ended',
  );
  if (incidents.length !== hosts) report.losses.push(`${incidents.length} incidents for ${hosts} hosts: the storm for one host should merge into one incident`);

  // Every gate still decidable: approved through both APIs, each run goes to its end.
  // Two approvers, as a critical incident's gate needs; tokens made and claimed on one replica, honoured by the other.
  const approvers = [await claimedToken(cluster, 'alice'), await claimedToken(cluster, 'bob')];
  const byIncident = new Map(ids.map((a) => [a.incidentId, a.host]));
  const results: RunResult[] = [];
  opts.say(`  approving every gate of ${incidents.length} incidents through both APIs...`);
  await inLanes(incidents, 10, async (incidentId, k) => {
    const api = k % cluster.apiUrls.length;
    const resolved = await approveGates({ ...cluster, apiUrl: cluster.apiUrls[api] }, approvers, incidentId, 600_000);
    results.push({ host: byIncident.get(incidentId)!, incidentId, resolved });
  });
  report.did.push(`approved every gate of the ${incidents.length} incidents as alice and bob (the storm made them critical: two approvers each), half through each API`);
  await checkRuns(cluster, results, report, { killed: true });

  // Every incident's workflow recorded exactly the alerts stored for it, batch after batch in inbox order.
  const tallies = await tallyIncidents(cluster, incidents);
  const short = tallies.filter((t) => t.merged !== t.stored);
  for (const t of short.slice(0, 10)) report.losses.push(tallyLoss(t));
  const disordered = tallies.filter((t) => t.batches.some((id, k) => k > 0 && id <= t.batches[k - 1]));
  for (const t of disordered.slice(0, 10)) report.losses.push(`incident ${t.incidentId}: its alert batches reached the workflow out of inbox order (last inbox ids ${t.batches.join(', ')})`);
  report.found.push(
    `${incidents.length - short.length} of ${incidents.length} incidents' workflows recorded exactly the alerts stored for them (${n(tallies.reduce((sum, t) => sum + t.merged, 0))} in all); ${incidents.length - disordered.length} received their batches in inbox order`,
  );
  if (cluster.crashes.length > 0) report.losses.push(...cluster.crashes.map((c) => `a process died unasked: ${c.split('\n')[0]}`));
  return report;
}

/**
 * An approver's token that counts as that person: made by the admin, then claimed with the code
 * Palisade sent them in Slack (the fake's record of the DM), as README "Tokens and roles" says.
 * Two unclaimed tokens of one admin would count as one person and never make a quorum of two.
 */
async function claimedToken(cluster: RealCluster, name: string): Promise<string> {
  const made = await apiCall(cluster, 'POST', '/tokens', cluster.adminToken, { name, role: 'approver' });
  if (made.status !== 201) throw new Error(`POST /tokens for ${name} answered ${made.status}: ${JSON.stringify(made.body)}`);
  const user = SLACK_USERS.find((u) => u.name === name);
  if (!user) throw new Error(`${name} is not a Slack user of the drill's fake Slack`);
  const id = String(made.body.id);
  const dm = await cluster.slack.waitFor(`the claim code for ${name}`, (c) => c.method === 'chat.postMessage' && c.args.channel === `D${user.id}` && String(c.args.text).includes(id.slice(0, 8)));
  const code = /palc_[A-Za-z0-9_-]+/.exec(String(dm.args.text))?.[0];
  if (!code) throw new Error(`No claim code in the DM to ${name}: ${String(dm.args.text)}`);
  const claimed = await apiCall({ ...cluster, apiUrl: cluster.apiUrls[1] ?? cluster.apiUrl }, 'POST', '/tokens/claim', String(made.body.token), { code });
  if (claimed.status !== 200) throw new Error(`POST /tokens/claim for ${name} answered ${claimed.status}: ${JSON.stringify(claimed.body)}`);
  return String(claimed.body.token);
}
