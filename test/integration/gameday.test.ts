import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedIdentity } from '../../activities/providers/identity/simulated';
import { SimulatedFleet } from '../../activities/providers/simulated/fleet';
import { ApiClient } from '../../apps/cli/commands/api-client';
import { loadCliSettings } from '../../lib/config/cli';
import { runGameday, type GamedayEvent } from '../../lib/gamedays/runner';
import { loadScenario } from '../../lib/gamedays/scenario';
import type { Scorecard } from '../../lib/gamedays/scorecard';
import { eventually, getJson, postJson, startTestEngine, testSecret, tokenFor, TEST_ADMIN_TOKEN, type TestEngine } from '../support/engine';

const SCENARIO = 'test/fixtures/gamedays/short.yaml';

interface TimelineEvent {
  sequence: number;
  type: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

// One short game day through the engine's real doors (signed webhook, /fleet, approvals with
// tokens), its scorecard checked against the incident's own timeline; then the same through POST /gamedays.
describe('game days', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ env: { PALISADE_GAMEDAYS_DIR: 'test/fixtures/gamedays' } });
  });
  afterAll(async () => {
    await engine?.close();
  });

  const client = (token: string) => new ApiClient({ api: engine.baseUrl, token }, loadCliSettings({}));

  /** `palisade report <args>` as a user runs it against the engine, its JSON answer. */
  async function palisadeReport(args: string[]): Promise<any> {
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PALISADE_'))), PALISADE_API_URL: engine.baseUrl, PALISADE_TOKEN: TEST_ADMIN_TOKEN };
    const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/cli/main.ts', 'report', ...args], { cwd: path.resolve(__dirname, '../..'), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    expect(status, stderr).toBe(0);
    return JSON.parse(stdout);
  }

  it('runs a scenario and scores it with the numbers the timeline shows', async () => {
    const events: GamedayEvent[] = [];
    const scorecard: Scorecard = await runGameday(loadScenario(SCENARIO), {
      api: client(TEST_ADMIN_TOKEN),
      as: client,
      secretFor: testSecret,
      onEvent: (e) => events.push(e),
      pollMs: 200,
    });
    const kinds = events.map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['fleet.ready', 'fault.set', 'alert.sent', 'incident.opened', 'approval.given', 'incident.resolved', 'fault.cleared']));
    expect(scorecard).toMatchObject({ gameday: 'short', allClosed: true, passed: true, alerts: { sent: 1, started: 1, rejected: 0 } });
    expect(scorecard.slos.map((s) => [s.slo, s.passed])).toEqual([
      ['timeToContain', true],
      ['timeToResolve', true],
      ['maxFailedSteps', true],
    ]);
    expect(scorecard.incidents).toHaveLength(1);
    const [incident] = scorecard.incidents;
    expect(incident).toMatchObject({ playbook: 'host-compromise', entity: 'host:gd-short-1', environment: 'production', status: 'resolved', failedSteps: [] });

    const { body } = await getJson(`${engine.baseUrl}/incidents/${incident.id}/timeline?limit=500`);
    const timeline = body.events as TimelineEvent[];
    const at = (e: TimelineEvent | undefined) => Date.parse(e!.occurredAt);
    const started = Date.parse(incident.times.startedAt!);
    const contained = timeline.find((e) => e.type === 'incident.status-changed' && e.data.status === 'contained');
    const resolved = timeline.find((e) => e.type === 'incident.resolved');
    // The projection's times are written with the event: the same to within a few ms.
    expect(Math.abs(incident.toContainMs! - (at(contained) - started))).toBeLessThan(1000);
    expect(Math.abs(incident.toResolveMs! - (at(resolved) - started))).toBeLessThan(1000);
    expect(incident.toContainMs!).toBeLessThanOrEqual(incident.toResolveMs!);
    // The EDR failed twice: two retries, both on the timeline.
    expect(incident.retries).toBe(timeline.filter((e) => e.type === 'step.retrying').length);
    expect(incident.retries).toBeGreaterThanOrEqual(2);
    // Each gate: approved by bob, its wait from request to decision as the timeline has them.
    expect(incident.approvals.map((a) => [a.gateId, a.outcome, a.decidedBy])).toEqual([
      ['isolate-host', 'approved', ['bob']],
      ['replace-host', 'approved', ['bob']],
    ]);
    for (const a of incident.approvals) {
      const requested = timeline.find((e) => e.type === 'gate.requested' && e.data.gateId === a.gateId);
      const decided = timeline.find((e) => e.type === 'gate.decided' && e.data.gateId === a.gateId);
      expect(requested && decided, `${a.gateId} on the timeline`).toBeTruthy();
      expect(Math.abs(a.waitedMs! - (at(decided) - at(requested)))).toBeLessThan(50);
    }
    expect(incident.approvals[0].waitedMs!).toBeGreaterThanOrEqual(500);
    // palisade report over the game day's period agrees with its scorecard on MTTR (the same postmortem durations).
    const reported = await palisadeReport(['--since', scorecard.startedAt, '--until', new Date(Date.parse(scorecard.finishedAt) + 1000).toISOString(), '--by', 'playbook', '--json']);
    expect(reported.responseTimes.groups).toEqual([
      expect.objectContaining({ key: 'host-compromise', incidents: 1, mttr: { count: 1, meanMs: incident.toResolveMs, medianMs: incident.toResolveMs, p90Ms: incident.toResolveMs } }),
    ]);
    expect(reported.responseTimes.groups[0].mttc.meanMs).toBe(incident.toContainMs);
    expect(reported.responseTimes.groups[0].mttd.meanMs).toBe(incident.toDetectMs);
    // The faults were cleared, the host isolated and rebuilt.
    const fleet = new SimulatedFleet(engine.db);
    expect(await engine.db.query(`SELECT * FROM sim_faults`)).toEqual([]);
    expect((await fleet.host('gd-short-1'))?.replacedBy).toBeTruthy();
  }, 60_000);

  it('runs the shipped compromised-identity drill: its account enrolled, two approvers, the account disabled, every SLO met', async () => {
    const events: GamedayEvent[] = [];
    const scorecard = await runGameday(loadScenario('runbooks/gamedays/compromised-identity.yaml'), {
      api: client(TEST_ADMIN_TOKEN),
      as: client,
      secretFor: testSecret,
      onEvent: (e) => events.push(e),
      pollMs: 200,
    });
    expect(events.find((e) => e.kind === 'fleet.ready')?.message).toContain('1 accounts');
    expect(scorecard).toMatchObject({ gameday: 'compromised-identity', allClosed: true, passed: true });
    expect(scorecard.incidents).toMatchObject([{ playbook: 'compromised-identity', entity: 'account:gd-id-ops-admin', status: 'resolved', failedSteps: [] }]);
    expect(events.filter((e) => e.kind === 'approval.given')).toHaveLength(2);
    expect(await new SimulatedFleet(engine.db).account('gd-id-ops-admin')).toMatchObject({ status: 'disabled', sessions: 0 });
  }, 150_000);

  it('GET /fleet shows the simulated accounts as a takeover drill left them', async () => {
    const id = `gd-acct-${Date.now()}`;
    const fleet = new SimulatedFleet(engine.db);
    await fleet.addAccount({ id, owner: 'carol', privileged: true, sessions: 2, keys: [{ id: `${id}-key` }] });
    const identity = new SimulatedIdentity(fleet);
    const call = (step: string) => ({ idempotencyKey: `${id}:${step}`, incidentId: id });
    await identity.revokeSessions(call('revoke'), id, 'drill');
    await identity.deactivateKeys(call('keys'), id, 'drill');
    await identity.disable(call('disable'), id, 'drill');
    const viewer = await tokenFor(engine.baseUrl, 'vera', 'viewer');
    const { body } = await getJson(`${engine.baseUrl}/fleet`, viewer);
    expect(body.accounts.find((a: { id: string }) => a.id === id)).toMatchObject({
      owner: 'carol',
      privileged: true,
      status: 'disabled',
      sessions: 0,
      sessionsRevokedBefore: expect.any(String),
      keys: [{ id: `${id}-key`, status: 'inactive' }],
    });
  });

  it('POST /gamedays runs a stored scenario in the API; GET /gamedays/:id shows it to a viewer', async () => {
    const viewer = await tokenFor(engine.baseUrl, 'vera', 'viewer');
    expect((await postJson(`${engine.baseUrl}/gamedays`, { scenario: 'short' }, viewer)).status).toBe(403);
    expect((await postJson(`${engine.baseUrl}/gamedays`, { scenario: 'nope' })).status).toBe(404);
    const started = await postJson(`${engine.baseUrl}/gamedays`, { scenario: 'short' });
    expect(started).toMatchObject({ status: 202, body: { scenario: 'short', status: 'running' } });

    const done = await eventually(
      'the game day to finish',
      async () => {
        const res = await getJson(`${engine.baseUrl}/gamedays/${started.body.id}`, viewer);
        return res.body.status === 'running' ? undefined : res.body;
      },
      55_000,
    );
    expect(done).toMatchObject({ status: 'passed', scenario: 'short', requestedBy: expect.any(String), error: null });
    expect(done.scorecard.incidents).toHaveLength(1);
    expect(done.scorecard.slos.every((s: { passed: boolean }) => s.passed)).toBe(true);
    expect(done.events.map((e: GamedayEvent) => e.kind)).toContain('incident.resolved');
    expect((await getJson(`${engine.baseUrl}/gamedays/00000000-0000-0000-0000-000000000000`, viewer)).status).toBe(404);
  }, 60_000);
});

describe('game days against real vendors', () => {
  let engine: TestEngine;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-real-'));
    const file = path.join(dir, 'providers.yaml');
    const simulated = ['inventory', 'evidence', 'credentials', 'identity', 'configBaseline', 'patching', 'metrics', 'notify'].map((c) => `  ${c}: simulated`);
    writeFileSync(file, ['vendors:', ...simulated, '  hostIsolation: crowdstrike', 'settings:', '  crowdstrike: { clientId: x, clientSecretEnv: FALCON_SECRET }'].join('\n'));
    engine = await startTestEngine({ withWorker: false, env: { PALISADE_PROVIDERS_FILE: file, PALISADE_GAMEDAYS_DIR: 'test/fixtures/gamedays' } });
  });
  afterAll(async () => {
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const alertsStored = async () => Number((await engine.db.query(`SELECT count(*) AS n FROM alerts`))[0].n);

  it('refuse to set up the fleet when the engine does not use the simulated vendors', async () => {
    const res = await postJson(`${engine.baseUrl}/fleet/hosts`, { hosts: [{ id: 'real-1', environment: 'production', criticality: 'high', owner: 'o' }] });
    expect(res).toMatchObject({ status: 409, body: { error: 'fleet_not_simulated', message: expect.stringContaining('hostIsolation: crowdstrike') } });
  });

  it('POST /gamedays refuses a scenario without a fleet section too: nothing is sent, no run is stored', async () => {
    const res = await postJson(`${engine.baseUrl}/gamedays`, { scenario: 'no-fleet' });
    expect(res).toMatchObject({ status: 409, body: { error: 'fleet_not_simulated', message: expect.stringContaining('hostIsolation: crowdstrike'), hint: expect.any(String) } });
    expect(await engine.db.query(`SELECT id FROM gamedays`)).toEqual([]);
    expect(await alertsStored()).toBe(0);
  });

  it('refuses the game-day token exception, and audits nothing made', async () => {
    const res = await postJson(`${engine.baseUrl}/tokens`, { name: 'bob', role: 'approver', purpose: 'gameday' });
    expect(res).toMatchObject({ status: 409, body: { error: 'fleet_not_simulated' } });
    expect(await engine.db.query(`SELECT id FROM api_tokens WHERE purpose = 'gameday'`)).toEqual([]);
  });

  it('palisade gameday run (the runner) stops before its first alert', async () => {
    const client = new ApiClient({ api: engine.baseUrl, token: TEST_ADMIN_TOKEN }, loadCliSettings({}));
    const events: GamedayEvent[] = [];
    const run = runGameday(loadScenario('test/fixtures/gamedays/no-fleet.yaml'), { api: client, as: (token) => new ApiClient({ api: engine.baseUrl, token }, loadCliSettings({})), secretFor: testSecret, onEvent: (e) => events.push(e), pollMs: 200 });
    await expect(run).rejects.toMatchObject({ code: 'fleet_not_simulated' });
    expect(events.map((e) => e.kind)).not.toContain('alert.sent');
    expect(await alertsStored()).toBe(0);
  });
});
