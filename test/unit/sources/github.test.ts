import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { githubSource } from '../../../lib/intake/sources/github';
import { adapterHarness, anyBodies, catchPayloadError, expectOnlyAlertsOrPayloadError, mutatedFixtures, testRequest } from '../../support/adapters';

const receivedAt = '2024-05-03T16:00:00.000Z';
const req = (event = 'secret_scanning_alert', delivery = 'a1b2c3d4-0000-11ef-8f3a-7e1c2b3d4e5f') =>
  testRequest(receivedAt, { headers: { 'x-github-event': event, 'x-github-delivery': delivery } });
const { ctx, fixture, parseOne } = adapterHarness(githubSource, { receivedAt, headers: req().headers });

const ALERT_FIXTURES = ['secret-scanning-created-public', 'secret-scanning-created-private', 'secret-scanning-resolved', 'secret-scanning-publicly-leaked'];

describe('github source', () => {
  it('maps a created alert in a public repository', () => {
    const body = fixture('secret-scanning-created-public');
    const alert = parseOne(body);
    const secret = ctx.redactor.describe('github_personal_access_token', body.alert.secret);
    expect(alert).toEqual({
      title: 'GitHub Personal Access Token leaked in acme-corp/website',
      description: expect.stringContaining('GitHub secret scanning alert #7 (created) in public repository acme-corp/website.'),
      severity: 'critical',
      severityOriginal: 'action=created validity=unknown',
      category: 'secret-leak',
      entity: { kind: 'credential', key: `secret:${secret.fingerprint}`, display: `GitHub Personal Access Token …${secret.last4}` },
      observedAt: '2024-05-02T08:01:13Z',
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
    expect(githubSource.deliveryId(body, req())).toBe('github:acme-corp/website:7:created:2024-05-02T08:01:13Z');
    expect(githubSource.deliveryId(body, { ...req(), headers: { ...req().headers, 'x-github-delivery': 'forged' } })).toBe(
      githubSource.deliveryId(body, req()),
    );
  });

  it('rates a private repository with unknown validity high', () => {
    const alert = parseOne(fixture('secret-scanning-created-private'));
    expect(alert).toMatchObject({
      title: 'Mailchimp API Key leaked in acme-corp/payments-api',
      severity: 'high',
      severityOriginal: 'action=created validity=unknown',
      observedAt: '2024-05-03T14:22:05Z',
      labels: { visibility: 'private', validity: 'unknown', alertNumber: '42', action: 'created' },
    });
  });

  it('still produces an alert when resolved, with the same fingerprint as the created one', () => {
    const created = parseOne(fixture('secret-scanning-created-private'));
    const resolved = parseOne(fixture('secret-scanning-resolved'));
    expect(resolved).toMatchObject({
      title: 'Mailchimp API Key leaked in acme-corp/payments-api (resolved)',
      severity: 'high',
      severityOriginal: 'action=resolved validity=inactive',
      observedAt: '2024-05-03T15:40:00Z',
      labels: { action: 'resolved', validity: 'inactive' },
    });
    expect(resolved.description).toContain('Resolution: revoked.');
    expect(resolved.fingerprint).toBe(created.fingerprint);
    expect(resolved.entity).toEqual(created.entity);
  });

  it('rates a publicly leaked secret critical even in a private repository', () => {
    const alert = parseOne(fixture('secret-scanning-publicly-leaked'));
    expect(alert).toMatchObject({ severity: 'critical', severityOriginal: 'action=publicly_leaked validity=active', observedAt: '2024-05-02T09:30:00Z' });
    expect(alert.labels).toMatchObject({ action: 'publicly_leaked', visibility: 'private', repository: 'acme-corp/infra' });
  });

  it('rates an active secret critical', () => {
    const body = fixture('secret-scanning-created-private');
    body.alert.validity = 'active';
    expect(parseOne(body).severity).toBe('critical');
  });

  it('never lets the secret out: only its descriptor, the same one in every repository', () => {
    for (const name of ALERT_FIXTURES) {
      const body = fixture(name);
      const raw: string = body.alert.secret;
      const result = githubSource.parse(body, req(), ctx);
      const json = JSON.stringify(result);
      expect(json).not.toContain(raw);
      const d = ctx.redactor.describe(body.alert.secret_type, raw);
      expect(json).toContain(d.fingerprint);
      expect(json).toContain(`…${d.last4}`);
    }
    const website = parseOne(fixture('secret-scanning-created-public'));
    const infra = parseOne(fixture('secret-scanning-publicly-leaked'));
    expect(infra.entity.key).toBe(website.entity.key);
    expect(infra.secrets?.[0].fingerprint).toBe(website.secrets?.[0].fingerprint);
    expect(infra.fingerprint).not.toBe(website.fingerprint);
  });

  it('keeps the fingerprint stable across re-sends and distinct per alert', () => {
    const a = parseOne(fixture('secret-scanning-created-public'));
    expect(parseOne(fixture('secret-scanning-created-public')).fingerprint).toBe(a.fingerprint);
    const other = fixture('secret-scanning-created-public');
    other.alert.number = 8;
    expect(parseOne(other).fingerprint).not.toBe(a.fingerprint);
  });

  it('answers a ping with a control result', () => {
    expect(githubSource.parse(fixture('ping'), req('ping'), ctx)).toEqual({ kind: 'control', message: 'GitHub ping received (hook 482731904)' });
  });

  it('refuses other events and a missing event header', () => {
    const body = fixture('secret-scanning-created-public');
    const other = catchPayloadError(() => githubSource.parse(body, req('push'), ctx));
    expect(other.problems.join()).toMatch(/"push".*only secret_scanning_alert and ping/);
    const missing = catchPayloadError(() => githubSource.parse(body, { headers: {}, query: {}, receivedAt }, ctx));
    expect(missing.problems.join()).toContain('X-GitHub-Event');
  });

  it('names the fields that do not match', () => {
    const body = fixture('secret-scanning-created-public');
    delete body.alert.secret;
    body.repository.private = 'no';
    body.alert.created_at = 'yesterday';
    const err = catchPayloadError(() => githubSource.parse(body, req(), ctx));
    expect(err.source).toBe('github');
    expect(err.problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^alert\.secret: /), expect.stringMatching(/^repository\.private: .*boolean/), expect.stringMatching(/^alert\.created_at: .*ISO 8601/)]),
    );
  });

  it('returns or throws PayloadError for any input', () => {
    for (const bodies of anyBodies()) {
      expectOnlyAlertsOrPayloadError(githubSource, bodies, { numRuns: 300, req: fc.constantFrom(req(), req('ping')), ctx });
    }
    expectOnlyAlertsOrPayloadError(githubSource, mutatedFixtures(ALERT_FIXTURES.map((name) => fixture(name))), { numRuns: 300, req: req(), ctx });
  });
});
