// Slack approval click to decision: a signed Slack button click reaching the API → the gate's
// `decide` Update verdict known, against the engine `npm start` runs, its Slack pointed at a
// fake Slack Web API on loopback. Goal: p99 < 250 ms. Not part of `npm test`.
//
//   npm run bench:slack [-- --clicks 60 --pace 1000 --concurrency 1 --warmup 5]
//
// Clicks are paced (`--pace` ms between one clicker's clicks) the way people click: each
// approval sets a playbook going (isolate, verify, notify, the next request), and on 2 cores
// back-to-back clicks measure that backlog rather than the click. `--pace 0 --concurrency 4`
// shows the engine saturated.
//   DATABASE_URL=postgres://... npm run bench:slack   (an external Postgres instead of PGlite)
//
// Each click needs an incident of its own (host-compromise on a host nobody enrolled: its
// `isolate-host` gate needs one approver). They are all opened, and their requests posted to
// Slack, before any click is timed; then alice clicks Approve on each.
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { SlackActionId } from '../lib/slack/actions';
import { FakeSlack, type SlackCall } from '../test/support/fake-slack';
import { blockActionsBody, postToSlackEndpoint, SLACK_TEST_BOT_TOKEN, SLACK_TEST_SIGNING_SECRET } from '../test/support/slack-requests';
import { benchToken, startBenchEngine, type BenchEngine } from './support/engine';

const { values } = parseArgs({
  options: {
    clicks: { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '1' },
    pace: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '5' },
  },
});
const CLICKS = Number(values.clicks);
const CONCURRENCY = Number(values.concurrency);
const WARMUP = Number(values.warmup);
const PACE_MS = Number(values.pace);
const GOAL_P99_MS = 250;
/** Incidents opened at once while preparing (not timed). */
const OPEN_CONCURRENCY = 8;
const GATE = 'isolate-host';
/** The users test/support/slack.ts's SLACK_USERS gives the fake Slack (that file needs vitest, so not imported): alice by her people.yaml id, bob by email. */
const USERS = [
  { id: 'U0ALICE01', name: 'alice', email: 'alice@example.com' },
  { id: 'U0BOB0001', name: 'bob', email: 'bob@example.com' },
];
const CLICKER = USERS[0];
/** The incidents are bob's requests: four-eyes lets alice decide them. */
const REQUESTED_BY = 'bob';

interface Posted {
  channel: string;
  ts: string;
  approve: { action_id: string; value: string };
}

interface Sample {
  incidentId: string;
  status: number;
  ackMs: number;
  /** Click sent → the message updated to show the decision (FakeSlack's arrival time); undefined if it never was. */
  clientMs: number | undefined;
}

/** Reads FakeSlack's calls as they arrive: gate requests by incident, decided messages by ts, ephemeral answers to the clicker. */
class SlackWatch {
  readonly gates = new Map<string, Posted>();
  readonly decided = new Map<string, SlackCall>();
  readonly ephemerals: string[] = [];
  private read = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly slack: FakeSlack) {
    this.timer = setInterval(() => this.scan(), 5);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private scan(): void {
    const calls = this.slack.calls;
    for (; this.read < calls.length; this.read++) {
      const c = calls[this.read];
      if (c.fault || !c.response?.ok) continue;
      if (c.method === 'chat.postMessage') {
        const meta = c.args.metadata?.event_payload as { incidentId?: string; gateId?: string; template?: string } | undefined;
        if (meta?.incidentId && meta.gateId === GATE && meta.template === 'approval') {
          const actions = (c.args.blocks as any[] | undefined)?.find((b) => b.type === 'actions');
          const approve = (actions?.elements ?? []).find((e: any) => String(e.action_id).startsWith(SlackActionId.Approve));
          if (approve) this.gates.set(meta.incidentId, { channel: c.response.channel, ts: c.response.ts, approve });
        }
      } else if (c.method === 'chat.update' && !this.decided.has(String(c.args.ts)) && JSON.stringify(c.args.blocks).includes(`Approved by ${CLICKER.name}`)) {
        this.decided.set(String(c.args.ts), c);
      } else if (c.method === 'chat.postEphemeral' && c.args.user === CLICKER.id) {
        this.ephemerals.push(String(c.args.text));
      }
    }
  }

  async until<T>(what: string | (() => string), get: () => T | undefined, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = get();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

async function openIncidents(engine: BenchEngine, count: number, runId: string): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const token = await benchToken(engine, REQUESTED_BY, 'responder');
  const opener = async () => {
    while (next < count) {
      const i = next++;
      const res = await fetch(`${engine.apiUrl}/playbooks/host-compromise/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ params: { host: `bench-${runId}-${i}` } }),
      });
      const body = (await res.json()) as { incidentId?: string };
      if (res.status !== 202 || !body.incidentId) throw new Error(`POST /playbooks/host-compromise/runs answered ${res.status}: ${JSON.stringify(body)}`);
      ids.push(body.incidentId);
    }
  };
  await Promise.all(Array.from({ length: OPEN_CONCURRENCY }, opener));
  return ids;
}

async function clickApprove(engine: BenchEngine, watch: SlackWatch, incidentId: string): Promise<Sample> {
  const posted = watch.gates.get(incidentId)!;
  const body = blockActionsBody({ user: CLICKER.id, actionId: posted.approve.action_id, value: posted.approve.value, channel: posted.channel, messageTs: posted.ts });
  const sentAt = Date.now();
  const t0 = performance.now();
  const res = await postToSlackEndpoint(engine.apiUrl, body);
  const ackMs = performance.now() - t0;
  const update = await watch.until(`the decision of ${incidentId} in Slack`, () => watch.decided.get(posted.ts), 30_000).catch(() => undefined);
  return { incidentId, status: res.status, ackMs, clientMs: update ? update.at - sentAt : undefined };
}

async function clickAll(engine: BenchEngine, watch: SlackWatch, incidents: string[], concurrency: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  let next = 0;
  const clicker = async () => {
    while (next < incidents.length) {
      samples.push(await clickApprove(engine, watch, incidents[next++]));
      if (PACE_MS > 0) await new Promise((r) => setTimeout(r, PACE_MS));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, clicker));
  return samples;
}

/** Nearest-rank percentile of ms figures, rounded to 0.1 ms. */
function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]);
}

const round = (ms: number) => Math.round(ms * 10) / 10;

interface ServerFigures {
  /** The Summary's quantiles for outcome="counted", in ms (its window holds the warm-up clicks too). */
  p50: number;
  p90: number;
  p99: number;
  /** Observations by outcome since the engine started. */
  count: Record<string, number>;
  sumSeconds: Record<string, number>;
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

async function main(): Promise<void> {
  const slack = await new FakeSlack({ users: USERS }).start();
  const watch = new SlackWatch(slack);
  console.log('Starting the engine (npm start on embedded defaults unless DATABASE_URL is set), Slack at a fake Web API on loopback...');
  const engine = await startBenchEngine({ SLACK_SIGNING_SECRET: SLACK_TEST_SIGNING_SECRET, SLACK_BOT_TOKEN: SLACK_TEST_BOT_TOKEN, SLACK_API_URL: slack.url });
  const runId = randomUUID().slice(0, 8);
  try {
    const total = WARMUP + CLICKS;
    const t0 = performance.now();
    const incidents = await openIncidents(engine, total, runId);
    await watch.until(
      () => `the ${GATE} requests of ${total} incidents in Slack (${incidents.filter((id) => watch.gates.has(id)).length} posted)`,
      () => (incidents.every((id) => watch.gates.has(id)) ? true : undefined),
      Math.max(120_000, total * 2_000), // about 1.5 incidents/s on 2 cores
    );
    const openSeconds = (performance.now() - t0) / 1000;
    console.log(`Opened ${total} incidents and their ${GATE} requests reached Slack in ${openSeconds.toFixed(1)} s.`);
    await new Promise((r) => setTimeout(r, 1_000)); // the runs' timeline writes after posting settle

    const warm = await clickAll(engine, watch, incidents.slice(0, WARMUP), 1);
    const before = await serverFigures(engine);
    const clickStart = performance.now();
    const samples = await clickAll(engine, watch, incidents.slice(WARMUP), CONCURRENCY);
    const clickSeconds = (performance.now() - clickStart) / 1000;
    const server = await serverFigures(engine);

    const ok = samples.filter((s) => s.status === 200);
    const updated = samples.filter((s) => s.clientMs !== undefined);
    const acks = ok.map((s) => s.ackMs);
    const client = updated.map((s) => s.clientMs!);
    const measuredCount = (server.count.counted ?? 0) - (before.count.counted ?? 0);
    const measuredMeanMs = measuredCount > 0 ? round((((server.sumSeconds.counted ?? 0) - (before.sumSeconds.counted ?? 0)) / measuredCount) * 1000) : Number.NaN;
    const met = server.p99 < GOAL_P99_MS;

    console.log(
      `\nSlack approval click → decision, ${samples.length} clicks at concurrency ${CONCURRENCY}, ${PACE_MS} ms apart, after ${warm.length} warm-up, ${clickSeconds.toFixed(1)} s (${process.env.DATABASE_URL ? 'external Postgres' : 'embedded PGlite'}):`,
    );
    console.table([
      { figure: 'server: click → Update verdict', clicks: `${server.count.counted ?? 0} (${warm.length} warm-up)`, 'p50 ms': server.p50, 'p99 ms': server.p99, goal: `p99 < ${GOAL_P99_MS} ms`, result: met ? 'met' : 'missed' },
      { figure: 'client: click → Slack message updated', clicks: client.length, 'p50 ms': percentile(client, 0.5), 'p99 ms': percentile(client, 0.99), goal: '', result: '' },
      { figure: 'client: HTTP ack', clicks: acks.length, 'p50 ms': percentile(acks, 0.5), 'p99 ms': percentile(acks, 0.99), goal: '', result: '' },
    ]);
    console.log(
      `Server figures: prom-client Summary palisade_slack_click_decision_seconds{outcome="counted"} (p90 ${server.p90} ms; its window includes the warm-up clicks); mean of the timed clicks alone ${measuredMeanMs} ms over ${measuredCount}.`,
    );
    const rejected = server.count.rejected ?? 0;
    const errors = server.count.error ?? 0;
    const problems = [
      samples.length - ok.length > 0 ? `${samples.length - ok.length} click(s) not answered 200` : '',
      samples.length - updated.length > 0 ? `${samples.length - updated.length} message(s) never showed the decision within 30 s` : '',
      rejected + errors > 0 ? `${rejected} rejected and ${errors} failed click(s) on the server` : '',
      watch.ephemerals.length > 0 ? `${watch.ephemerals.length} ephemeral answer(s) to ${CLICKER.name}, e.g. "${watch.ephemerals[0]}"` : '',
    ].filter(Boolean);
    if (problems.length > 0) console.log(`Problems: ${problems.join('; ')}.`);

    const out = path.join(__dirname, 'results', `slack-click-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(
      out,
      JSON.stringify(
        {
          at: new Date().toISOString(),
          clicks: samples.length,
          warmup: warm.length,
          concurrency: CONCURRENCY,
          paceMs: PACE_MS,
          postgres: process.env.DATABASE_URL ? 'external' : 'pglite',
          goal: { p99Ms: GOAL_P99_MS, on: 'server', met },
          prepare: { incidents: total, seconds: round(openSeconds) },
          clickSeconds: round(clickSeconds),
          server: { ...server, measured: { count: measuredCount, meanMs: measuredMeanMs } },
          client: { count: client.length, p50: percentile(client, 0.5), p99: percentile(client, 0.99), max: percentile(client, 1) },
          ack: { count: acks.length, p50: percentile(acks, 0.5), p99: percentile(acks, 0.99), max: percentile(acks, 1) },
          problems,
          samples: samples.map((s) => ({ ...s, ackMs: round(s.ackMs) })),
        },
        null,
        2,
      ),
    );
    console.log(`Written to ${path.relative(process.cwd(), out)}`);
  } finally {
    watch.stop();
    await engine.stop();
    await slack.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
