import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, getJson, postJson, startTestEngine, tokenFor, type TestEngine } from '../support/engine';
import { otherBundle, startOtherBuild, type OtherBuild } from '../support/versions';

// The deploy drill, short (issue 19, item 5): incidents waiting for a responder on version 1;
// version 2 (other code, the same running logic) starts beside it and is ramped through the API,
// new incidents split between the two; it is promoted, then rolled back. Every incident is still
// there and closes, on the version its AUTO_UPGRADE behaviour says, with no step applied twice.
const WAITING = 4;
const DURING_RAMP = 16;
/** Half, so that 16 new incidents land on both versions but for a chance of 2 in 65,536. */
const RAMP_PERCENT = 50;

describe('deploy drill (short)', () => {
  let engine: TestEngine;
  let v2: OtherBuild | undefined;
  beforeAll(async () => {
    engine = await startTestEngine();
  });
  afterAll(async () => {
    await v2?.close();
    await engine?.close();
  });

  it('ramps, promotes and rolls back a new version under open incidents: new ones split, nothing lost, no step twice', async () => {
    const v1 = engine.worker!.options.workerDeploymentOptions!.version.buildId;
    const carol = await tokenFor(engine.baseUrl, 'carol', 'responder');
    const incident = async (id: string) => (await getJson(`${engine.baseUrl}/incidents/${id}`)).body;
    const open = async (title: string): Promise<string> => {
      const made = await postJson(`${engine.baseUrl}/incidents`, { title, severity: 'low' }, carol);
      expect(made.status).toBe(202);
      return made.body.incidentId as string;
    };
    const startedOn = (ids: string[]) =>
      eventually('each run to report the build it started on', async () => {
        const builds = await Promise.all(ids.map(async (id) => (await incident(id)).startedBuild as string | null));
        return builds.every(Boolean) ? (builds as string[]) : undefined;
      }, 60_000);

    const waiting = await Promise.all(Array.from({ length: WAITING }, (_, i) => open(`Drill: tailgating at door ${i}`)));
    expect(new Set(await startedOn(waiting))).toEqual(new Set([v1]));

    v2 = await startOtherBuild(engine, await otherBundle());
    await eventually('version 2 to poll', async () => ((await getJson(`${engine.baseUrl}/deploys`)).body.versions?.find((v: { version: string }) => v.version === v2!.buildId)?.pollers ? true : undefined), 30_000);
    const ramped = await postJson(`${engine.baseUrl}/deploys/ramp`, { version: v2.buildId, percent: RAMP_PERCENT, reason: 'drill' });
    expect(ramped.status).toBe(201);

    const duringRamp = await Promise.all(Array.from({ length: DURING_RAMP }, (_, i) => open(`Drill: badge anomaly ${i}`)));
    const split = await startedOn(duringRamp);
    expect(new Set(split)).toEqual(new Set([v1, v2.buildId]));

    const promoted = await postJson(`${engine.baseUrl}/deploys/promote`, { reason: 'drill' });
    expect(promoted.status).toBe(201);
    expect(promoted.body).toMatchObject({ version: v2.buildId, previous: v1, replayCheck: { divergences: [] } });
    const afterPromotion = await open('Drill: after the promotion');
    expect(await startedOn([afterPromotion])).toEqual([v2.buildId]);

    const rolled = await postJson(`${engine.baseUrl}/deploys/rollback`, { reason: 'drill' });
    expect(rolled.status).toBe(201);
    expect(rolled.body.status.current).toBe(v1);

    // Every incident closes: AUTO_UPGRADE runs take their next task on the current version, v1.
    const all = [...waiting, ...duringRamp, afterPromotion];
    for (const id of all) expect((await postJson(`${engine.baseUrl}/incidents/${id}/resolve`, { classification: 'test', reason: 'drill over' }, carol)).status).toBe(202);
    const closed = await eventually('every incident to close', async () => {
      const bodies = await Promise.all(all.map(incident));
      return bodies.every((b) => b.status === 'resolved') ? bodies : undefined;
    }, 120_000);
    expect(closed.map((b) => b.runningBuild)).toEqual(all.map(() => v1));

    // Nothing lost, nothing twice.
    const [{ n }] = await engine.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM incidents`);
    expect(n).toBe(all.length);
    for (const id of all) {
      const types = ((await getJson(`${engine.baseUrl}/incidents/${id}/timeline`)).body.events as { type: string }[]).map((e) => e.type);
      for (const once of ['incident.created', 'incident.resolved']) expect(types.filter((t) => t === once), `${id} ${once}`).toHaveLength(1);
    }
  }, 300_000);
});
