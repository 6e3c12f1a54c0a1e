import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DENY_REASON_INPUT } from '../../lib/slack/actions';
import { cancelSignal, stateQuery } from '../../workflows/shared/messages';
import { eventually } from '../support/engine';
import { denyFormAtIsolation, slackEngine, SLACK_USERS } from '../support/slack';
import { postToSlackEndpoint, slashCommandBody } from '../support/slack-requests';

// Who a Slack user is comes from Slack (users.info, for someone people.yaml knows by email only).
// `/palisade` and a modal's submission are answered in the acknowledgement itself, within Slack's
// 3 seconds; the lookup used to run before that budget with no deadline of its own (Slack's client
// tries users.info 3 times, 2.5 s each), so with Slack slow and a cold cache Bolt answered 404
// after 3 s and Slack showed the caller an error. Here the fake Slack holds users.info, unanswered,
// until the test has the answer: it must come, saying the caller could not be verified.
describe('who the caller is, when Slack is slower than the 3 seconds a command has', () => {
  let dir: string;
  // people-slack.yaml, and dave (found by the email on his Slack profile) as a viewer.
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-people-'));
    const people = parse(readFileSync('test/fixtures/runbooks/people-slack.yaml', 'utf8')) as { people: Record<string, unknown>[] };
    people.people.push({ id: 'dave', name: 'Dave Contractor', email: SLACK_USERS.dave.email, groups: ['sre'], roles: ['viewer'] });
    writeFileSync(path.join(dir, 'people.yaml'), stringify(people));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bed = slackEngine({
    env: () => ({ PALISADE_PEOPLE_FILE: path.join(dir, 'people.yaml'), PALISADE_APPROVALS_FILE: 'test/fixtures/runbooks/approvals-slack.yaml' }),
  });
  afterAll(() => bed.slack?.release('users.info'));

  const ask = async (user: string, text: string) => {
    const res = await postToSlackEndpoint(bed.engine.baseUrl, slashCommandBody({ user, text }));
    // Bolt answers 404 when the handler has not acknowledged within 3 s.
    expect(res.status, res.text).toBe(200);
    return String(res.json?.text);
  };
  const usersInfoFor = (user: string) => bed.slack.calls.filter((c) => c.method === 'users.info' && c.args.user === user);
  const PENDING_ANSWER = /^(Nothing waits on you\.|Waiting on you|:warning: Could not read)/;

  it('/palisade answers in time that the caller could not be verified, and the lookup warms the cache for the next one', async () => {
    const dave = SLACK_USERS.dave.id;
    bed.slack.hold('users.info');
    const late = await ask(dave, 'pending');
    expect(late).toMatch(/could not verify who you are in time, so nothing was decided: Slack had not answered users\.info about <@U0DAVE001>/);
    expect(late).toContain('Try again in a moment, or use the `palisade` CLI');
    expect(late).not.toMatch(PENDING_ANSWER);
    expect(usersInfoFor(dave).some((c) => c.held)).toBe(true);

    // Slack answers: the lookup that went on without the command (or a new one) says who dave is.
    bed.slack.release('users.info');
    expect(await ask(dave, 'pending')).toMatch(PENDING_ANSWER);
    const asked = usersInfoFor(dave).length;

    // Slack slow again: dave's profile is remembered, so Slack is not asked and the answer is dave's.
    bed.slack.hold('users.info');
    expect(await ask(dave, 'pending')).toMatch(PENDING_ANSWER);
    expect(usersInfoFor(dave).length).toBe(asked);
    bed.slack.release('users.info');
  }, 60_000);

  it('a deny-with-reason modal submitted while Slack is slow is refused in the modal, in time, and the vote does not count', async () => {
    const form = await denyFormAtIsolation(bed);
    const { run } = form;
    const submit = () => form.submit(SLACK_USERS.bob.id, 'change ticket CHG-7');

    // bob has no Slack id in people.yaml: who he is takes users.info, held.
    bed.slack.hold('users.info');
    const refused = await submit();
    expect(refused.status, refused.text).toBe(200);
    expect(refused.json).toMatchObject({ response_action: 'errors' });
    // Slack shows 150 characters under the field: the outcome and the next step (a form has no button to click again) fit in them.
    const said = String(refused.json.errors[DENY_REASON_INPUT.block]);
    expect(said).toMatch(/^Nothing was decided: Palisade could not verify who you are in time \(Slack was slow\)\. Submit again in a moment/);
    expect(said.length).toBeLessThanOrEqual(150);
    expect(said).not.toMatch(/click/i);
    expect((await run.handle.query(stateQuery)).gates?.find((g) => g.id === 'isolate-host')?.votes).toEqual([]);

    // Slack answers: the same submission closes the modal, and counts as bob's (the vote runs once it closed).
    bed.slack.release('users.info');
    const counted = await submit();
    expect(counted.status, counted.text).toBe(200);
    expect(counted.text).toBe('');
    const votes = await eventually('the vote taken', async () => {
      const cast = (await run.handle.query(stateQuery)).gates?.find((g) => g.id === 'isolate-host')?.votes;
      return cast?.length ? cast : undefined;
    });
    expect(votes.map((v) => v.approverId)).toEqual(['bob']);
    await run.handle.signal(cancelSignal, { reason: 'test over', actor: 'test' });
  }, 60_000);
});
