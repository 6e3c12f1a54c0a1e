import { NativeConnection } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { becomeCurrent } from '../../apps/worker/versioning';
import { createWorker } from '../../apps/worker/worker';
import { eventually, gateOpenOverApi } from '../support/engine';
import { startRun, timeline } from '../support/playbooks';
import { slackEngine, SLACK_USERS } from '../support/slack';
import { postToSlackEndpoint, slashCommandBody } from '../support/slack-requests';
import { queryFixturesBundle } from '../support/versions';

// `/palisade pending` read each open incident's gates one after another and took an incident
// whose playbook did not answer for one without gates: with its worker gone, a responder was told
// "Nothing waits on you" while a gate waited there, and each such read held the answer up to
// Temporal's 5 s deadline, past the 3 s in which Slack must have it (Bolt answered 404 first).
// Here one incident runs on a task queue whose only worker then stops (no worker mocked: Temporal
// itself gets no answer), beside one the engine's worker answers for; then one whose worker fails
// the state query (a build that ships a throwing query handler).
describe("/palisade pending and status when an incident's playbook does not answer", () => {
  const bed = slackEngine({
    env: () => ({ PALISADE_PEOPLE_FILE: 'test/fixtures/runbooks/people-slack.yaml', PALISADE_APPROVALS_FILE: 'test/fixtures/runbooks/approvals-slack.yaml' }),
  });
  const strays: { stop: () => Promise<void> }[] = [];
  // Hooks run as a stack: these workers stop before the engine does.
  afterAll(async () => {
    for (const stray of strays) await stray.stop();
  });

  /**
   * A worker of `bundle` on a task queue (and worker deployment) of its own, with the engine's
   * database and Slack: a run started on `queue` records its incident as the engine's do.
   */
  const strayWorker = async (name: string, workflowBundle: { codePath: string } | { code: string }) => {
    const queue = `${bed.engine.taskQueue}-${name}`;
    const config = { ...bed.engine.config, temporal: { ...bed.engine.config.temporal, taskQueue: queue, deploymentName: queue } };
    const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    const worker = await createWorker({ connection, config, db: bed.engine.db, workflowBundle });
    const running = worker.run();
    let stopping: Promise<void> | undefined;
    const stray = {
      engine: { ...bed.engine, taskQueue: queue },
      // Once: a test may stop it before afterAll does.
      stop: () =>
        (stopping ??= (async () => {
          worker.shutdown();
          await running;
          await connection.close();
        })()),
    };
    strays.push(stray);
    await becomeCurrent(connection, config.temporal.namespace, worker.options.workerDeploymentOptions!.version, 'always');
    return stray;
  };

  const host = async () => {
    const id = `i-${randomUUID().slice(0, 8)}`;
    await bed.fleet.addHost({ id, hostname: `production-${id}`, owner: 'team-web', environment: 'production', criticality: 'medium', tags: {} });
    return { kind: 'host' as const, key: id, display: id };
  };
  const ask = async (user: string, text: string) => {
    const res = await postToSlackEndpoint(bed.engine.baseUrl, slashCommandBody({ user, text }));
    expect(res.status, res.text).toBe(200);
    return String(res.json?.text);
  };

  it('names the incident whose gates could not be read, with its link and where to look, instead of "Nothing waits on you"', async () => {
    // Answered by the engine's worker: its gate waits on bob.
    const answered = await host();
    const readable = await startRun(bed.client, bed.engine, 'host-compromise', { entity: answered, requestedBy: 'alice' });
    await gateOpenOverApi(bed.engine.baseUrl, readable.incidentId, 'isolate-host');

    // The same code on a queue of its own: its run records its incident and opens its gate, then its only worker stops.
    const gone = await strayWorker('gone', { codePath: inject('workflowBundlePath') });
    const stray = await startRun(bed.client, gone.engine, 'host-compromise', { entity: await host(), requestedBy: 'alice' });
    await gateOpenOverApi(bed.engine.baseUrl, stray.incidentId, 'isolate-host');
    await gone.stop();

    const strayLink = `/incidents/${stray.incidentId}|`;
    const bobs = await ask(SLACK_USERS.bob.id, 'pending');
    expect(bobs).toContain(`Waiting on you (1):`);
    expect(bobs).toContain(`Isolate production-${answered.key}`);
    expect(bobs).toContain('Could not read the gates of 1 open incident, so approvals may also be waiting on you there');
    expect(bobs).toContain(strayLink);
    expect(bobs).toContain('/timeline');
    // The Slack answer came (200 with a text, not Bolt's 404 after 3 s), and only the stray incident is named as unread.
    expect(bobs.slice(bobs.indexOf('Could not read'))).not.toContain(readable.incidentId);

    // Nothing read waits on carol (she may not approve): still not "Nothing waits on you".
    const carols = await ask(SLACK_USERS.carol.id, 'pending');
    expect(carols).not.toContain('Nothing waits on you');
    expect(carols).toContain('Could not read the gates of 1 open incident, so approvals may be waiting on you there');
    expect(carols).toContain(strayLink);

    const status = await ask(SLACK_USERS.carol.id, `status ${stray.incidentId}`);
    expect(status).toContain('Could not read its gates');
    expect(status).toContain(`/incidents/${stray.incidentId}/timeline`);
    expect(status).not.toContain('No approval waiting');
  }, 120_000);

  it("says when an incident's worker failed the state query, rather than finding nothing waiting there", async () => {
    // A build whose host-compromise fails its `state` query: Temporal answers at once, 502 playbook_failed in the API.
    const failing = await strayWorker('failing', await queryFixturesBundle());
    const run = await startRun(bed.client, failing.engine, 'host-compromise', { entity: await host(), requestedBy: 'alice' });
    await eventually(
      'the isolate-host gate on the timeline',
      async () => ((await timeline(bed.engine, run.incidentId)).some((e) => e.type === 'gate.requested' && e.data.gateId === 'isolate-host') ? true : undefined),
      60_000,
    );

    const carols = await ask(SLACK_USERS.carol.id, 'pending');
    expect(carols).not.toContain('Nothing waits on you');
    expect(carols).toMatch(/Could not read the gates of \d+ open incidents?, so approvals may be waiting on you there/);
    const line = carols.split('\n').find((l) => l.includes(`/incidents/${run.incidentId}|`));
    expect(line).toMatch(/: its playbook is failing on its worker$/);

    const status = await ask(SLACK_USERS.carol.id, `status ${run.incidentId}`);
    expect(status).toContain('Could not read its gates (its playbook is failing on its worker): an approval may be waiting.');
  }, 120_000);
});
