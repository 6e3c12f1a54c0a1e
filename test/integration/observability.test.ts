import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { nodeEntry } from '../../apps/cli/start/child-process';
import { freePort } from '../../apps/cli/start/ports';
import { eventually, startTestEngine, TEST_REDACTION_KEY, type TestEngine } from '../support/engine';
import { spawnCollecting, type Spawned } from '../support/processes';
import { prometheusBinary } from '../support/prometheus';
import { createDatabase } from '../setup/postgres';

const ROOT = path.resolve(__dirname, '../..');
const RULES = path.join(ROOT, 'deploy/prometheus/palisade-rules.yml');
const DASHBOARD = path.join(ROOT, 'deploy/grafana/palisade-dashboard.json');

/**
 * What operators watch (issue 21, items 5 and 6): the worker, as npm start and the cluster run
 * it, serves the Temporal SDK's metrics; the shipped alert rules pass promtool; and every
 * metric the rules and the Grafana dashboard name is one an API or a worker really exports.
 */
describe('metrics, alert rules and dashboard', () => {
  let worker: Spawned;
  let workerMetrics: string;
  let db: { url: string; drop: () => Promise<void> };
  let engine: TestEngine;

  beforeAll(async () => {
    db = await createDatabase(inject('postgresAdminUrl'), `palisade_obs_${randomUUID().replaceAll('-', '')}`, inject('templateDatabase'));
    const port = await freePort();
    workerMetrics = `http://127.0.0.1:${port}/metrics`;
    const entry = nodeEntry(path.join(ROOT, 'apps/worker/main.ts'));
    worker = spawnCollecting(entry.command, entry.args, {
      cwd: ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        DATABASE_URL: db.url,
        PALISADE_TASK_QUEUE: `test-${randomUUID()}`,
        PALISADE_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
        PALISADE_REDACTION_KEY: TEST_REDACTION_KEY,
        PALISADE_WORKER_METRICS_PORT: String(port),
      },
    });
    engine = await startTestEngine({ withWorker: false });
  }, 60_000);

  afterAll(async () => {
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await engine?.close();
    await db?.drop();
  });

  /** The worker's metrics once every pattern is in them (the SDK adds each series as its worker or poller first reports). */
  const scrapeWorker = (...patterns: RegExp[]) =>
    eventually(
      `the worker to serve its metrics${patterns.length > 0 ? ` with ${patterns.join(', ')}` : ''}`,
      async () => {
        const res = await fetch(workerMetrics).catch(() => undefined);
        const body = res?.ok ? await res.text() : undefined;
        return body?.includes('temporal_worker_task_slots_available') && patterns.every((p) => p.test(body)) ? body : undefined;
      },
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nworker output:\n${worker.output().slice(-2000)}`);
    });

  it("serves the SDK's worker metrics", async () => {
    const slots = /temporal_worker_task_slots_available\{[^}]*worker_type="WorkflowWorker"/;
    const pollers = /temporal_num_pollers\{[^}]*poller_type="workflow_task"/;
    const text = await scrapeWorker(slots, pollers);
    expect(text).toMatch(slots);
    expect(text).toMatch(pollers);
  });

  it('ships alert rules promtool accepts', async () => {
    const promtool = path.join(path.dirname(await prometheusBinary()), 'promtool');
    const { stdout } = await promisify(execFile)(promtool, ['check', 'rules', RULES]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('names in its rules and dashboard only metrics an API or a worker exports', async () => {
    const rules = parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { expr: string }[] }[] };
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const exprs = [...rules.groups.flatMap((g) => g.rules.map((r) => r.expr)), ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr))];
    const named = new Set(exprs.flatMap((e) => [...e.matchAll(/\b(?:palisade|temporal)_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, ''))));
    expect(named.size).toBeGreaterThan(10);

    const api = await (await fetch(`${engine.baseUrl}/metrics`)).text();
    const exported = new Set([...`${api}\n${await scrapeWorker()}`.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    expect([...named].filter((n) => !exported.has(n))).toEqual([]);
  });
});
