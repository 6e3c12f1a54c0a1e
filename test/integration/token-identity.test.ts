import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it, inject } from 'vitest';
import type { SimulatedFleet } from '../../activities/providers/simulated/fleet';
import { cancelSignal } from '../../workflows/shared/messages';
import { deleteJson, eventually, getJson, postJson, startTestEngine, TEST_ADMIN_TOKEN, type TestEngine } from '../support/engine';
import type { FakeSlack } from '../support/fake-slack';
import { startRun, timeline, type StartedRun } from '../support/playbooks';
import { slackEngine, SLACK_USERS } from '../support/slack';
import { createDatabase } from '../setup/postgres';

const DAY_MS = 86_400_000;

// Who a vote counts as: API tokens bound to people (made by the person, or claimed with a code
// Palisade sends them in Slack), the vouching admin charged for tokens made for others, the game
// day exception, and expiry. Real HTTP, Bolt's Web API client against a fake Slack, a real
// worker, Temporal and Postgres.
describe('API tokens bound to people', () => {
  const bed = slackEngine();
  let slack: FakeSlack;
  let engine: TestEngine;
  let client: Client;
  let fleet: SimulatedFleet;
  beforeAll(() => ({ slack, engine, client, fleet } = bed));

  /** A token made by the test admin (the bootstrap token) for `name`. */
  const made = async (name: string, role = 'approver', extra: Record<string, unknown> = {}) => {
    const res = await postJson(`${engine.baseUrl}/tokens`, { name, role, ...extra });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; token: string; expiresAt: string; claim: { status: string; to?: string; expiresAt?: string } };
  };
  /** The claim code Palisade sent `slackUserId` in a direct message, for the token `tokenId`. */
  const claimCodeSentTo = async (slackUserId: string, tokenId: string) => {
    const call = await slack.waitFor(`the claim code in a DM to ${slackUserId}`, (c) => c.method === 'chat.postMessage' && c.args.channel === `D${slackUserId}` && String(c.args.text).includes(tokenId.slice(0, 8)));
    const code = /\b(palc_[A-Za-z0-9_-]{20,})\b/.exec(String(call.args.text))?.[1];
    expect(code, String(call.args.text)).toBeTruthy();
    return code!;
  };
  const vote = (run: StartedRun, token: string, gateId = 'isolate-host') => postJson(`${engine.baseUrl}/incidents/${run.incidentId}/approvals/${gateId}`, { decision: 'approve', reason: 'confirmed' }, token);
  async function criticalRun(): Promise<StartedRun> {
    const id = `i-${randomUUID().slice(0, 8)}`;
    await fleet.addHost({ id, hostname: `db-${id}`, owner: 'team-data', environment: 'production', criticality: 'critical', tags: { 'golden-image': 'ami-golden-7' } });
    const run = await startRun(client, engine, 'host-compromise', { entity: { kind: 'host', key: id, display: id } });
    await eventually('the isolate-host gate', async () => {
      const res = await getJson(`${engine.baseUrl}/incidents/${run.incidentId}/approvals`);
      return res.body.gates?.find((g: { id: string; status: string }) => g.id === 'isolate-host' && g.status === 'open');
    });
    return run;
  }
  const stop = (run: StartedRun) => run.handle.signal(cancelSignal, { reason: 'test over', actor: 'test' });

  it("one admin's tokens for alice and bob cannot make a two-approver quorum; every vote records its token and who made it; bob's claimed token counts", async () => {
    const run = await criticalRun();
    const alice = await made('alice');
    const bob = await made('bob');

    expect(await vote(run, alice.token)).toMatchObject({ status: 200, body: { outcome: 'pending', approvals: 1, needed: 2 } });
    const second = await vote(run, bob.token);
    expect(second).toMatchObject({ status: 409, body: { error: 'same_person', message: expect.stringContaining('bootstrap'), hint: expect.stringContaining('claim') } });
    expect(alice.claim).toMatchObject({ status: 'sent', to: expect.stringContaining('alice') });

    // The vote that counted says which token cast it, who made it, and who answers for it.
    const token = { id: alice.id, createdBy: 'bootstrap', bound: false, vouchedBy: 'bootstrap' };
    const gates = await getJson(`${engine.baseUrl}/incidents/${run.incidentId}/approvals`);
    expect(gates.body.gates[0].votes).toEqual([expect.objectContaining({ approverId: 'alice', token })]);
    const votes = await eventually('the vote on the timeline', async () => {
      const rows = (await timeline(engine, run.incidentId)).filter((e) => e.type === 'gate.vote');
      return rows.length === 1 ? rows : undefined;
    });
    expect(votes[0].data).toMatchObject({ approverId: 'alice', token });
    const postmortem = await getJson(`${engine.baseUrl}/incidents/${run.incidentId}/postmortem?format=json`);
    expect(postmortem.body.approvals[0].votes[0]).toMatchObject({ approver: 'alice', token });
    const md = await fetch(`${engine.baseUrl}/incidents/${run.incidentId}/postmortem?format=md`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(await md.text()).toContain(`token ${alice.id.slice(0, 8)} made by bootstrap, not claimed`);

    // Bob claims his token with the code Palisade sent him in Slack: a new secret, bound to him; the admin's copy is dead.
    const code = await claimCodeSentTo(SLACK_USERS.bob.id, bob.id);
    const claimed = await postJson(`${engine.baseUrl}/tokens/claim`, { code }, bob.token);
    expect(claimed).toMatchObject({ status: 200, body: { id: bob.id, name: 'bob', bound: 'claimed', token: expect.stringMatching(/^pal_/) } });
    expect(await getJson(`${engine.baseUrl}/me`, bob.token)).toMatchObject({ status: 401, body: { error: 'token_invalid' } });
    expect(await getJson(`${engine.baseUrl}/me`, claimed.body.token)).toMatchObject({ status: 200, body: { name: 'bob', bound: 'claimed' } });
    expect(await vote(run, claimed.body.token)).toMatchObject({ status: 200, body: { outcome: 'approved', approvals: 2 } });
    const bobs = await eventually("bob's vote on the timeline", async () => (await timeline(engine, run.incidentId)).find((e) => e.type === 'gate.vote' && e.actor === 'bob'));
    expect(bobs.data.token).toEqual({ id: bob.id, createdBy: 'bootstrap', bound: 'claimed' });
    const audit = await engine.db.query(`SELECT actor, action FROM audit_log WHERE target = $1 ORDER BY id`, [`token:${bob.id}`]);
    expect(audit).toEqual([{ actor: 'bootstrap', action: 'token.created' }, { actor: 'bob', action: 'token.claimed' }]);
    await stop(run);
  }, 90_000);

  it("a person's token named by their email answers for the tokens it makes as that person: they cannot make a quorum with one of them", async () => {
    const run = await criticalRun();
    // alice's own admin token, named by her email in people.yaml, claimed: bound to her.
    const made0 = await made('alice@example.com', 'admin');
    const code = await claimCodeSentTo(SLACK_USERS.alice.id, made0.id);
    const aliceToken = (await postJson(`${engine.baseUrl}/tokens/claim`, { code }, made0.token)).body.token as string;
    expect(await getJson(`${engine.baseUrl}/me`, aliceToken)).toMatchObject({ status: 200, body: { name: 'alice@example.com', bound: 'claimed' } });
    // With it she makes a token for bob, which bob has not claimed: she answers for it.
    const bob = await postJson(`${engine.baseUrl}/tokens`, { name: 'bob', role: 'approver' }, aliceToken);
    expect(bob.status, JSON.stringify(bob.body)).toBe(201);

    expect(await vote(run, aliceToken)).toMatchObject({ status: 200, body: { outcome: 'pending', approvals: 1, needed: 2 } });
    expect(await vote(run, bob.body.token as string)).toMatchObject({ status: 409, body: { error: 'same_person', message: expect.stringContaining('made by alice,') } });
    const gates = await getJson(`${engine.baseUrl}/incidents/${run.incidentId}/approvals`);
    expect(gates.body.gates[0].votes).toEqual([expect.objectContaining({ approverId: 'alice' })]);
    await stop(run);
  }, 90_000);

  it('the claim code goes to the named person only, works only with their token, once', async () => {
    const alice = await made('alice', 'viewer');
    expect(JSON.stringify(alice)).not.toMatch(/palc_/);
    const code = await claimCodeSentTo(SLACK_USERS.alice.id, alice.id);

    // The admin who made the token holds it, but not the code; the code does not work with another token.
    expect(await postJson(`${engine.baseUrl}/tokens/claim`, { code: `palc_${'x'.repeat(43)}` }, alice.token)).toMatchObject({ status: 400, body: { error: 'claim_code_invalid', hint: expect.any(String) } });
    expect(await postJson(`${engine.baseUrl}/tokens/claim`, { code })).toMatchObject({ status: 400, body: { error: 'claim_code_invalid' } });
    const claimed = await postJson(`${engine.baseUrl}/tokens/claim`, { code }, alice.token);
    expect(claimed).toMatchObject({ status: 200, body: { bound: 'claimed' } });
    expect(await postJson(`${engine.baseUrl}/tokens/claim`, { code }, claimed.body.token)).toMatchObject({ status: 400, body: { error: 'claim_code_invalid' } });

    // A token made for no person in people.yaml: nothing to claim, nobody to send a code to.
    const script = await made('nightly-report', 'viewer');
    expect(script.claim).toMatchObject({ status: 'not_a_person' });
  }, 30_000);

  it('game-day tokens are an explicit, audited exception: they count as the person they name, on the simulated fleet', async () => {
    const run = await criticalRun();
    const alice = await made('alice', 'approver', { purpose: 'gameday' });
    const bob = await made('bob', 'approver', { purpose: 'gameday' });
    expect(alice.claim).toMatchObject({ status: 'not_needed' });
    expect(Date.parse(alice.expiresAt) - Date.now()).toBeLessThanOrEqual(DAY_MS);
    expect(await vote(run, alice.token)).toMatchObject({ status: 200, body: { outcome: 'pending' } });
    expect(await vote(run, bob.token)).toMatchObject({ status: 200, body: { outcome: 'approved' } });
    const gates = await getJson(`${engine.baseUrl}/incidents/${run.incidentId}/approvals`);
    expect(gates.body.gates[0].votes.map((v: { token: unknown }) => v.token)).toEqual([
      { id: alice.id, createdBy: 'bootstrap', bound: 'gameday' },
      { id: bob.id, createdBy: 'bootstrap', bound: 'gameday' },
    ]);
    const audit = await engine.db.query(`SELECT detail FROM audit_log WHERE action = 'token.created' AND target = $1`, [`token:${alice.id}`]);
    expect(audit[0].detail).toMatchObject({ name: 'alice', role: 'approver', purpose: 'gameday' });
    await stop(run);
  }, 60_000);

  it('tokens expire: a default, a longest allowed, a token’s own expiresIn; an expired token is 401 token_expired saying what to do', async () => {
    const vera = await made('vera', 'viewer');
    expect(Date.parse(vera.expiresAt) - Date.now()).toBeGreaterThan(89 * DAY_MS);
    expect(Date.parse(vera.expiresAt) - Date.now()).toBeLessThanOrEqual(90 * DAY_MS);
    expect(await postJson(`${engine.baseUrl}/tokens`, { name: 'vera', role: 'viewer', expiresIn: '400d' })).toMatchObject({ status: 400, body: { error: 'invalid_request', message: expect.stringContaining('365d') } });
    const listed = await getJson(`${engine.baseUrl}/tokens`);
    expect(listed.body.tokens.find((t: { name: string }) => t.name === 'bootstrap')).toMatchObject({ expiresAt: expect.any(String) });

    const brief = await made('vera', 'viewer', { expiresIn: '2s' });
    expect(await getJson(`${engine.baseUrl}/me`, brief.token)).toMatchObject({ status: 200 });
    const expired = await eventually('the token to expire', async () => {
      const res = await getJson(`${engine.baseUrl}/me`, brief.token);
      return res.status === 401 ? res : undefined;
    });
    expect(expired.body).toMatchObject({ error: 'token_expired', message: expect.stringContaining('vera'), hint: expect.stringContaining('palisade token create') });
  }, 30_000);

  it('the bootstrap token is rotated by revoking it and starting with a new PALISADE_BOOTSTRAP_TOKEN; a value used before is never seeded again', async () => {
    const first = 'pal_bootstrap-first-0123456789abcdef';
    const second = 'pal_bootstrap-second-0123456789abcdef';
    const db = await createDatabase(inject('postgresAdminUrl'), `palisade_rotation_${randomUUID().replaceAll('-', '')}`, inject('templateDatabase'));
    const engineOn = (bootstrap: string) => startTestEngine({ withWorker: false, databaseUrl: db.url, env: { PALISADE_BOOTSTRAP_TOKEN: bootstrap } });
    try {
      const a = await engineOn(first);
      try {
        const me = await getJson(`${a.baseUrl}/me`, first);
        expect(me).toMatchObject({ status: 200, body: { name: 'bootstrap', role: 'admin' } });
        expect((await deleteJson(`${a.baseUrl}/tokens/${me.body.tokenId}?reason=rotated`, first)).status).toBe(200);
      } finally {
        await a.close();
      }
      const b = await engineOn(first);
      try {
        expect(await getJson(`${b.baseUrl}/me`, first)).toMatchObject({ status: 401, body: { error: 'token_invalid' } });
      } finally {
        await b.close();
      }
      const c = await engineOn(second);
      try {
        expect(await getJson(`${c.baseUrl}/me`, second)).toMatchObject({ status: 200, body: { name: 'bootstrap', role: 'admin' } });
      } finally {
        await c.close();
      }
    } finally {
      await db.drop();
    }
  }, 60_000);
});
