import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedFleet } from '../../activities/providers/simulated/fleet';
import { Redactor } from '../../lib/intake/redact';
import { eventually, getJson, startTestEngine, TEST_REDACTION_KEY, type TestEngine } from '../support/engine';
import { FakeGitHub, providersWithGitHub } from '../support/vendors/github';
import { sendGithub } from '../support/webhooks';

const FIXTURES = path.resolve(__dirname, '../fixtures/webhooks/github');
const TOKEN_VARIABLE = 'PALISADE_TEST_GITHUB_TOKEN';
const fingerprint = (secret: string) => new Redactor(Buffer.from(TEST_REDACTION_KEY)).fingerprint(secret);
const fixture = (name: string) => JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));

/**
 * GitHub secret scanning end to end, through HTTP in, on a real worker, Temporal and Postgres,
 * against a loopback GitHub REST API (test/support/vendors/github.ts): deliveries shaped as
 * GitHub's published webhook schema carry no secret, so Palisade reads it from the REST alert.
 */
describe('GitHub secret scanning alerts', () => {
  const github = new FakeGitHub();
  let engine: TestEngine;
  let fleet: SimulatedFleet;

  beforeAll(async () => {
    await github.start();
    // Deadlines a busy test machine keeps; GitHub's slowness is the failure switches' (one answer never comes).
    const providers = providersWithGitHub(github, TOKEN_VARIABLE, { intakeTimeoutMs: 3000, timeoutMs: 10_000 });
    engine = await startTestEngine({ env: { PALISADE_PROVIDERS_FILE: providers, [TOKEN_VARIABLE]: github.token } });
    fleet = new SimulatedFleet(engine.db);
  });
  afterAll(async () => {
    await engine?.close();
    await github.close();
  });

  /** A leaked AWS key: in GitHub's alert `number` of `repository`, and (unless `stored` is false) in the simulated credential store. */
  async function leak(opts: { shared?: boolean; validity?: 'active' | 'unknown'; stored?: boolean } = {}) {
    const tag = randomUUID().slice(0, 8);
    const repository = `acme-corp/app-${tag}`;
    const number = 1 + Math.floor(Math.random() * 1e6);
    const secret = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
    github.addAlert(repository, number, { secret, validity: opts.validity ?? 'active' });
    const credentialId = `AKIA-${tag}`;
    if (opts.stored !== false) {
      await fleet.addCredential({ id: credentialId, type: 'aws_access_key_id', fingerprint: fingerprint(secret), last4: secret.slice(-4), owner: `team-${tag}`, shared: opts.shared ?? false });
    }
    return { repository, number, secret, credentialId, validity: opts.validity ?? 'active' };
  }

  /** A delivery of `name` (a fixture built from GitHub's schema) about the leak's alert. */
  function delivery(name: string, l: { repository: string; number: number; validity?: string }) {
    const body = fixture(name);
    body.alert.validity = l.validity ?? 'unknown';
    body.repository.full_name = l.repository;
    body.alert.number = l.number;
    body.alert.secret_type = 'aws_access_key_id';
    body.alert.secret_type_display_name = 'Amazon AWS Access Key ID';
    return body;
  }

  const incident = async (id: string) => (await getJson(`${engine.baseUrl}/incidents/${id}`)).body;
  const timeline = async (id: string): Promise<{ type: string; summary: string; data: any }[]> => (await getJson(`${engine.baseUrl}/incidents/${id}/timeline?limit=500`)).body.events;
  /** Waits for the incident to be resolved; when it is not, the error shows its timeline. */
  const resolved = (id: string) =>
    eventually(`incident ${id} resolved`, async () => ((await incident(id)).status === 'resolved' ? incident(id) : undefined), 45_000).catch(async (err: Error) => {
      const events = await timeline(id);
      throw new Error(`${err.message}; its timeline: ${events.map((e) => `${e.type}: ${e.summary}`).join(' | ')}`);
    });

  /** Sends the leak's `created` delivery, expects the incident keyed by repository and number, and returns its timeline once resolved. */
  async function resolvedWithoutSecret(l: { repository: string; number: number; validity?: string }) {
    const sent = await sendGithub(engine.baseUrl, 'secret_scanning_alert', delivery('secret-scanning-alert-created', l), randomUUID());
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const done = await resolved(sent.body.incidentId);
    expect(done.entity).toBe(`credential:github-alert:${l.repository}#${l.number}`);
    return timeline(sent.body.incidentId);
  }

  it('accepts a delivery built field by field from the schema, keys the incident by the fingerprint GitHub’s REST alert gives, revokes and closes the alert', async () => {
    const l = await leak();
    const sent = await sendGithub(engine.baseUrl, 'secret_scanning_alert', delivery('secret-scanning-alert-created', l), randomUUID());
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect(sent.body.disposition).toBe('started');
    expect(github.calls('GET', `/repos/${l.repository}/secret-scanning/alerts/${l.number}`)).toHaveLength(1);

    const done = await resolved(sent.body.incidentId);
    expect(done).toMatchObject({ playbook: 'secret-leak', entity: `credential:secret:${fingerprint(l.secret)}` });
    expect((await fleet.credential(l.credentialId))?.status).toBe('revoked');

    // Closed on GitHub once revoked: the fake saw the PATCH, and the timeline says so.
    const [patch] = github.calls('PATCH', `/repos/${l.repository}/secret-scanning/alerts/${l.number}`);
    expect(JSON.parse(patch.body)).toMatchObject({ state: 'resolved', resolution: 'revoked', resolution_comment: expect.stringContaining(sent.body.incidentId) });
    expect(github.alerts.get(`${l.repository}#${l.number}`)).toMatchObject({ state: 'resolved', resolution: 'revoked' });
    const events = await timeline(sent.body.incidentId);
    const steps = events.filter((e) => e.type === 'step.succeeded').map((e) => e.data.step);
    expect(steps.indexOf('Close the GitHub alert')).toBeGreaterThan(steps.indexOf('Revoke the credential'));
  }, 60_000);

  it('accepts GitHub’s older published example, which has no html_url or created_at', async () => {
    const l = await leak({ shared: true });
    const body = fixture('secret-scanning-alert-reopened-octokit-example');
    expect(body.alert.html_url).toBeUndefined();
    Object.assign(body.repository, { full_name: l.repository });
    body.alert.number = l.number;
    const sent = await sendGithub(engine.baseUrl, 'secret_scanning_alert', body, randomUUID());
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect((await incident(sent.body.incidentId)).entity).toBe(`credential:secret:${fingerprint(l.secret)}`);
  }, 30_000);

  it('brings two leaks of one secret (two repositories) into one incident', async () => {
    const first = await leak({ shared: true });
    const second = { repository: `${first.repository}-fork`, number: first.number + 1 };
    github.addAlert(second.repository, second.number, { secret: first.secret });
    const a = await sendGithub(engine.baseUrl, 'secret_scanning_alert', delivery('secret-scanning-alert-created', first), randomUUID());
    const b = await sendGithub(engine.baseUrl, 'secret_scanning_alert', delivery('secret-scanning-alert-publicly-leaked', second), randomUUID());
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.body).toMatchObject({ disposition: 'merged', incidentId: a.body.incidentId });
  }, 30_000);

  it('attaches a secret_scanning_alert_location delivery to the incident of its alert, with the redacted path and line', async () => {
    const l = await leak({ shared: true }); // waits at the revoke gate
    const created = await sendGithub(engine.baseUrl, 'secret_scanning_alert', delivery('secret-scanning-alert-created', l), randomUUID());
    const location = delivery('secret-scanning-alert-location-created-commit', l);
    location.location.details.path = `deploy/${l.secret}.env`; // a path may hold the secret itself
    const sent = await sendGithub(engine.baseUrl, 'secret_scanning_alert_location', location, randomUUID());
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect(sent.body).toMatchObject({ disposition: 'merged', incidentId: created.body.incidentId });

    const merged = await eventually('the location on the timeline', async () => {
      const events = await timeline(created.body.incidentId);
      return events.find((e) => e.type === 'alerts.merged' && JSON.stringify(e.data).includes('deploy/'));
    });
    const shown = JSON.stringify(merged);
    expect(shown).toContain(':12');
    expect(shown).toContain('f14d7de');
    expect(shown).not.toContain(l.secret);
    // The location did not need GitHub's REST API: the alert's secret was known from its first delivery.
    expect(github.calls('GET', `/repos/${l.repository}/secret-scanning/alerts/${l.number}`)).toHaveLength(1);
  }, 30_000);

  it('opens the incident by repository and alert number when GitHub is slow, and the playbook reads the secret itself', async () => {
    const l = await leak();
    github.fail('timeout'); // the door's read is never answered: past its 3 s deadline
    try {
      const events = await resolvedWithoutSecret(l);
      const fetched = events.find((e) => e.type === 'step.succeeded' && e.data.step === 'Read the leaked secret from GitHub');
      expect(fetched?.data.result).toEqual({ type: 'aws_access_key_id', fingerprint: fingerprint(l.secret), last4: l.secret.slice(-4) });
      expect((await fleet.credential(l.credentialId))?.status).toBe('revoked');
    } finally {
      github.heal();
    }
  }, 60_000);

  it('says on the timeline what is missing when GitHub cannot be reached at all', async () => {
    const l = await leak();
    github.fail('5xx', { times: 1000 });
    try {
      const events = await resolvedWithoutSecret(l);
      const missing = events.find((e) => e.type === 'step.skipped');
      expect(missing?.summary).toMatch(new RegExp(`secret of GitHub alert #${l.number} in ${l.repository}.*could not be read from GitHub`));
      expect(missing?.summary).toContain('HTTP 503');
      expect((await fleet.credential(l.credentialId))?.status).toBe('active');
    } finally {
      github.heal();
    }
  }, 60_000);
});
