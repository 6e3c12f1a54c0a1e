import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../../lib/intake/source';
import { splunkSource } from '../../../lib/intake/sources/splunk';
import { adapterHarness, anyBodies, expectOnlyAlertsOrPayloadError, mutatedFixtures } from '../../support/adapters';

const { receivedAt, ctx, req, fixture, parse, problemsOf } = adapterHarness(splunkSource, { receivedAt: '2024-05-01T12:00:00.000Z' });
const FIXTURES = ['with-result', 'no-result', 'results-batch', 'doc-example', 'result-dest-forwarded'];

describe('splunk source', () => {
  it('maps a webhook with a result row', () => {
    const body = fixture('with-result');
    expect(parse(body)).toEqual([
      {
        title: 'Endpoint - Suspicious Shell Spawned by Web Server - Rule',
        description: expect.stringContaining('a0="/bin/sh"'),
        severity: 'high',
        severityOriginal: 'high',
        category: 'host-compromise',
        entity: { kind: 'host', key: 'web-01.corp.example.com', display: 'WEB-01.corp.example.com' },
        observedAt: '2024-05-01T12:34:56.000Z',
        fingerprint: fingerprintOf('splunk', 'SplunkEnterpriseSecuritySuite', body.search_name, 'host', 'web-01.corp.example.com'),
        labels: expect.objectContaining({
          sid: body.sid,
          app: 'SplunkEnterpriseSecuritySuite',
          owner: 'admin',
          search_name: body.search_name,
          results_link: body.results_link,
          host: 'WEB-01.corp.example.com',
          user: 'www-data',
          urgency: 'high',
          sourcetype: 'linux:audit',
        }),
      },
    ]);
    expect(splunkSource.deliveryId(body, req)).toMatch(new RegExp(`^${body.sid}:[0-9a-f]{32}$`));
  });

  it('tells apart the POSTs of one search run ("For each result": one per row, one sid), and keeps a re-sent POST the same delivery', () => {
    const body = fixture('with-result');
    const web2 = { ...body, result: { ...body.result, host: 'web-02.corp.example.com', dest: 'web-02.corp.example.com' } };
    const id1 = splunkSource.deliveryId(body, req);
    const id2 = splunkSource.deliveryId(web2, req);
    expect(id1).toMatch(new RegExp(`^${body.sid}:`));
    expect(id2).toMatch(new RegExp(`^${body.sid}:`));
    expect(id2).not.toBe(id1);
    expect(splunkSource.deliveryId(fixture('with-result'), req)).toBe(id1);
    expect(splunkSource.deliveryId(fixture('no-result'), req)).toMatch(/:[0-9a-f]{32}$/);
    expect(splunkSource.deliveryId({ search_name: 'no sid' }, req)).toBeUndefined();
  });

  it('maps a webhook without result to one alert about the search', () => {
    const body = fixture('no-result');
    expect(parse(body)).toEqual([
      {
        title: 'Audit - Windows Audit Policy Changed',
        description: expect.stringContaining(body.results_link),
        severity: 'medium',
        severityOriginal: 'unspecified',
        category: 'config-drift',
        entity: {
          kind: 'resource',
          key: 'splunk-search:search/Audit - Windows Audit Policy Changed',
          display: 'Splunk search "Audit - Windows Audit Policy Changed" (no result row: nothing names a dest, host, user or src)',
        },
        observedAt: receivedAt,
        fingerprint: fingerprintOf('splunk', 'search', 'Audit - Windows Audit Policy Changed', 'resource', 'splunk-search:search/Audit - Windows Audit Policy Changed'),
        labels: { sid: body.sid, search_name: body.search_name, app: 'search', owner: 'admin', results_link: body.results_link },
      },
    ]);
  });

  it('maps a results batch to one alert per row, with one delivery id', () => {
    const body = fixture('results-batch');
    const alerts = parse(body);
    expect(alerts).toHaveLength(3);
    expect(alerts.map((a) => [a.severity, a.severityOriginal, a.category])).toEqual([
      ['critical', '5', 'host-compromise'],
      ['low', '2', 'host-compromise'],
      ['info', 'informational', 'host-compromise'],
    ]);
    expect(alerts.map((a) => a.entity)).toEqual([
      { kind: 'host', key: 'dc01.corp.example.com', display: 'DC01.corp.example.com' },
      { kind: 'host', key: 'vpn-gw-02', display: 'vpn-gw-02' },
      { kind: 'account', key: 'svc_backup', display: 'svc_backup' },
    ]);
    expect(alerts.map((a) => a.observedAt)).toEqual(['2024-05-01T13:39:12.000Z', '2024-05-01T13:38:32.000Z', receivedAt]);
    expect(alerts[0].labels).toMatchObject({ row: '0', src: '203.0.113.45', user: 'administrator', signature: 'Brute Force Access Behavior Detected' });
    expect(alerts[2].labels).toMatchObject({ row: '2', user: 'svc_backup' });
    expect(new Set(alerts.map((a) => a.fingerprint)).size).toBe(3);
    expect(splunkSource.deliveryId(body, req)).toMatch(new RegExp(`^${body.sid}:[0-9a-f]{32}$`));
  });

  it('takes the CIM dest (the endpoint the event is about) before host (the machine that reported it), and the user before the src', () => {
    const body = fixture('result-dest-forwarded');
    expect(parse(body)[0]).toMatchObject({
      category: 'host-compromise',
      entity: { kind: 'host', key: 'fin-laptop-17', display: 'FIN-LAPTOP-17' },
      labels: { host: 'wec-collector-01', dest: 'FIN-LAPTOP-17', src: '10.20.17.5' },
    });
    const { dest: _dest, host: _host, ...row } = body.result;
    expect(parse({ ...body, result: row })[0].entity).toEqual({ kind: 'account', key: 'corp\\mlee', display: 'CORP\\mlee' });
    expect(parse({ ...body, result: { src: '10.20.17.5' } })[0].entity).toEqual({ kind: 'host', key: '10.20.17.5', display: '10.20.17.5' });
  });

  it('maps the documented example (ad-hoc search, no name, no host)', () => {
    const body = fixture('doc-example');
    const [alert] = parse(body);
    expect(alert).toMatchObject({
      title: `Splunk search ${body.sid}`,
      description: 'sourcetype=mongod count=8',
      severity: 'medium',
      category: 'other',
      entity: {
        kind: 'resource',
        key: `splunk-search:search/${body.sid}`,
        display: `Splunk search "${body.sid}" (no dest, host, user or src field in the result)`,
      },
      labels: { sid: body.sid, app: 'search', owner: 'admin', sourcetype: 'mongod' },
    });
    expect(alert.labels).not.toHaveProperty('search_name');
  });

  it.each([
    ['informational', 'info'], ['low', 'low'], ['medium', 'medium'], ['High', 'high'], ['critical', 'critical'],
    ['1', 'info'], ['2', 'low'], ['3', 'medium'], ['4', 'high'], ['5', 'critical'], ['severe', 'medium'],
  ])('maps urgency %s to %s', (urgency, severity) => {
    const body = fixture('with-result');
    const [alert] = parse({ ...body, result: { ...body.result, urgency } });
    expect(alert.severity).toBe(severity);
    expect(alert.severityOriginal).toBe(urgency);
  });

  it('reads severity when there is no urgency, and numbers as well as strings', () => {
    const body = fixture('with-result');
    const { urgency: _urgency, ...row } = body.result;
    expect(parse({ ...body, result: { ...row, severity: 4 } })[0]).toMatchObject({ severity: 'high', severityOriginal: '4' });
  });

  it('keeps one fingerprint per search and entity, across runs and re-sends', () => {
    const body = fixture('with-result');
    const [first] = parse(body);
    const rerun = { ...body, sid: 'scheduler__admin__other_at_1714570000_1', results_link: 'https://x/', result: { ...body.result, _time: '1714570000', _raw: 'again' } };
    expect(parse(rerun)[0].fingerprint).toBe(first.fingerprint);
    expect(parse(body)[0].fingerprint).toBe(first.fingerprint);
    expect(parse({ ...body, result: { ...body.result, dest: 'web-02' } })[0].fingerprint).not.toBe(first.fingerprint);
    expect(parse({ ...body, search_name: 'Another search' })[0].fingerprint).not.toBe(first.fingerprint);
  });

  it('names the fields when the body does not match', () => {
    expect(problemsOf({ ...fixture('with-result'), sid: 42, result: 'host=web-01' })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^sid: /), expect.stringMatching(/^result: /)]),
    );
    expect(problemsOf({ ...fixture('results-batch'), results: [{ host: 'a' }, 'b'] })).toEqual([expect.stringMatching(/^results\.1: /)]);
    expect(problemsOf({ search_name: 'x' })).toEqual([expect.stringMatching(/^sid: /)]);
    expect(problemsOf('hello')[0]).toMatch(/^\(body\): /);
  });

  it('keeps secrets out of titles, descriptions, labels and entities', () => {
    const aws = 'AKIAIOSFODNN7EXAMPLE';
    const ghp = `ghp_${'A1b2C3d4E5'.repeat(3)}x9Y8z7`;
    const body = fixture('with-result');
    const leaky = {
      ...body,
      search_name: `Token ${ghp} used`,
      result: { ...body.result, _raw: `curl -H "X-Key: ${aws}" https://internal`, user: aws, signature: ghp },
    };
    const alerts = parse(leaky);
    const text = JSON.stringify(alerts);
    expect(text).not.toContain(aws);
    expect(text).not.toContain(ghp);
    expect(alerts[0].description).toContain('[REDACTED aws_access_key_id');
    expect(alerts[0].secrets).toEqual(
      expect.arrayContaining([ctx.redactor.describe('aws_access_key_id', aws), ctx.redactor.describe('github_token', ghp)]),
    );
    expect(JSON.stringify(parse({ ...fixture('results-batch'), results: [{ _raw: `key=${aws}` }] }))).not.toContain(aws);
  });

  it('returns well-formed alerts or throws PayloadError, for any input', () => {
    for (const bodies of [...anyBodies(), mutatedFixtures(FIXTURES.map((name) => fixture(name)))]) {
      expectOnlyAlertsOrPayloadError(splunkSource, bodies, { numRuns: 300, req, ctx, normalizedTimes: true });
    }
  });
});
