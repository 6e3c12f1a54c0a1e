import { performance } from 'node:perf_hooks';
import { engineProcesses, rssMiB, WORKER_GOAL_MIB } from '../support/engine';
import { allWaiting, openHostIncidents } from '../support/incidents';
import { GATE } from '../support/slack-watch';
import { round, sleep } from '../support/stats';
import type { BenchContext, Section } from './figure';

// Many incidents open at once, each waiting on an approval gate (host-compromise on a host
// nobody enrolled, `isolate-host`, 15 minutes before it escalates): the worker's and the API's
// resident memory once every one of them waits. Goal: the worker within 300 MB on 2 cores.


function rss(ctx: BenchContext): { worker: number; api: number; pids: { worker?: number; api?: number } } {
  const pids = engineProcesses(ctx.engine);
  if (!pids.worker || !pids.api) throw new Error(`could not find the engine's worker and API processes in /proc (found ${JSON.stringify(pids)})`);
  return { worker: rssMiB(pids.worker), api: rssMiB(pids.api), pids };
}

export const openIncidentsSection: Section = {
  name: 'open-incidents',
  title: 'Incidents open at once, each at a gate',
  run: async (ctx) => {
    const count = ctx.quick ? 100 : 1_000;
    const before = rss(ctx);
    const t0 = performance.now();
    ctx.log(`Opening ${count} host-compromise incidents (worker ${before.worker} MiB, API ${before.api} MiB before)...`);
    const incidents = await openHostIncidents(ctx.engine, count, `bench-${ctx.runId}-open`);
    let shown = 0;
    const growth: { waiting: number; worker: number; api: number }[] = [];
    await allWaiting(ctx.db, incidents, Math.max(180_000, count * 1_500), (waiting) => {
      if (waiting < shown + count / 10) return;
      shown = waiting;
      const now = rss(ctx);
      growth.push({ waiting, worker: now.worker, api: now.api });
      ctx.log(`  ${waiting} of ${count} waiting at ${GATE} after ${((performance.now() - t0) / 1000).toFixed(0)} s: worker ${now.worker} MiB, API ${now.api} MiB`);
    });
    const openSeconds = round((performance.now() - t0) / 1000);
    await sleep(2_000); // the last runs' Slack posts and timeline writes settle
    const after = rss(ctx);
    ctx.log(`All ${count} wait at ${GATE} after ${openSeconds} s: worker ${after.worker} MiB, API ${after.api} MiB.`);
    return {
      figures: [
        { figure: `worker RSS, ${count.toLocaleString('en')} incidents at a gate`, value: after.worker, unit: ' MiB', goal: '≤ 300 MB', met: after.worker <= WORKER_GOAL_MIB },
        { figure: `API RSS, ${count.toLocaleString('en')} incidents at a gate`, value: after.api, unit: ' MiB', goal: '' },
      ],
      details: { incidents: count, openSeconds, rssMiB: { before: { worker: before.worker, api: before.api }, after: { worker: after.worker, api: after.api }, growth } },
    };
  },
};
