import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../../lib/intake/source';
import { genericAlertSchema, genericSource } from '../../../lib/intake/sources/generic';
import { adapterHarness, anyBodies, expectOnlyAlertsOrPayloadError, mutatedFixtures } from '../../support/adapters';

const { receivedAt, ctx, req, fixture, parse, problemsOf } = adapterHarness(genericSource, {
  receivedAt: '2024-05-03T16:00:00.000Z',
  headers: { 'x-palisade-delivery': 'dlv-20240503-0001' },
});

describe('generic source', () => {
  it('maps a single alert', () => {
    const [alert] = parse(fixture('single'));
    expect(alert).toEqual({
      title: 'Outdated OpenSSL on build agent',
      description: expect.stringContaining('CVE-2023-0286'),
      severity: 'medium',
      severityOriginal: 'medium',
      category: 'vulnerability',
      entity: { kind: 'host', key: 'build-agent-07', display: 'build-agent-07.ci.acme.example' },
      observedAt: '2024-05-02T06:30:00Z',
      fingerprint: fingerprintOf('generic', 'scan-2024-05-02-0017', 'host', 'build-agent-07'),
      labels: { scanner: 'internal-inventory', cve: 'CVE-2023-0286', cvss: '7.4', internetFacing: 'false' },
    });
    expect(genericSource.deliveryId(fixture('single'), req)).toBe('dlv-20240503-0001');
    expect(genericSource.deliveryId(fixture('single'), { ...req, headers: {} })).toBeUndefined();
  });

  it('maps a batch to one alert each, with defaults filled in', () => {
    const alerts = parse(fixture('batch'));
    expect(alerts).toHaveLength(3);
    expect(alerts[0]).toMatchObject({
      severity: 'high',
      category: 'config-drift',
      entity: { kind: 'resource', key: 'arn:aws:s3:::acme-marketing-assets', display: 's3://acme-marketing-assets' },
      // Sent as 09:00+02:00: the same instant, in UTC.
      observedAt: '2024-05-02T07:00:00Z',
      labels: { account: '123456789012', region: 'eu-west-1' },
    });
    expect(alerts[1]).toEqual({
      title: 'Admin added to org outside change window',
      description: '',
      severity: 'low',
      severityOriginal: 'low',
      category: 'other',
      entity: { kind: 'account', key: 'octo-admin', display: 'octo-admin' },
      observedAt: receivedAt,
      fingerprint: fingerprintOf('generic', 'Admin added to org outside change window', 'account', 'octo-admin'),
      labels: {},
    });
    expect(alerts[2]).toMatchObject({ severity: 'critical', entity: { kind: 'repository', key: 'acme-corp/payments-api' } });
  });

  it('keeps the fingerprint on the sender id, whatever the title says', () => {
    const a = fixture('single');
    const b = { ...fixture('single'), title: 'OpenSSL still outdated', severity: 'high' };
    expect(parse(b)[0].fingerprint).toBe(parse(a)[0].fingerprint);
    expect(parse({ ...a, id: 'scan-2024-05-02-0018' })[0].fingerprint).not.toBe(parse(a)[0].fingerprint);
  });

  it('redacts secrets in free text and keeps their descriptors', () => {
    const token = 'xoxb-2048-1234567890-PalisadeFixtureTok';
    const [alert] = parse({ ...fixture('single'), description: `Slack bot token ${token} found in CI logs`, labels: { sample: token } });
    expect(JSON.stringify(alert)).not.toContain(token);
    expect(alert.description).toContain('[REDACTED slack_token');
    expect(alert.secrets).toEqual([ctx.redactor.describe('slack_token', token), ctx.redactor.describe('slack_token', token)]);
  });

  it('names fields and expected values when the body does not match', () => {
    const problems = problemsOf({ title: '', severity: 'urgent', entity: { kind: 'vm', key: 'x' }, observedAt: 'last tuesday', labels: { a: [] } });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^title: .*>=1/),
        expect.stringMatching(/^severity: .*"info"\|"low"\|"medium"\|"high"\|"critical"/),
        expect.stringMatching(/^entity\.kind: .*"host"\|"credential"/),
        expect.stringMatching(/^observedAt: .*ISO 8601/),
        expect.stringMatching(/^labels\.a: /),
      ]),
    );
    expect(problemsOf([fixture('single'), { title: 'x' }])).toEqual(
      expect.arrayContaining([expect.stringMatching(/^1\.severity: /), expect.stringMatching(/^1\.entity: /)]),
    );
    expect(problemsOf([])).toEqual([expect.stringContaining('at least one alert')]);
    expect(problemsOf(Array.from({ length: 101 }, () => fixture('single')))).toEqual([expect.stringContaining('at most 100')]);
    expect(problemsOf('hello')[0]).toMatch(/^\(body\): .*object/);
  });

  it('exports its schema for the docs', () => {
    expect(genericAlertSchema.safeParse(fixture('single')).success).toBe(true);
  });

  it('returns or throws PayloadError for any input', () => {
    for (const bodies of [...anyBodies(), mutatedFixtures([fixture('single'), fixture('batch')])]) {
      expectOnlyAlertsOrPayloadError(genericSource, bodies, { numRuns: 300, req, ctx });
    }
  });
});
