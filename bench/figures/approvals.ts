import { performance } from 'node:perf_hooks';
import { benchToken } from '../support/engine';
import { allWaiting, openHostIncidents } from '../support/incidents';
import { CLICKER, GATE } from '../support/slack-watch';
import { sleep, spread } from '../support/stats';
import type { Figure, Section } from './figure';
import { measureSlackClicks, SLACK_GOAL_P99_MS } from './slack-click';

// The approval round trip (Update sent → verdict known), two ways:
// - through the API: alice's POST /incidents/:id/approvals/isolate-host answers once the
//   gate's `decide` Update has its verdict, so the response time is the round trip;
// - through a signed Slack click (figures/slack-click.ts), server side
//   (palisade_slack_click_decision_seconds) and client side.
// Paced one a second, the way people approve.

const PACE_MS = 1_000;

export const approvalsSection: Section = {
  name: 'approvals',
  title: 'Approval round trip',
  run: async (ctx) => {
    const decisions = ctx.quick ? 5 : 30;
    const warmup = ctx.quick ? 1 : 3;

    const incidents = await openHostIncidents(ctx.engine, warmup + decisions, `bench-${ctx.runId}-api`);
    await allWaiting(ctx.db, incidents, Math.max(120_000, incidents.length * 2_000));
    ctx.log(`${incidents.length} incidents wait at ${GATE}; ${CLICKER.name} approves them over the API, ${PACE_MS} ms apart (${warmup} warm-up)...`);
    await sleep(1_000);
    const token = await benchToken(ctx.engine, CLICKER.name, 'approver');
    const samples: { incidentId: string; status: number; ms: number; outcome?: string }[] = [];
    for (const incidentId of incidents) {
      const t0 = performance.now();
      const res = await fetch(`${ctx.engine.apiUrl}/incidents/${incidentId}/approvals/${GATE}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ decision: 'approve', reason: 'bench' }),
      });
      const body = (await res.json()) as { outcome?: string };
      samples.push({ incidentId, status: res.status, ms: performance.now() - t0, outcome: body.outcome });
      await sleep(PACE_MS);
    }
    const timed = samples.slice(warmup);
    const ok = timed.filter((s) => s.status === 200);
    const api = spread(ok.map((s) => s.ms));

    ctx.log(`Slack: ${CLICKER.name} clicks Approve, ${PACE_MS} ms apart...`);
    const slack = await measureSlackClicks(ctx.engine, ctx.watch, { clicks: decisions, warmup, paceMs: PACE_MS, concurrency: 1, hostPrefix: `bench-${ctx.runId}-slack` }, ctx.log);

    const figures: Figure[] = [
      { figure: 'API approve → verdict (response time)', p50: api.p50, p99: api.p99, goal: `p99 < ${SLACK_GOAL_P99_MS} ms`, met: ok.length === timed.length && api.p99 < SLACK_GOAL_P99_MS },
      ...slack.figures,
    ];
    const problems = [ok.length < timed.length ? `${timed.length - ok.length} API decision(s) not answered 200: ${JSON.stringify(timed.find((s) => s.status !== 200))}` : '', ...slack.problems].filter(Boolean);
    return { figures, details: { paceMs: PACE_MS, api: { decisions: timed.length, warmup, ...api, samples }, slack: slack.details, problems } };
  },
};
