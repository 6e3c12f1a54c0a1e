import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ControlledProcess } from '../../bench/support/cluster';
import { appProcess, readFrom, SLACK_USERS, waitFor } from '../../bench/support/cluster';
import { harnessFaults, slackDeliveries } from '../../bench/support/gameday-faults';
import { ApiClient } from '../../apps/cli/commands/api-client';
import { freePort } from '../../apps/cli/start/ports';
import { loadCliSettings } from '../../lib/config/cli';
import { webhookSecretVariable } from '../../lib/config/env';
import { SOURCES } from '../../lib/intake/alert';
import { runGameday, type GamedayEvent } from '../../lib/gamedays/runner';
import { loadScenario } from '../../lib/gamedays/scenario';
import { FakeSlack } from '../support/fake-slack';
import { slackEnv } from '../support/slack';
import { postJson, startTestEngine, testSecret, TEST_ADMIN_TOKEN, TEST_REDACTION_KEY, type TestEngine } from '../support/engine';

// A game day with infrastructure faults, driven from a harness that owns them: the worker and
// the API the game day talks to are processes of their own (SIGKILLed and started again), Slack
// a fake the harness takes down; real Temporal and Postgres. The scorecard judges each fault.
// (The in-process engine is the database's owner and answers the refusal test.)
describe('game days with infrastructure faults', () => {
  let engine: TestEngine;
  let slack: FakeSlack;
  let worker: ControlledProcess;
  let api: ControlledProcess;
  let apiUrl: string;
  let logs: string;
  const crashes: string[] = [];

  beforeAll(async () => {
    slack = await new FakeSlack({ users: SLACK_USERS }).start();
    engine = await startTestEngine({ withWorker: false, env: { ...slackEnv(slack), PALISADE_GAMEDAYS_DIR: 'test/fixtures/gamedays' } });
    logs = mkdtempSync(path.join(os.tmpdir(), 'palisade-gd-faults-'));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...slackEnv(slack),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      DATABASE_URL: engine.databaseUrl,
      PALISADE_TASK_QUEUE: engine.taskQueue,
      PALISADE_DEPLOYMENT_NAME: engine.taskQueue,
      PALISADE_REDACTION_KEY: TEST_REDACTION_KEY,
      PALISADE_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      PALISADE_DB_POOL_SIZE: '2',
    };
    worker = appProcess('worker', 'worker', env, logs, (line) => crashes.push(line), (p, from) => waitFor(p, 'the worker to poll', async () => readFrom(p.opts.logFile, from).includes('worker polling')));
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    const apiEnv = {
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      PALISADE_BOOTSTRAP_TOKEN: TEST_ADMIN_TOKEN,
      PALISADE_SLA_CHECK_MS: '0',
      ...Object.fromEntries(SOURCES.map((s) => [webhookSecretVariable(s), testSecret(s)])),
    };
    api = appProcess('api', 'api', apiEnv, logs, (line) => crashes.push(line), (p) =>
      waitFor(p, `GET ${apiUrl}/healthz`, async () => (await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined))?.ok ?? false),
    );
    await Promise.all([worker.start(), api.start()]);
  }, 180_000);
  afterAll(async () => {
    await Promise.all([worker?.stop(5_000), api?.stop(5_000)]);
    await engine?.close();
    await slack?.close();
    if (logs) rmSync(logs, { recursive: true, force: true });
  });

  const client = (token: string) => new ApiClient({ api: apiUrl, token }, loadCliSettings({}));

  it('takes Slack down, kills the worker, then the API mid-incident; the scorecard judges what the engine and the approvers did about each', async () => {
    const faults = harnessFaults({ where: 'the test harness', worker, api, slack });
    const events: GamedayEvent[] = [];
    const scorecard = await runGameday(loadScenario('test/fixtures/gamedays/faults.yaml'), {
      api: client(TEST_ADMIN_TOKEN),
      as: client,
      secretFor: testSecret,
      onEvent: (e) => events.push(e),
      pollMs: 250,
      faults,
      ledger: faults,
    });
    const shown = JSON.stringify({ checks: scorecard.checks, infrastructure: scorecard.infrastructure, events: events.map((e) => `${e.atMs} ${e.message}`) }, null, 1);
    expect(crashes).toEqual([]);
    expect(scorecard.infrastructure.map((w) => [w.fault, w.endedAt !== null, w.error])).toEqual([
      ['slack-down', true, null],
      ['worker-killed', true, null],
      ['api-killed', true, null],
    ]);
    // Alerts go out around the faults' edges (the first with Slack's outage, the findings across
    // the worker's restart): their line is there for a fault when one was sent during it.
    const judged = scorecard.checks.filter((c) => c.check !== 'alerts reached their incidents' || c.fault === 'api-killed');
    expect(judged.map((c) => [c.fault, c.check, c.passed]), shown).toEqual([
      ['slack-down', 'vendor back', true],
      ['slack-down', 'incidents closed', true],
      ['slack-down', 'gates decidable', true],
      ['slack-down', 'Slack messages delivered once', true],
      ['worker-killed', 'process back', true],
      ['worker-killed', 'incidents closed', true],
      ['worker-killed', 'gates decidable', true],
      ['api-killed', 'process back', true],
      ['api-killed', 'incidents closed', true],
      ['api-killed', 'gates decidable', true],
      ['api-killed', 'alerts reached their incidents', true],
    ]);
    expect(scorecard.checks.every((c) => c.passed), shown).toBe(true);
    expect(scorecard).toMatchObject({ gameday: 'faults', allClosed: true, passed: true });
    const [incident] = scorecard.incidents;
    expect(incident).toMatchObject({ playbook: 'host-compromise', status: 'resolved' });

    // The isolation request was asked for while Slack was down, and reached it once, after it came back.
    const slackBack = Date.parse(scorecard.infrastructure[0].endedAt!);
    const isolation = slackDeliveries(slack).filter((d) => d.incidentId === incident.id && d.key === 'approval:isolate-host');
    expect(isolation).toHaveLength(1);
    expect(isolation[0].at).toBeGreaterThanOrEqual(slackBack);
    const gate = incident.approvals.find((a) => a.gateId === 'isolate-host')!;
    expect(Date.parse(gate.requestedAt)).toBeLessThan(slackBack);
    expect(scorecard.checks.find((c) => c.check === 'Slack messages delivered once')?.value).toMatch(/^[12] of 2 approval requests due since the outage began \(1 asked during it\) and 1 of 1 incident posts reached Slack .*; 0 lost, 0 doubled$/);
    // The incident's post to #sec-incidents (runbooks/paging.yaml), queued while Slack was down, delivered once by the paging outbox.
    expect(incident.notices).toEqual([expect.objectContaining({ kind: 'chat', target: '#sec-incidents', sentAt: expect.any(String) })]);
    expect(slackDeliveries(slack).filter((d) => d.incidentId === incident.id && d.key === 'palisade_incident')).toHaveLength(1);
    // Slack refused calls while it was down: the engine did try it then.
    expect(slack.calls.some((c) => c.fault === '5xx' && c.method === 'chat.postMessage')).toBe(true);
    // The worker was killed while the incident was open: the kill is in the window, the incident closed after it.
    const killed = scorecard.infrastructure[1];
    expect(Date.parse(incident.times.closedAt!)).toBeGreaterThan(Date.parse(killed.endedAt!));
    expect(worker.running).toBe(true);
    // Findings sent while the API was down were resent until answered, and all five are the incident's.
    const apiLine = scorecard.checks.find((c) => c.fault === 'api-killed' && c.check === 'alerts reached their incidents')!;
    expect(apiLine.value).toMatch(/^(\d+) of \1 alerts sent during the fault answered 202 \(\d+ after a retry\); each counted by its incident \(1\)$/);
    expect(events.some((e) => e.kind === 'alert.retrying')).toBe(true);
    expect(incident.alertCount).toBe(5);
    expect(api.running).toBe(true);
  }, 240_000);

  it('refuses, before anything is sent, a fault this environment cannot produce, saying where it can run', async () => {
    const faults = harnessFaults({ where: 'the test harness', worker, api, slack });
    const run = runGameday(loadScenario('runbooks/gamedays/temporal-history-down.yaml'), { api: client(TEST_ADMIN_TOKEN), as: client, secretFor: testSecret, faults });
    await expect(run).rejects.toMatchObject({ code: 'gameday_fault_unsupported', message: expect.stringContaining('temporal-history-down'), hint: expect.stringContaining('--cluster') });
    // POST /gamedays: the API cannot kill its own worker or take Slack down.
    const res = await postJson(`${engine.baseUrl}/gamedays`, { scenario: 'faults' });
    expect(res).toMatchObject({ status: 409, body: { error: 'gameday_fault_unsupported', message: expect.stringContaining('slack-down, worker-killed, api-killed'), hint: expect.stringContaining('npm run gameday') } });
    expect(await engine.db.query(`SELECT id FROM gamedays`)).toEqual([]);
  });
});
