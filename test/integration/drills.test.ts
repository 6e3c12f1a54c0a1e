import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiKilled } from '../../bench/drills/api-killed';
import { deployDrill } from '../../bench/drills/deploy';
import type { DrillOptions, DrillReport } from '../../bench/drills/drill';
import { postgresDown } from '../../bench/drills/postgres-down';
import { temporalDown } from '../../bench/drills/temporal-down';
import { workerKilled } from '../../bench/drills/worker-killed';
import { startDrillCluster, type RunningCluster } from '../../bench/support/cluster';

// The short versions of the process-fault drills `npm run drills` runs at full size: one engine
// of their own (Temporal dev server, PGlite, worker, API as separate processes), each drill
// breaking one of them. A drill's losses are the promises it saw broken.
describe('process-fault drills (short)', () => {
  let cluster: RunningCluster;
  const say = (line: string) => console.log(`[drills] ${line}`);
  const at = (scale: number): DrillOptions => ({ scale, say });

  beforeAll(async () => {
    cluster = await startDrillCluster({ say, temporalCliPath: inject('temporalCliPath') });
  }, 360_000); // four processes from TypeScript source: a minute when quiet, several under load
  afterAll(async () => {
    await cluster?.stop();
  });

  /** Every line of the report in one string, for readable failures. */
  const shown = (r: DrillReport) => [...r.did, ...r.found, ...r.losses.map((l) => `LOSS ${l}`)].join('\n');

  it('worker killed: every run finishes, complete timelines, no provider action twice', async () => {
    const report = await workerKilled(cluster, at(0.1)); // 2 runs, 2 kills
    expect(report.losses, shown(report)).toEqual([]);
    expect(report.found[0]).toMatch(/^2 of 2 runs resolved; 2 of 2 timelines complete/);
    expect(report.found[1]).toMatch(/^2 of 2 runs applied each changing provider action/);
    expect(cluster.processes.worker?.running).toBe(true);
  }, 480_000); // a kill that catches a step mid-call waits for its missed heartbeats (20 s) and the retry

  it('API killed mid-storm: every alert answered 202 is stored and reaches its incident', async () => {
    const report = await apiKilled(cluster, at(0.05)); // 250 alerts, 5 hosts
    expect(report.losses, shown(report)).toEqual([]);
    expect(report.did[1]).toMatch(/^SIGKILLed the API mid-storm, after \d+ alerts/);
    const [, answered] = /^(\d+) of 250 alerts answered 202/.exec(report.found[0]) ?? [];
    expect(Number(answered)).toBeGreaterThan(0);
    expect(report.found[1]).toContain(`${answered} of ${answered} answered alerts in Postgres, none stored twice; ${answered} dispatched`);
  }, 300_000);

  it('Temporal down: answers stay 202, the inbox drains in order when it is back', async () => {
    const report = await temporalDown(cluster, at(0.05)); // down 5 s, 4 hosts
    expect(report.losses, shown(report)).toEqual([]);
    const [, ok, sent] = /^(\d+) of (\d+) alerts answered 202/.exec(report.found[0]) ?? [];
    expect(Number(sent)).toBeGreaterThan(10);
    expect(ok).toBe(sent);
    expect(report.found[2]).toMatch(/^inbox drained/);
    expect(report.found[3]).toContain('4 of 4 hosts');
  }, 300_000);

  it('Postgres down: 503 with Retry-After, never 202, and the engine recovers by itself', async () => {
    const report = await postgresDown(cluster, at(0.1)); // down 5 s
    expect(report.losses, shown(report)).toEqual([]);
    const [, proper, answers] = /^(\d+) of (\d+) answers while Postgres was down were 503 with Retry-After/.exec(report.found[0]) ?? [];
    expect(Number(answers)).toBeGreaterThan(0);
    expect(proper).toBe(answers);
    expect(report.found[1]).toMatch(/re-sent requests answered 202 \(\d+ merged, 0 duplicate\); \/readyz 200/);
    expect(cluster.processes.api?.running).toBe(true);
  }, 300_000);

  it('deploy: ramp, promote and roll back a playbook change under open incidents; an incompatible one is refused, and forced, flagged stuck and cleared; versions whose workers stopped are refused', async () => {
    const report = await deployDrill(cluster, at(0.1)); // 5 waiting, 16 during a 50% ramp, 2 after, 2 broken
    expect(report.losses, shown(report)).toEqual([]);
    const [, onV2, ramped] = /^during the 50% ramp (\d+) of (\d+) new runs started on version 2/.exec(report.found[0]) ?? [];
    expect(Number(ramped)).toBe(16);
    expect(Number(onV2)).toBeGreaterThan(0);
    expect(Number(onV2)).toBeLessThan(16);
    expect(report.found).toContain('23 of 23 runs ended on the version their behaviour (AUTO_UPGRADE) says: version 2 for those it was current for at their last task, version 1 after the rollback');
    expect(report.found.join('\n')).toMatch(/the promotion of version 3 was refused \(409 replay_diverged\)/);
    expect(report.found.join('\n')).toMatch(/forced through, all 2 broken runs were flagged stuck within \d+ s/);
    expect(report.found.join('\n')).toMatch(/after the rollback all 2 cleared by themselves and resolved/);
    expect(report.found.join('\n')).toMatch(/its promotion was refused \(409 version_has_no_pollers: "No worker of version \S+ polls task queue/);
  }, 900_000);
});
