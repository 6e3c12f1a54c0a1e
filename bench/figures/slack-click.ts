import { performance } from 'node:perf_hooks';
import { blockActionsBody, postToSlackEndpoint } from '../../test/support/slack-requests';
import type { BenchEngine } from '../support/engine';
import { openHostIncidents } from '../support/incidents';
import { CLICKER, GATE, type SlackWatch } from '../support/slack-watch';
import { round, sleep, spread, until } from '../support/stats';
import type { Figure } from './figure';

// Slack approval click to decision: a signed Slack button click reaching the API → the gate's
// `decide` Update verdict known. Each click needs an incident of its own (host-compromise on a
// host nobody enrolled: its `isolate-host` gate needs one approver). They are all opened, and
// their requests posted to Slack, before any click is timed; then alice clicks Approve on each.

export const SLACK_GOAL_P99_MS = 250;

export interface SlackClickOptions {
  clicks: number;
  warmup: number;
  /** ms between one clicker's clicks. */
  paceMs: number;
  concurrency: number;
  hostPrefix: string;
}

interface Sample {
  incidentId: string;
  status: number;
  ackMs: number;
  /** Click sent → the message updated to show the decision (FakeSlack's arrival time); undefined if it never was. */
  clientMs: number | undefined;
}

interface ServerFigures {
  /** The Summary's quantiles for outcome="counted", in ms (its window holds the warm-up clicks too). */
  p50: number;
  p90: number;
  p99: number;
  /** Observations by outcome since the engine started. */
  count: Record<string, number>;
  sumSeconds: Record<string, number>;
}

async function clickApprove(engine: BenchEngine, watch: SlackWatch, incidentId: string): Promise<Sample> {
  const posted = watch.gates.get(incidentId)!;
  const body = blockActionsBody({ user: CLICKER.id, actionId: posted.approve.action_id, value: posted.approve.value, channel: posted.channel, messageTs: posted.ts });
  const sentAt = Date.now();
  const t0 = performance.now();
  const res = await postToSlackEndpoint(engine.apiUrl, body);
  const ackMs = performance.now() - t0;
  const update = await until(`the decision of ${incidentId} in Slack`, () => watch.decided.get(posted.ts), 30_000).catch(() => undefined);
  return { incidentId, status: res.status, ackMs, clientMs: update ? update.at - sentAt : undefined };
}

async function clickAll(engine: BenchEngine, watch: SlackWatch, incidents: string[], concurrency: number, paceMs: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  let next = 0;
  const clicker = async () => {
    while (next < incidents.length) {
      samples.push(await clickApprove(engine, watch, incidents[next++]));
      if (paceMs > 0) await sleep(paceMs);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, clicker));
  return samples;
}

/** palisade_slack_click_decision_seconds from GET /metrics. */
async function serverFigures(engine: BenchEngine): Promise<ServerFigures> {
  const res = await fetch(`${engine.apiUrl}/metrics`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${text.slice(0, 200)}`);
  const figures: ServerFigures = { p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, count: {}, sumSeconds: {} };
  const line = /^palisade_slack_click_decision_seconds(_sum|_count)?\{([^}]*)\}\s+(\S+)$/;
  for (const raw of text.split('\n')) {
    const m = line.exec(raw.trim());
    if (!m) continue;
    const labels = Object.fromEntries([...m[2].matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    const value = Number(m[3]);
    if (m[1] === '_count') figures.count[labels.outcome] = value;
    else if (m[1] === '_sum') figures.sumSeconds[labels.outcome] = value;
    else if (labels.outcome === 'counted') {
      const ms = round(value * 1000);
      if (labels.quantile === '0.5') figures.p50 = ms;
      if (labels.quantile === '0.9') figures.p90 = ms;
      if (labels.quantile === '0.99') figures.p99 = ms;
    }
  }
  return figures;
}

/** Opens the incidents, waits for their requests in Slack, clicks Approve on each; the figures and everything the JSON keeps. */
export async function measureSlackClicks(engine: BenchEngine, watch: SlackWatch, opts: SlackClickOptions, log: (m: string) => void = console.log) {
  const total = opts.warmup + opts.clicks;
  const t0 = performance.now();
  const incidents = await openHostIncidents(engine, total, opts.hostPrefix);
  await watch.allPosted(incidents, Math.max(120_000, total * 2_000)); // about 1.5 incidents/s on 2 cores
  const openSeconds = (performance.now() - t0) / 1000;
  log(`Opened ${total} incidents and their ${GATE} requests reached Slack in ${openSeconds.toFixed(1)} s.`);
  await sleep(1_000); // the runs' timeline writes after posting settle

  const warm = await clickAll(engine, watch, incidents.slice(0, opts.warmup), 1, opts.paceMs);
  const before = await serverFigures(engine);
  const clickStart = performance.now();
  const samples = await clickAll(engine, watch, incidents.slice(opts.warmup), opts.concurrency, opts.paceMs);
  const clickSeconds = (performance.now() - clickStart) / 1000;
  const server = await serverFigures(engine);

  const ok = samples.filter((s) => s.status === 200);
  const client = spread(samples.flatMap((s) => (s.clientMs === undefined ? [] : [s.clientMs])));
  const ack = spread(ok.map((s) => s.ackMs));
  const measuredCount = (server.count.counted ?? 0) - (before.count.counted ?? 0);
  const measuredMeanMs = measuredCount > 0 ? round((((server.sumSeconds.counted ?? 0) - (before.sumSeconds.counted ?? 0)) / measuredCount) * 1000) : Number.NaN;
  const rejected = server.count.rejected ?? 0;
  const errors = server.count.error ?? 0;
  const problems = [
    samples.length - ok.length > 0 ? `${samples.length - ok.length} click(s) not answered 200` : '',
    samples.length - client.count > 0 ? `${samples.length - client.count} message(s) never showed the decision within 30 s` : '',
    rejected + errors > 0 ? `${rejected} rejected and ${errors} failed click(s) on the server` : '',
    watch.ephemerals.length > 0 ? `${watch.ephemerals.length} ephemeral answer(s) to ${CLICKER.name}, e.g. "${watch.ephemerals[0]}"` : '',
  ].filter(Boolean);

  const figures: Figure[] = [
    { figure: 'Slack click → Update verdict (server)', p50: server.p50, p99: server.p99, goal: `p99 < ${SLACK_GOAL_P99_MS} ms`, met: server.p99 < SLACK_GOAL_P99_MS },
    { figure: 'Slack click → message shows the decision (client)', p50: client.p50, p99: client.p99, goal: '' },
    { figure: 'Slack click → HTTP ack (client)', p50: ack.p50, p99: ack.p99, goal: "Slack's limit 3 s", met: ack.p99 < 3_000 },
  ];
  const details = {
    clicks: samples.length,
    warmup: warm.length,
    concurrency: opts.concurrency,
    paceMs: opts.paceMs,
    prepare: { incidents: total, seconds: round(openSeconds) },
    clickSeconds: round(clickSeconds),
    server: { ...server, measured: { count: measuredCount, meanMs: measuredMeanMs } },
    client,
    ack,
    problems,
    samples: samples.map((s) => ({ ...s, ackMs: round(s.ackMs) })),
  };
  return { figures, details, server, measuredCount, measuredMeanMs, problems };
}
