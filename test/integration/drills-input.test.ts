// The short versions of the input drills (bench/drills: bad input, forgery, secret hygiene)
// against one test engine with Slack connected to a fake Slack Web API. `npm run drills` runs
// them at full size against a cluster of real processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badInput } from '../../bench/drills/bad-input';
import type { DrillOptions, DrillReport } from '../../bench/drills/drill';
import { forgery } from '../../bench/drills/forgery';
import { secretHygiene } from '../../bench/drills/secret-hygiene';
import { startDrillTarget, type DrillTarget } from '../support/drill-target';
import { FakeSlack } from '../support/fake-slack';
import { SLACK_USERS } from '../support/people';
import { slackEnv } from '../support/slack';

/** The number `pattern` captures in the first line of the report's findings it matches. */
function numberIn(report: DrillReport, pattern: RegExp): number {
  const line = report.found.find((f) => pattern.test(f));
  expect(line, `a line matching ${pattern} in ${JSON.stringify(report.found)}`).toBeDefined();
  return Number(pattern.exec(line!)![1].replaceAll(',', ''));
}

describe('input drills (short)', () => {
  let slack: FakeSlack;
  let target: DrillTarget;
  const lines: string[] = [];
  const opts = (scale: number): DrillOptions => ({ scale, say: (line) => lines.push(line) });

  beforeAll(async () => {
    slack = await new FakeSlack({ users: Object.values(SLACK_USERS) }).start();
    target = await startDrillTarget(slackEnv(slack));
  });
  afterAll(async () => {
    await target?.close();
    await slack?.close();
  });

  it('bad input: 200 fuzzed requests per source, no 5xx, every 4xx typed, the API still healthy', async () => {
    const report = await badInput(target.cluster, opts(0.02));
    expect(report.losses).toEqual([]);
    expect(report.found).toContain('GET /healthz answered 200 afterwards');
    // Signed garbage got past the signature checks to the parsers, which refused it.
    expect(numberIn(report, /^([\d,]+) validly signed bodies reached a parser/)).toBeGreaterThan(0);
    expect(report.found.filter((f) => / 401 /.test(f)).length).toBeGreaterThan(0);
    // CPU exhaustion: every oversized signature header refused with its own code, /healthz answering throughout.
    expect(report.found.join('\n')).toMatch(/^CPU exhaustion: \d+ unsigned 1 MB generic webhooks .*: 401 malformed_signature ×\d+; refused in/m);
    expect(numberIn(report, /^CPU exhaustion: GET \/healthz meanwhile answered (\d+) times/)).toBeGreaterThan(0);
  }, 120_000);

  it('forgery: every forged webhook and Slack request answered 401; nothing created or decided', async () => {
    const report = await forgery(target.cluster, opts(0.04));
    expect(report.losses).toEqual([]);
    const refused = numberIn(report, /^([\d,]+) of [\d,]+ forged webhooks answered 401/);
    expect(refused).toBeGreaterThan(0);
    expect(numberIn(report, /^[\d,]+ of ([\d,]+) forged webhooks answered 401/)).toBe(refused);
    expect(numberIn(report, /^(\d+) of \d+ forged Slack requests answered 401/)).toBeGreaterThan(0);
    expect(report.found.join('\n')).toMatch(/the target gate has 0 votes or decisions and is open/);
  }, 120_000);

  it('secret hygiene: after a secret-leak game day and leaked tokens and keys, no raw secret in Temporal, Postgres or the logs', async () => {
    const report = await secretHygiene(target.cluster, opts(0.1));
    expect(report.losses).toEqual([]);
    expect(numberIn(report, /^Temporal: (\d+) histories/)).toBeGreaterThan(0);
    expect(numberIn(report, /^Postgres: (\d+) tables/)).toBeGreaterThan(5);
    expect(report.did.join('\n')).toMatch(/ran the secret-leak game day 1 time/);
    expect(report.did.join('\n')).toMatch(/sent 2 generic and Splunk alerts carrying every secret shape of issue 16 \(\d+ each\), and resolved their 2 incidents/);
  }, 180_000);
});
