import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DENY_REASON_INPUT } from '../../lib/slack/actions';
import { cancelSignal, stateQuery } from '../../workflows/shared/messages';
import { eventually } from '../support/engine';
import { engineWorker, type EngineWorker } from '../support/engine-worker';
import { timeline } from '../support/playbooks';
import { denyFormAtIsolation, ephemeralFor, messageUpdate, slackEngine, SLACK_USERS } from '../support/slack';


/**
 * A Slack engine (the Slack fixtures' people and approvals, with `env`) whose worker the test
 * owns. `idleNextWorker()` stops the run's worker and answers the next one, ready but not
 * polling: a vote then waits in Temporal, unanswered, until the test starts it.
 */
function slackBedWithOwnWorker(env: NodeJS.ProcessEnv = {}) {
  const bed = slackEngine({
    withWorker: false,
    env: () => ({ PALISADE_PEOPLE_FILE: 'test/fixtures/runbooks/people-slack.yaml', PALISADE_APPROVALS_FILE: 'test/fixtures/runbooks/approvals-slack.yaml', ...env }),
  });
  let current: EngineWorker | undefined;
  beforeAll(async () => {
    current = await engineWorker(bed.engine);
    current.start();
    await current.promote();
  });
  afterAll(async () => {
    await current?.stop();
  });
  const idleNextWorker = async (): Promise<EngineWorker> => {
    const next = await engineWorker(bed.engine);
    await current?.stop();
    current = next;
    return next;
  };
  return { bed, idleNextWorker };
}

// The "Deny with reason" form's submission (view_submission) is answered in its acknowledgement,
// within Slack's 3 seconds. It used to run the vote (the gate's `decide` Update, which waits for
// the run's worker, up to 10 s) before acknowledging: with the worker slow, Bolt answered 404 after
// 3 s and Slack showed the approver an error for a vote that then counted. Here the run's worker
// stops and the next one is ready but idle, so the Update waits in Temporal, unanswered, until the
// test starts it.
describe('the deny-with-reason form while the playbook is slow to take the vote', () => {
  const { bed, idleNextWorker } = slackBedWithOwnWorker();

  const ephemeralsTo = (user: string, since: number) => bed.slack.calls.filter((c) => c.method === 'chat.postEphemeral' && c.args.user === user && c.at >= since);

  it('closes the form at once, says the outcome once Temporal has taken the vote, and the vote is on the timeline once', async () => {
    const { run, posted, submit } = await denyFormAtIsolation(bed);
    const votes = async () => (await run.handle.query(stateQuery)).gates?.find((g) => g.id === 'isolate-host')?.votes ?? [];

    // What is quick and local is still answered in the form: a reason too short, or too long.
    for (const reason of ['no', 'x'.repeat(2_001)]) {
      const refused = await submit(SLACK_USERS.alice.id, reason);
      expect(refused.status, refused.text).toBe(200);
      expect(refused.json).toMatchObject({ response_action: 'errors', errors: { [DENY_REASON_INPUT.block]: expect.stringMatching(/3 to 2000 characters/) } });
    }
    expect(await votes()).toEqual([]);

    // The run's worker stops; the next one is ready, not polling: the vote waits on Temporal.
    const next = await idleNextWorker();
    const since = Date.now();
    const submitted = await submit(SLACK_USERS.alice.id, 'change ticket CHG-7');
    // The form closes (an empty 200), not Bolt's 404 after 3 s.
    expect(submitted.status, submitted.text).toBe(200);
    expect(submitted.text).toBe('');
    // Nothing claims the vote counted while no worker could have taken it.
    expect(ephemeralsTo(SLACK_USERS.alice.id, since)).toEqual([]);

    next.start();
    expect(await ephemeralFor(bed.slack, SLACK_USERS.alice.id, since)).toMatch(/^Your deny counted: the step is denied/);
    await messageUpdate(bed.slack, posted, 'the message showing the denial', (t) => t.includes('Denied by alice') && t.includes('CHG-7'));
    const events = await eventually('the decision on the timeline', async () => {
      const rows = await timeline(bed.engine, run.incidentId);
      return rows.some((e) => e.type === 'gate.decided' && e.data.gateId === 'isolate-host') ? rows : undefined;
    });
    const cast = events.filter((e) => e.type === 'gate.vote' && e.data.gateId === 'isolate-host');
    expect(cast).toHaveLength(1);
    expect(cast[0]).toMatchObject({ actor: 'alice', data: { decision: 'deny', reason: 'change ticket CHG-7', via: 'slack' } });
    expect(ephemeralsTo(SLACK_USERS.alice.id, since)).toHaveLength(1);

    // A form submitted once the gate is decided closes too, and its answer says so (and is on the timeline).
    const late = Date.now();
    const again = await submit(SLACK_USERS.bob.id, 'I would have denied it too');
    expect(again.status, again.text).toBe(200);
    expect(again.text).toBe('');
    expect(await ephemeralFor(bed.slack, SLACK_USERS.bob.id, late)).toMatch(/Nothing to do: the message shows who decided\.$/);
    await eventually('the rejected submission on the timeline', async () =>
      (await timeline(bed.engine, run.incidentId)).find((e) => e.type === 'slack.click-rejected' && e.actor === 'bob' && e.data.code === 'already_decided'),
    );
    expect((await votes()).map((v) => v.approverId)).toEqual(['alice']);
    await run.handle.signal(cancelSignal, { reason: 'test over', actor: 'test' });
  }, 90_000);

  // The outcome of a deny form comes only by message once the form has closed. When Slack refuses the
  // ephemeral one in the channel of the gate's message (the bot was removed from it: chat.postEphemeral
  // answers `not_in_channel`, docs.slack.dev/reference/methods/chat.postEphemeral), the approver is told
  // in the app's direct message with them (chat.postMessage to their user id) instead of learning nothing.
  it('tells the approver in a direct message when the ephemeral answer in the channel is refused', async () => {
    const { run, posted, submit } = await denyFormAtIsolation(bed);
    bed.slack.refuse('chat.postEphemeral', 'not_in_channel', (args) => args.channel === posted.channel);
    try {
      const since = Date.now();
      const submitted = await submit(SLACK_USERS.alice.id, 'change ticket CHG-8');
      expect(submitted.status, submitted.text).toBe(200);
      expect(submitted.text).toBe('');
      const dm = await bed.slack.waitFor(`a direct message to ${SLACK_USERS.alice.id}`, (c) => c.method === 'chat.postMessage' && c.args.channel === SLACK_USERS.alice.id && c.at >= since);
      expect(String(dm.args.text)).toMatch(/^Your deny counted: the step is denied/);
      // The ephemeral answer was tried first, in the gate message's channel, and refused.
      expect(bed.slack.calls.filter((c) => c.method === 'chat.postEphemeral' && c.args.user === SLACK_USERS.alice.id && c.at >= since).map((c) => c.response)).toEqual([
        { ok: false, error: 'not_in_channel' },
      ]);
      await messageUpdate(bed.slack, posted, 'the message showing the denial', (t) => t.includes('Denied by alice') && t.includes('CHG-8'));
    } finally {
      bed.slack.recover();
      await run.handle.signal(cancelSignal, { reason: 'test over', actor: 'test' });
    }
  }, 90_000);
});

// A vote Temporal did not answer in time (no worker of the run's version polls) may still count
// later; the voter is told to vote again in a minute. A click is told to click again; a form's
// submitter has no button to click: they deny again from the gate's message. The vote's deadline
// (10 s in production) is short here, so the test waits on it for moments.
describe('the deny-with-reason form when Temporal does not take the vote in time', () => {
  const { bed, idleNextWorker } = slackBedWithOwnWorker({ PALISADE_VOTE_DEADLINE_MS: '1500' });

  it("a form's vote that Temporal did not answer in time tells its submitter to deny again from the message, not to click", async () => {
    const { run, submit } = await denyFormAtIsolation(bed);
    // The run's worker stops and the next one stays idle: the vote's Update is not answered within PALISADE_VOTE_DEADLINE_MS.
    const next = await idleNextWorker();
    try {
      const since = Date.now();
      const submitted = await submit(SLACK_USERS.alice.id, 'change ticket CHG-9');
      expect(submitted.status, submitted.text).toBe(200);
      expect(submitted.text).toBe('');
      const told = await ephemeralFor(bed.slack, SLACK_USERS.alice.id, since);
      expect(told).toMatch(/Your vote may not have counted\. The message changes when it does; otherwise deny again from the message in a minute\.$/);
      expect(told).not.toMatch(/click/i);
      // The playbook records the unanswered vote once a worker runs it again.
      next.start();
      await eventually('the unanswered vote on the timeline', async () =>
        (await timeline(bed.engine, run.incidentId)).find((e) => e.type === 'slack.click-rejected' && e.actor === 'alice' && e.data.code === 'temporal_unavailable'),
      30_000);
    } finally {
      next.start();
      await run.handle.signal(cancelSignal, { reason: 'test over', actor: 'test' });
    }
  }, 90_000);
});
