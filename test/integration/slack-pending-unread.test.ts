import { NativeConnection } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { becomeCurrent } from '../../apps/worker/versioning';
import { createWorker } from '../../apps/worker/worker';
import { gateOpenOverApi } from '../support/engine';
import { startRun } from '../support/playbooks';
import { slackEngine, SLACK_USERS } from '../support/slack';
import { postToSlackEndpoint, slashCommandBody } from '../support/slack-requests';

// `/palisade pending` read each open incident's gates one after another and took an incident
// whose playbook did not answer for one without gates: with its worker gone, a responder was told
// "Nothing waits on you" while a gate waited there, and each such read held the answer up to
// Temporal's 5 s deadline, past the 3 s in which Slack must have it (Bolt answered 404 first).
// Here one incident runs on a task queue whose only worker then stops (no worker mocked: Temporal
// itself gets no answer), beside one the engine's worker answers for.
describe("/palisade pending and status when an incident's playbook does not answer", () => {
  const bed = slackEngine({
    env: () => ({ PALISADE_PEOPLE_FILE: 'test/fixtures/runbooks/people-slack.yaml', PALISADE_APPROVALS_FILE: 'test/fixtures/runbooks/approvals-slack.yaml' }),
  });
  let stopStray: (() => Promise<void>) | undefined;
  // Hooks run as a stack: this worker stops before the engine does.
  afterAll(async () => stopStray?.());

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

    // The same code on a task queue (and worker deployment) of its own, with the engine's database: its run records its incident, then its worker stops.
    const queue = `${bed.engine.taskQueue}-stray`;
    const config = { ...bed.engine.config, temporal: { ...bed.engine.config.temporal, taskQueue: queue, deploymentName: queue } };
    const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    const worker = await createWorker({ connection, config, db: bed.engine.db, workflowBundle: { codePath: inject('workflowBundlePath') } });
    const running = worker.run();
    stopStray = async () => {
      stopStray = undefined;
      worker.shutdown();
      await running;
      await connection.close();
    };
    await becomeCurrent(connection, config.temporal.namespace, worker.options.workerDeploymentOptions!.version, 'always');
    const unanswered = await host();
    const stray = await startRun(bed.client, { ...bed.engine, taskQueue: queue }, 'host-compromise', { entity: unanswered, requestedBy: 'alice' });
    await gateOpenOverApi(bed.engine.baseUrl, stray.incidentId, 'isolate-host');
    await stopStray();

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
});
