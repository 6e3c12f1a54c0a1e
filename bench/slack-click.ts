// Slack approval click to decision: a signed Slack button click reaching the API → the gate's
// `decide` Update verdict known, against the engine `npm start` runs, its Slack pointed at a
// fake Slack Web API on loopback. Goal: p99 < 250 ms. Not part of `npm test`. The measurement
// itself is bench/figures/slack-click.ts (npm run bench runs it too).
//
//   npm run bench:slack [-- --clicks 60 --pace 1000 --concurrency 1 --warmup 5]
//
// Clicks are paced (`--pace` ms between one clicker's clicks) the way people click: each
// approval sets a playbook going (isolate, verify, notify, the next request), and on 2 cores
// back-to-back clicks measure that backlog rather than the click. `--pace 0 --concurrency 4`
// shows the engine saturated.
//   DATABASE_URL=postgres://... npm run bench:slack   (an external Postgres instead of PGlite)
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { FakeSlack } from '../test/support/fake-slack';
import { SLACK_TEST_BOT_TOKEN, SLACK_TEST_SIGNING_SECRET } from '../test/support/slack-requests';
import { measureSlackClicks, SLACK_GOAL_P99_MS } from './figures/slack-click';
import { startBenchEngine } from './support/engine';
import { writeResults } from './support/results';
import { SLACK_USERS, SlackWatch } from './support/slack-watch';

const { values } = parseArgs({
  options: {
    clicks: { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '1' },
    pace: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '5' },
  },
});
const OPTIONS = { clicks: Number(values.clicks), concurrency: Number(values.concurrency), paceMs: Number(values.pace), warmup: Number(values.warmup) };
const postgres = process.env.DATABASE_URL ? 'external' : 'pglite';

async function main(): Promise<void> {
  const slack = await new FakeSlack({ users: SLACK_USERS }).start();
  const watch = new SlackWatch(slack);
  console.log('Starting the engine (npm start on embedded defaults unless DATABASE_URL is set), Slack at a fake Web API on loopback...');
  const engine = await startBenchEngine({ SLACK_SIGNING_SECRET: SLACK_TEST_SIGNING_SECRET, SLACK_BOT_TOKEN: SLACK_TEST_BOT_TOKEN, SLACK_API_URL: slack.url }).catch(async (err: unknown) => {
    watch.stop();
    await slack.close();
    throw err;
  });
  try {
    const r = await measureSlackClicks(engine, watch, { ...OPTIONS, hostPrefix: `bench-${randomUUID().slice(0, 8)}` });
    const { clicks, warmup, clickSeconds } = r.details;
    console.log(
      `\nSlack approval click → decision, ${clicks} clicks at concurrency ${OPTIONS.concurrency}, ${OPTIONS.paceMs} ms apart, after ${warmup} warm-up, ${clickSeconds.toFixed(1)} s (${postgres === 'external' ? 'external Postgres' : 'embedded PGlite'}):`,
    );
    console.table(r.figures.map((f) => ({ figure: f.figure, 'p50 ms': f.p50, 'p99 ms': f.p99, goal: f.goal, result: f.met === undefined ? '' : f.met ? 'met' : 'missed' })));
    console.log(
      `Server figures: prom-client Summary palisade_slack_click_decision_seconds{outcome="counted"} (p90 ${r.server.p90} ms; its window includes the warm-up clicks); mean of the timed clicks alone ${r.measuredMeanMs} ms over ${r.measuredCount}.`,
    );
    if (r.problems.length > 0) console.log(`Problems: ${r.problems.join('; ')}.`);
    const out = writeResults('slack-click', { at: new Date().toISOString(), postgres, goal: { p99Ms: SLACK_GOAL_P99_MS, on: 'server', met: r.figures[0].met }, ...r.details });
    console.log(`Written to ${out}`);
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
