import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SecretDescriptor } from '../../../lib/intake/alert';
import type { LeakedSecretAnswer, LeakedSecretRef, ParseResult } from '../../../lib/intake/source';
import { githubSource } from '../../../lib/intake/sources/github';
import { adapterHarness, anyBodies, catchPayloadError, expectOnlyAlertsOrPayloadError, mutatedFixtures, testRequest } from '../../support/adapters';

const receivedAt = '2026-05-03T16:00:00.000Z';
const req = (event = 'secret_scanning_alert', delivery = 'a1b2c3d4-0000-11ef-8f3a-7e1c2b3d4e5f') =>
  testRequest(receivedAt, { headers: { 'x-github-event': event, 'x-github-delivery': delivery } });
const { ctx, fixture, parseOne } = adapterHarness(githubSource, { receivedAt, headers: req().headers });

/** Every fixture of a `secret_scanning_alert` delivery (test/fixtures/webhooks/github/SOURCES.md). */
const ALERT_FIXTURES = [
  'secret-scanning-alert-created',
  'secret-scanning-alert-created-private',
  'secret-scanning-alert-reopened',
  'secret-scanning-alert-reopened-octokit-example',
  'secret-scanning-alert-resolved',
  'secret-scanning-alert-revoked',
  'secret-scanning-alert-validated',
  'secret-scanning-alert-publicly-leaked',
  'secret-scanning-alert-assigned',
  'secret-scanning-alert-unassigned',
  'secret-scanning-created-public',
];
const LOCATION_FIXTURES = ['secret-scanning-alert-location-created-commit', 'secret-scanning-alert-location-created-issue-comment'];

/** The door's lookup as a test double: answers `answer` and remembers what it was asked. */
function lookup(answer: LeakedSecretAnswer) {
  const asked: LeakedSecretRef[] = [];
  return { asked, secrets: { find: (ref: LeakedSecretRef) => (asked.push(ref), Promise.resolve(answer)) } };
}

async function completed(body: unknown, answer: LeakedSecretAnswer, event = 'secret_scanning_alert') {
  const l = lookup(answer);
  const result = await githubSource.complete!(githubSource.parse(body, req(event), ctx), body, req(event), { ...ctx, secrets: l.secrets });
  if (result.kind !== 'alerts') throw new Error('expected alerts');
  return { alert: result.alerts[0], asked: l.asked };
}

const SECRET = 'AKIAIOSFODNN7EXAMPLE';
const known = (type = 'github_personal_access_token'): { secret: SecretDescriptor } => ({ secret: ctx.redactor.describe(type, SECRET) });

describe('github source', () => {
  it('maps a delivery built field by field from GitHub’s schema, keyed by the secret the door’s lookup found', async () => {
    const body = fixture('secret-scanning-alert-created');
    expect(body.alert.secret).toBeUndefined();
    const { alert, asked } = await completed(body, known());
    expect(asked).toEqual([{ source: 'github', repository: 'acme-corp/website', alertNumber: 7, alertKey: alert.fingerprint }]);
    const secret = known().secret;
    expect(alert).toEqual({
      title: 'GitHub Personal Access Token leaked in acme-corp/website',
      description: expect.stringContaining('GitHub secret scanning alert #7 (created) in public repository acme-corp/website.'),
      severity: 'critical',
      severityOriginal: 'action=created validity=unknown',
      category: 'secret-leak',
      entity: { kind: 'credential', key: `secret:${secret.fingerprint}`, display: `GitHub Personal Access Token …${secret.last4}` },
      observedAt: '2026-05-02T08:01:13Z',
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      labels: {
        repository: 'acme-corp/website',
        alertNumber: '7',
        action: 'created',
        secretType: 'github_personal_access_token',
        validity: 'unknown',
        visibility: 'public',
        htmlUrl: 'https://github.com/acme-corp/website/security/secret-scanning/7',
        organization: 'acme-corp',
      },
      secrets: [secret],
    });
    // From the signed body: the unsigned X-GitHub-Delivery header does not decide it.
    expect(githubSource.deliveryId(body, req())).toBe('github:acme-corp/website:7:created:2026-05-02T08:01:13Z');
    expect(githubSource.deliveryId(body, { ...req(), headers: { ...req().headers, 'x-github-delivery': 'forged' } })).toBe(githubSource.deliveryId(body, req()));
  });

  it('keys the alert by repository and number, and says why, when the secret is not known', async () => {
    const { alert } = await completed(fixture('secret-scanning-alert-created'), { missing: 'Unavailable: GitHub did not answer within 2000 ms' });
    expect(alert.entity).toEqual({ kind: 'credential', key: 'github-alert:acme-corp/website#7', display: 'GitHub Personal Access Token in acme-corp/website (alert #7)' });
    expect(alert.labels.secretMissing).toBe('Unavailable: GitHub did not answer within 2000 ms');
    expect(alert.description).toContain('not read from GitHub (Unavailable: GitHub did not answer within 2000 ms)');
    expect(alert.secrets).toEqual([]);
    // parse alone (routing test, no lookup) keys it the same way.
    expect(parseOne(fixture('secret-scanning-alert-created')).entity.key).toBe('github-alert:acme-corp/website#7');
  });

  it('accepts GitHub’s older published example (no html_url, created_at, display name or validity)', async () => {
    const body = fixture('secret-scanning-alert-reopened-octokit-example');
    const { alert } = await completed(body, known('adafruit_io_key'));
    expect(alert).toMatchObject({ title: 'adafruit_io_key leaked in Codertocat/Hello-World (reopened)', severity: 'high', observedAt: receivedAt });
    expect(alert.labels).not.toHaveProperty('htmlUrl');
    expect(alert.description).not.toContain('Alert:');
  });

  it.each([
    ['secret-scanning-alert-created-private', 'high', 'created'],
    ['secret-scanning-alert-reopened', 'high', 'reopened'],
    ['secret-scanning-alert-validated', 'critical', 'validated'],
    ['secret-scanning-alert-publicly-leaked', 'critical', 'publicly_leaked'],
    ['secret-scanning-alert-resolved', 'info', 'resolved'],
    ['secret-scanning-alert-revoked', 'info', 'revoked'],
    ['secret-scanning-alert-assigned', 'info', 'assigned'],
    ['secret-scanning-alert-unassigned', 'info', 'unassigned'],
  ])('rates %s %s (action %s): closing and assigning an alert say nothing new about the exposure', async (name, severity, action) => {
    const { alert } = await completed(fixture(name), known());
    expect(alert).toMatchObject({ severity, labels: { action } });
  });

  it('gives every delivery about one alert the same fingerprint and the same entity', async () => {
    const created = await completed(fixture('secret-scanning-alert-created-private'), known());
    for (const name of ['secret-scanning-alert-reopened', 'secret-scanning-alert-resolved', 'secret-scanning-alert-validated']) {
      const other = await completed(fixture(name), known());
      expect([other.alert.fingerprint, other.alert.entity]).toEqual([created.alert.fingerprint, created.alert.entity]);
    }
    const resolved = await completed(fixture('secret-scanning-alert-resolved'), known());
    expect(resolved.alert.description).toContain('Resolution: revoked.');
    expect(resolved.alert.observedAt).toBe('2026-05-03T15:40:00Z');
  });

  it('maps a location delivery: where it was found, as a finding of its own, about the same alert', async () => {
    const body = fixture('secret-scanning-alert-location-created-commit');
    body.location.details.path = `config/${SECRET}.env`; // a path can hold the secret itself
    const { alert, asked } = await completed(body, known(), 'secret_scanning_alert_location');
    const created = await completed(fixture('secret-scanning-alert-created'), known());
    expect(asked[0].alertKey).toBe(created.alert.fingerprint);
    expect(alert.title).toMatch(/^GitHub Personal Access Token found again in acme-corp\/website: config\/\[REDACTED aws_access_key_id .*\]\.env:12 \(commit f14d7de\)$/);
    expect(alert.labels).toMatchObject({ locationType: 'commit', locationLine: '12', locationCommit: 'f14d7debf9775f957cf4f1e8176da0786431f72b' });
    expect(JSON.stringify(alert)).not.toContain(SECRET);
    expect(alert.entity).toEqual(created.alert.entity);
    expect(alert.fingerprint).not.toBe(created.alert.fingerprint);
    expect(alert.observedAt).toBe(receivedAt);
    // Not the alert's own delivery: never answered as its duplicate.
    expect(githubSource.deliveryId(body, req())).not.toBe(githubSource.deliveryId(fixture('secret-scanning-alert-created'), req()));

    const comment = await completed(fixture('secret-scanning-alert-location-created-issue-comment'), known(), 'secret_scanning_alert_location');
    expect(comment.alert.title).toBe('GitHub Personal Access Token found again in acme-corp/website: issue comment https://api.github.com/repos/acme-corp/website/issues/comments/1081119451');
  });

  it('takes the secret from an older delivery that carries it, never lets it out, and asks nobody', async () => {
    const body = fixture('secret-scanning-created-public');
    const raw: string = body.alert.secret;
    const { alert, asked } = await completed(body, { missing: 'unused' });
    expect(asked).toEqual([]);
    const d = ctx.redactor.describe('github_personal_access_token', raw);
    expect(alert.entity.key).toBe(`secret:${d.fingerprint}`);
    expect(alert.secrets?.[0]).toEqual(d);
    expect(JSON.stringify(alert)).not.toContain(raw);
  });

  it('answers a ping with a control result, and leaves it alone in complete', async () => {
    const ping: ParseResult = githubSource.parse(fixture('ping'), req('ping'), ctx);
    expect(ping).toEqual({ kind: 'control', message: 'GitHub ping received (hook 482731904)' });
    expect(await githubSource.complete!(ping, fixture('ping'), req('ping'), { ...ctx, secrets: lookup({ missing: 'x' }).secrets })).toBe(ping);
  });

  it('refuses other events, a missing event header, and a location event without a location', () => {
    const body = fixture('secret-scanning-alert-created');
    const other = catchPayloadError(() => githubSource.parse(body, req('push'), ctx));
    expect(other.problems.join()).toMatch(/"push".*only secret_scanning_alert, secret_scanning_alert_location and ping/);
    const missing = catchPayloadError(() => githubSource.parse(body, { headers: {}, query: {}, receivedAt }, ctx));
    expect(missing.problems.join()).toContain('X-GitHub-Event');
    expect(catchPayloadError(() => githubSource.parse(body, req('secret_scanning_alert_location'), ctx)).problems.join()).toMatch(/^location: /);
  });

  it('names the fields that do not match, and requires only what it uses', () => {
    const body = fixture('secret-scanning-alert-created');
    delete body.alert.number;
    body.repository.private = 'no';
    body.alert.created_at = 'yesterday';
    const err = catchPayloadError(() => githubSource.parse(body, req(), ctx));
    expect(err.source).toBe('github');
    expect(err.problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^alert\.number: /), expect.stringMatching(/^repository\.private: .*boolean/), expect.stringMatching(/^alert\.created_at: .*ISO 8601/)]),
    );
    const bare = { action: 'created', alert: { number: 3 }, repository: { full_name: 'a/b', private: true } };
    expect(parseOne(bare)).toMatchObject({ title: 'unknown leaked in a/b', entity: { key: 'github-alert:a/b#3' } });
  });

  it('returns or throws PayloadError for any input', () => {
    for (const bodies of anyBodies()) {
      expectOnlyAlertsOrPayloadError(githubSource, bodies, { numRuns: 300, req: fc.constantFrom(req(), req('ping'), req('secret_scanning_alert_location')), ctx });
    }
    expectOnlyAlertsOrPayloadError(githubSource, mutatedFixtures(ALERT_FIXTURES.map((name) => fixture(name))), { numRuns: 300, req: req(), ctx });
    expectOnlyAlertsOrPayloadError(githubSource, mutatedFixtures(LOCATION_FIXTURES.map((name) => fixture(name))), { numRuns: 300, req: req('secret_scanning_alert_location'), ctx });
  });
});
