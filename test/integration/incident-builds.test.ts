import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, getJson, postJson, startTestEngine, tokenFor, type TestEngine } from '../support/engine';
import { otherBundle, startOtherBuild, type OtherBuild } from '../support/versions';

// Each incident records the build (worker version, derived from the workflow code) its run
// started on and the one running it now; a promoted build takes over open runs (AUTO_UPGRADE).
describe('the build an incident runs on', () => {
  let engine: TestEngine;
  let v2: OtherBuild | undefined;
  beforeAll(async () => {
    engine = await startTestEngine();
  });
  afterAll(async () => {
    await v2?.close();
    await engine?.close();
  });

  it('GET /incidents/:id shows the build a run started on and the one it runs on after a promotion', async () => {
    const v1 = engine.worker!.options.workerDeploymentOptions!.version.buildId;
    const carol = await tokenFor(engine.baseUrl, 'carol', 'responder');
    const made = await postJson(`${engine.baseUrl}/incidents`, { title: 'Badge cloned at the east door', severity: 'medium' }, carol);
    expect(made.status).toBe(202);
    const id = made.body.incidentId as string;
    const started = await eventually('the run to report its build', async () => {
      const res = await getJson(`${engine.baseUrl}/incidents/${id}`);
      return res.body.runningBuild ? res.body : undefined;
    }, 30_000);
    expect(started).toMatchObject({ startedBuild: v1, runningBuild: v1 });

    // A new build of other code starts beside it and is promoted: the open run moves to it.
    v2 = await startOtherBuild(engine, await otherBundle());
    expect(v2.buildId).not.toBe(v1);
    await v2.promote();
    const note = await postJson(`${engine.baseUrl}/incidents/${id}/resolve`, { classification: 'true_positive', reason: 'the badge was revoked and reissued' }, carol);
    expect(note.status).toBe(202);
    const moved = await eventually('the run to report the new build', async () => {
      const res = await getJson(`${engine.baseUrl}/incidents/${id}`);
      return res.body.runningBuild === v2!.buildId ? res.body : undefined;
    }, 30_000);
    expect(moved).toMatchObject({ startedBuild: v1, runningBuild: v2.buildId });
    await eventually('the incident to close', async () => ((await getJson(`${engine.baseUrl}/incidents/${id}`)).body.status === 'resolved' ? true : undefined), 30_000);
  });
});
