import { HttpException } from '@nestjs/common';
import { Client } from '@temporalio/client';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DeploysService } from '../../apps/api/deploys/deploys.service';
import { freePort } from '../../apps/cli/start/ports';
import { startTemporalDevServer, type DevServer } from '../../apps/cli/start/temporal-dev-server';
import { runMigrations } from '../../lib/db/data-source';
import { changeRouting, RoutingRefused } from '../../lib/temporal/deployment-routing';
import { createDatabase } from '../setup/postgres';
import { palisadeCli } from '../support/cli';
import { eventually, getJson, postJson, startTestEngine, TEST_ADMIN_TOKEN, tokenFor, type TestEngine } from '../support/engine';
import { brokenBundle, otherBundle, startOtherBuild, type OtherBuild } from '../support/versions';

/** How long this file's Temporal holds an idle poll (its matching.longPollExpirationInterval; a minute by default). */
const IDLE_POLL = '3s';
/** The engine's live-poll window: well past an idle poll here, as the production 75 s is past a minute. */
const LIVE_POLL_WINDOW_MS = 12_000;

// A deploy you can watch and undo (issue 19, item 3): GET /deploys shows the versions, where new
// runs go and who runs what; ramp, promote and rollback change it (admins only, on the audit
// trail); a promotion replays the open incidents on the new code first and refuses a change
// they would be stuck on, naming the incident and the first command that diverges.
describe('deploys', () => {
  let engine: TestEngine;
  let server: DevServer;
  let v1: string;
  const builds: OtherBuild[] = [];
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'palisade-deploys-'));
  beforeAll(async () => {
    // A Temporal of its own, whose idle polls last IDLE_POLL instead of a minute, so that the
    // engine's live-poll window (PALISADE_LIVE_POLL_WINDOW_MS) can be short and a stopped
    // worker stops counting seconds after it stopped instead of the production 75 s.
    server = await startTemporalDevServer({
      env: process.env,
      cliPath: inject('temporalCliPath'),
      port: await freePort(),
      ui: 'headless',
      fastSqlite: true,
      logFile: path.join(scratch, 'temporal.log'),
      dynamicConfig: { 'matching.longPollExpirationInterval': IDLE_POLL },
    });
    engine = await startTestEngine({ temporalAddress: server.address, env: { PALISADE_LIVE_POLL_WINDOW_MS: String(LIVE_POLL_WINDOW_MS) } });
    v1 = engine.worker!.options.workerDeploymentOptions!.version.buildId;
  }, 60_000);
  afterAll(async () => {
    for (const b of builds) await b.close();
    await engine?.close();
    await server?.process.stop(5_000);
    rmSync(scratch, { recursive: true, force: true });
  });

  /** `palisade <args>` as an admin pointed at the engine (a child process, as a user runs it). */
  const palisade = (args: string[]) => palisadeCli(args, { apiUrl: engine.baseUrl, token: TEST_ADMIN_TOKEN, env: { TEMPORAL_ADDRESS: server.address } });
  const deploys = (route = '') => `${engine.baseUrl}/deploys${route}`;
  const statusOf = async () => {
    const res = await getJson(deploys());
    expect(res.status).toBe(200);
    return res.body;
  };
  const version = (status: { versions: { version: string; pollers: number }[] }, id: string) => status.versions.find((v) => v.version === id);

  const openIncident = async (title: string) => {
    const carol = await tokenFor(engine.baseUrl, 'carol', 'responder');
    const made = await postJson(`${engine.baseUrl}/incidents`, { title, severity: 'medium' }, carol);
    expect(made.status).toBe(202);
    const incidentId = made.body.incidentId as string;
    await eventually('the run to report its build', async () => ((await getJson(`${engine.baseUrl}/incidents/${incidentId}`)).body.runningBuild ? true : undefined), 30_000);
    return incidentId;
  };
  const resolve = async (incidentId: string) => {
    const carol = await tokenFor(engine.baseUrl, 'carol', 'responder');
    expect((await postJson(`${engine.baseUrl}/incidents/${incidentId}/resolve`, { classification: 'true_positive', reason: 'badge reissued' }, carol)).status).toBe(202);
    await eventually('the incident to close', async () => ((await getJson(`${engine.baseUrl}/incidents/${incidentId}`)).body.status === 'resolved' ? true : undefined), 60_000);
  };

  it('shows the versions with their pollers and incidents, ramps a new one (admins only), promotes it and rolls it back, each on the audit trail', async () => {
    const carol = await tokenFor(engine.baseUrl, 'carol', 'responder');
    const viewer = await tokenFor(engine.baseUrl, 'watcher', 'viewer');
    const incidentId = await openIncident('Badge cloned at the west door');

    // Anyone may watch: the current version, its pollers, the incident it runs.
    const first = await getJson(deploys(), viewer);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ deployment: engine.config.temporal.deploymentName, current: v1, ramping: null, rollbackTo: null });
    expect(version(first.body, v1)).toMatchObject({ runningIncidents: 1, codeRegistered: true });
    expect(version(first.body, v1)!.pollers).toBeGreaterThan(0);
    expect((await postJson(deploys('/rollback'), {})).body.error).toBe('nothing_to_roll_back');

    // A compatible change ramps beside v1 (admins only), then is promoted.
    const v2 = await startOtherBuild(engine, await otherBundle());
    builds.push(v2);
    await eventually('the new version to appear', async () => (version(await statusOf(), v2.buildId)?.pollers ? true : undefined), 30_000);
    const notAdmin = await postJson(deploys('/ramp'), { version: v2.buildId, percent: 10 }, carol);
    expect(notAdmin.status).toBe(403);
    const badPercent = await postJson(deploys('/ramp'), { version: v2.buildId, percent: 101 });
    expect(badPercent.status).toBe(400);
    const unknown = await postJson(deploys('/ramp'), { version: 'b0000000000000000', percent: 10 });
    expect(unknown).toMatchObject({ status: 404, body: { error: 'version_not_found' } });
    // Ramped as soon as it polls, though Temporal may first say its other task queues are missing (retried).
    const ramped = await postJson(deploys('/ramp'), { version: v2.buildId, percent: 10, reason: 'canary' });
    expect(ramped.status, JSON.stringify(ramped.body)).toBe(201);
    expect(ramped.body.status).toMatchObject({ current: v1, ramping: { version: v2.buildId, percent: 10 } });
    expect((await getJson(deploys(), carol)).body.ramping).toEqual({ version: v2.buildId, percent: 10 });

    // Two admins promote at once: one promotes, the other finds it done (one change recorded, from v1).
    const both = await Promise.all([1, 2].map(() => postJson(deploys('/promote'), { version: v2.buildId, reason: 'the canary is clean' })));
    expect(both.map((b) => b.status)).toEqual([201, 201]);
    const promoted = both.find((b) => b.body.replayCheck) ?? both[0];
    expect(both.filter((b) => b.body.replayCheck)).toHaveLength(1);
    expect(promoted.body).toMatchObject({ action: 'promote', version: v2.buildId, previous: v1, replayCheck: { forced: false, divergences: [] } });
    expect(promoted.body.replayCheck.replayed).toBeGreaterThanOrEqual(1);
    expect(promoted.body.status).toMatchObject({ current: v2.buildId, ramping: null, rollbackTo: v1 });

    // Rolled back: v1 is current again, and every change is on the audit trail.
    const rolled = await postJson(deploys('/rollback'), { reason: 'drill' });
    expect(rolled.status, JSON.stringify(rolled.body)).toBe(201);
    expect(rolled.body).toMatchObject({ action: 'rollback', version: v1, previous: v2.buildId });
    expect(rolled.body.status.current).toBe(v1);
    const audit = await engine.db.query<{ action: string; target: string; actor: string }[]>(`SELECT action, target, actor FROM audit_log WHERE action LIKE 'deploy.%' ORDER BY id`);
    expect(audit.map((a) => a.action)).toEqual(['deploy.ramp', 'deploy.promote', 'deploy.rollback']);
    expect(audit[1].target).toContain(v2.buildId);
    const changes = await engine.db.query<{ action: string; previous_current: string }[]>(`SELECT action, previous_current FROM deploy_changes ORDER BY id`);
    expect(changes).toEqual([{ action: 'ramp', previous_current: v1 }, { action: 'promote', previous_current: v1 }, { action: 'rollback', previous_current: v2.buildId }]);

    // The open incident still moves, on v1.
    await resolve(incidentId);
  }, 240_000);

  it('refuses to promote a change an open incident does not replay on, naming the incident and the first diverging command; a compatible one promotes', async () => {
    const incidentId = await openIncident('Badge cloned at the loading dock');

    // An incompatible change (manual-incident changed without patched()): its promotion is refused.
    const broken = await startOtherBuild(engine, await brokenBundle());
    builds.push(broken);
    // Listed once its worker registers it; promotable once Temporal shows that worker polling.
    await eventually('the broken version to appear, polled', async () => (version(await statusOf(), broken.buildId)?.pollers ? true : undefined), 30_000);
    const refused = await postJson(deploys('/promote'), { version: broken.buildId, reason: 'manual-incident sleeps first' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('replay_diverged');
    expect(refused.body.message).toContain(`incident ${incidentId}`);
    expect(refused.body.message).toMatch(/Nondeterminism/);
    // The first command that diverges: the history's next marker, where the new code starts a timer.
    expect(refused.body.message).toMatch(/patch marker encountered for change [\w-]+, but there is no corresponding change command/);
    expect(refused.body.hint).toContain('patched()');
    expect((await statusOf()).current).toBe(v1);

    // The same refusal through `palisade deploy promote`: exit 2, the incident and the divergence on stderr.
    const cli = await palisade(['deploy', 'promote', broken.buildId]);
    expect(cli.status, cli.stderr).toBe(2);
    expect(cli.stderr).toContain(`incident ${incidentId}`);
    expect(cli.stderr).toContain('no corresponding change command');
    const shown = await palisade(['deploy', 'status']);
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`current ${v1}`);
    expect(shown.stdout).toMatch(new RegExp(`^${broken.buildId}\\s+\\w+\\s+1\\s+0\\s+registered`, 'm'));

    // `palisade replay check --live` from this checkout (the running code): the open incident replays.
    const live = await palisade(['replay', 'check', '--live', '--json']);
    expect(live.status, live.stderr).toBe(0);
    expect(JSON.parse(live.stdout)).toMatchObject({ ok: true, replayed: expect.arrayContaining([expect.objectContaining({ incidentId, ok: true })]) });

    // The compatible build of the first test promotes with the same incident open.
    const compatible = builds[0];
    const promoted = await postJson(deploys('/promote'), { version: compatible.buildId });
    expect(promoted.status).toBe(201);
    expect(promoted.body.replayCheck).toMatchObject({ forced: false, divergences: [] });
    expect(promoted.body.replayCheck.replayed).toBeGreaterThanOrEqual(1);
    await resolve(incidentId);
    expect((await postJson(deploys('/rollback'), {})).body.status.current).toBe(v1);
  }, 240_000);

  // The contract drill, holding an admin token, promoted versions whose workers the deploy drill
  // had stopped: every new incident then waited for a worker that was not there. A version whose
  // workers have stopped polling is refused, naming its last poll; allowNoPollers goes ahead.
  it('refuses to ramp, promote or roll back to a version no worker polls, naming its last poll; allowNoPollers goes ahead', async () => {
    const gone = builds[0];
    await gone.close();
    // Temporal keeps a stopped worker's poller for five minutes; it stops counting once its last
    // poll is older than a poll lasts (GET /deploys: pollers 0, lastPollAt kept): here
    // LIVE_POLL_WINDOW_MS after it stopped.
    // Asked every moment: a 503 while Temporal is slow (the full suite's load) is asked again.
    const stale = await eventually('the stopped version to have no live pollers', async () => {
      const res = await getJson(deploys());
      const v = res.status === 200 ? (res.body.versions as { version: string; pollers: number; lastPollAt: string | null }[]).find((x) => x.version === gone.buildId) : undefined;
      return v && v.pollers === 0 ? v : undefined;
    }, LIVE_POLL_WINDOW_MS + 60_000);
    expect(stale.lastPollAt).toEqual(expect.any(String));
    const changesBefore = await engine.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM deploy_changes`);

    const ramp = await postJson(deploys('/ramp'), { version: gone.buildId, percent: 10 });
    expect(ramp.status).toBe(409);
    expect(ramp.body.error).toBe('version_has_no_pollers');
    expect(ramp.body.message).toContain(`its last poll was at ${stale.lastPollAt}`);
    expect(ramp.body.hint).toContain('allowNoPollers');
    expect(await postJson(deploys('/promote'), { version: gone.buildId, force: true })).toMatchObject({ status: 409, body: { error: 'version_has_no_pollers' } });
    const cli = await palisade(['deploy', 'ramp', gone.buildId, '10']);
    expect(cli.status, cli.stderr).toBe(2);
    expect(cli.stderr).toContain(`No worker of version ${gone.buildId} polls`);
    // A ramp of 0% sends nothing there, so it needs no poller.
    expect((await postJson(deploys('/ramp'), { version: gone.buildId, percent: 0 })).status).toBe(201);
    const changesRefused = await engine.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM deploy_changes`);
    expect(changesRefused[0].n).toBe(changesBefore[0].n + 1);

    // Told that its worker is there (one at capacity stops polling), the API goes ahead; the live v1 takes the rollback.
    const allowed = await palisade(['deploy', 'ramp', gone.buildId, '10', '--allow-no-pollers', '--json']);
    expect(allowed.status, allowed.stderr).toBe(0);
    expect(JSON.parse(allowed.stdout).status.ramping).toEqual({ version: gone.buildId, percent: 10 });
    const rolled = await postJson(deploys('/rollback'), { reason: 'no worker there' });
    expect(rolled.status).toBe(201);
    expect(rolled.body.status).toMatchObject({ current: v1, ramping: null });
  }, 240_000);

  // Temporal refuses some routing changes for good (a version missing the current one's task
  // queues, one already current); asking again for a minute got the same answer and the caller a
  // 503 "not applied within a minute". It is a refusal, said at once.
  it("a change Temporal refuses for good fails at once with Temporal's reason", async () => {
    const temporal = engine.app.get(Client);
    const refusal = await changeRouting(temporal.workflowService, temporal.options.namespace, engine.config.temporal.deploymentName!, { current: v1, ramping: { buildId: v1, percent: 10 } }, 'deploys-test', 60_000).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refusal).toBeInstanceOf(RoutingRefused);
    // Before, the same minute of retries ended in RoutingNotApplied ("did not change within 60 s").
    expect((refusal as Error).message).toMatch(/already current/);
  }, 90_000);
});

describe('deploys with Temporal unreachable', () => {
  let offline: TestEngine;
  let db: Awaited<ReturnType<typeof createDatabase>>;
  beforeAll(async () => {
    // A database of its own: this engine's inbox dispatcher must not lease other tests' alerts.
    db = await createDatabase(inject('postgresAdminUrl'), `palisade_deploys_offline_${Date.now()}`);
    await runMigrations(db.url);
    offline = await startTestEngine({ withWorker: false, databaseUrl: db.url, temporalAddress: `127.0.0.1:${await freePort()}` });
  });
  afterAll(async () => {
    await offline?.close();
    await db?.drop();
  });

  // Temporal going away between the decision (GET answered) and the change: the routing call says
  // 503 temporal_unavailable as the routes promise, at once, not a plain error after a minute.
  it('a routing change answers 503 temporal_unavailable and records nothing', async () => {
    const deploys = offline.app.get(DeploysService);
    const failure = await deploys.change('rollback', { current: 'b-one', ramping: null }, { actor: 'admin', version: 'b-one', previous: 'b-two' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(HttpException);
    expect({ status: (failure as HttpException).getStatus(), body: (failure as HttpException).getResponse() }).toMatchObject({ status: 503, body: { error: 'temporal_unavailable' } });
    const kept = await offline.db.query<{ n: string }[]>(`SELECT count(*) AS n FROM deploy_changes`);
    expect(Number(kept[0].n)).toBe(0);
  }, 50_000);
});
