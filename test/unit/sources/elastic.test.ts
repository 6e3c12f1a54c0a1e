import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../../lib/intake/source';
import { elasticSource } from '../../../lib/intake/sources/elastic';
import { adapterHarness, anyBodies, expectOnlyAlertsOrPayloadError, mutatedFixtures } from '../../support/adapters';

const { receivedAt, ctx, req, fixture, parse, problemsOf } = adapterHarness(elasticSource, { receivedAt: '2024-05-01T12:00:00.000Z' });
const FIXTURES = ['flat', 'nested', 'batch', 'endpoint-malware', 'endpoint-behavior', 'endpoint-hits', 'legacy-signal'];

/** The nested form of a flat document: `{"a.b": 1}` → `{a: {b: 1}}`. */
function nest(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, any> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split('.');
    const parent = parts.slice(0, -1).reduce((node, p) => (node[p] ??= {}), out);
    parent[parts[parts.length - 1]] = value;
  }
  return out;
}

describe('elastic source', () => {
  it('maps a flat (dotted-key) alert document', () => {
    const body = fixture('flat');
    expect(parse(body)).toEqual([
      {
        title: 'Potential Credential Access via LSASS Memory Dump',
        description: body['kibana.alert.reason'],
        severity: 'high',
        severityOriginal: 'high',
        category: 'host-compromise',
        entity: { kind: 'host', key: 'ws-0042', display: 'WS-0042' },
        observedAt: '2024-05-01T12:35:02.114Z',
        fingerprint: fingerprintOf('elastic', '3c2f8a90-07a4-11ef-9a6b-6b1f4c0a5e21', 'host', 'ws-0042'),
        labels: {
          rule_name: 'Potential Credential Access via LSASS Memory Dump',
          rule_id: '9960432d-9b26-409f-972b-839a959e79e2',
          rule_uuid: '3c2f8a90-07a4-11ef-9a6b-6b1f4c0a5e21',
          alert_uuid: body['kibana.alert.uuid'],
          risk_score: '73',
          tags: 'Domain: Endpoint,OS: Windows,Use Case: Threat Detection,Tactic: Credential Access,Data Source: Elastic Defend',
          host: 'WS-0042',
          user: 'jsmith',
        },
      },
    ]);
    expect(elasticSource.deliveryId(body, req)).toBe(body['kibana.alert.uuid']);
  });

  it('maps a nested alert document', () => {
    const body = fixture('nested');
    expect(parse(body)).toEqual([
      {
        title: 'Secret Exposure in Kubernetes ConfigMap',
        description: body.kibana.alert.reason,
        severity: 'medium',
        severityOriginal: 'medium',
        category: 'secret-leak',
        entity: { kind: 'account', key: 'system:serviceaccount:ci:deployer', display: 'system:serviceaccount:ci:deployer' },
        observedAt: '2024-05-01T14:02:11.500Z',
        fingerprint: fingerprintOf('elastic', '7d1e4f20-07b1-11ef-9a6b-6b1f4c0a5e21', 'account', 'system:serviceaccount:ci:deployer'),
        labels: expect.objectContaining({ rule_id: 'palisade-custom-k8s-configmap-secret', tags: 'Domain: Cloud,Data Source: Kubernetes,Use Case: Secret Exposure' }),
      },
    ]);
    expect(elasticSource.deliveryId(body, req)).toBe(body.kibana.alert.uuid);
  });

  it('reads flat, nested and mixed forms of one document alike', () => {
    const flat = fixture('flat');
    const expected = parse(flat);
    expect(parse(nest(flat))).toEqual(expected);
    const { 'host.name': hostName, 'user.name': userName, ...rest } = flat;
    expect(parse({ ...rest, host: { name: hostName }, user: { name: userName } })).toEqual(expected);
    expect(elasticSource.deliveryId(nest(flat), req)).toBe(flat['kibana.alert.uuid']);
  });

  it('maps an alerts batch to one alert per element, without a delivery id', () => {
    const body = fixture('batch');
    const alerts = parse(body);
    expect(alerts.map((a) => [a.title, a.severity, a.severityOriginal, a.category])).toEqual([
      ['Linux Restricted Shell Breakout via Linux Binary(s)', 'critical', 'critical', 'host-compromise'],
      ['Vulnerable Package Detected: CVE-2024-3094 (xz-utils)', 'medium', 'risk_score 47', 'vulnerability'],
      ['Azure Storage Account Network Policy Changed', 'low', 'low', 'config-drift'],
    ]);
    expect(alerts.map((a) => a.entity)).toEqual([
      { kind: 'host', key: 'web-02', display: 'web-02' },
      { kind: 'host', key: 'build-07', display: 'BUILD-07' },
      {
        kind: 'resource',
        key: 'elastic-rule:70cc3f80-07a4-11ef-9a6b-6b1f4c0a5e21',
        display: 'Elastic rule "Azure Storage Account Network Policy Changed" (no host.name, host.hostname or user.name in the alert)',
      },
    ]);
    expect(alerts.map((a) => a.observedAt)).toEqual(['2024-05-01T15:10:00.000Z', '2024-05-01T15:11:30.000Z', '2024-05-01T15:12:45.250Z']);
    expect(alerts[1].description).toBe('Vulnerable Package Detected: CVE-2024-3094 (xz-utils)');
    expect(elasticSource.deliveryId(body, req)).toBeUndefined();
    expect(elasticSource.deliveryId({ alerts: [body.alerts[0]] }, req)).toBe(body.alerts[0]['kibana.alert.uuid']);
    expect(parse({ alerts: [] })).toEqual([]);
  });

  it.each([
    [0, 'low'], [21, 'low'], [22, 'medium'], [47, 'medium'], [48, 'high'], [73, 'high'], [74, 'critical'], [100, 'critical'], ['73', 'high'],
  ])('maps risk score %s to %s when no severity is sent', (score, severity) => {
    const { 'kibana.alert.severity': _severity, ...doc } = fixture('flat');
    expect(parse({ ...doc, 'kibana.alert.risk_score': score })[0]).toMatchObject({ severity, severityOriginal: `risk_score ${Number(score)}` });
  });

  it('maps an Elastic Defend malware alert (event.kind alert, rule.ruleset only, no kibana.alert.*) to its host', () => {
    const body = fixture('endpoint-malware');
    expect(parse(body)).toEqual([
      {
        title: 'Malware Prevention Alert',
        description: 'Malware Prevention Alert',
        severity: 'high',
        severityOriginal: 'risk_score 73',
        category: 'host-compromise',
        entity: { kind: 'host', key: 'ws-0042', display: 'WS-0042' },
        observedAt: '2024-05-03T09:41:17.594Z',
        fingerprint: fingerprintOf('elastic', 'endpoint:malicious_file', 'host', 'ws-0042'),
        labels: expect.objectContaining({ host: 'WS-0042', user: 'jsmith', event_code: 'malicious_file', alert_id: 'MYfSjQEEEFe1o09b+++++D5Q', file: 'C:\\Users\\jsmith\\Downloads\\invoice_0503.dll' }),
      },
    ]);
    expect(elasticSource.deliveryId(body, req)).toBe('MYfSjQEEEFe1o09b+++++D5Q');
  });

  it('maps an Elastic Defend behavior alert by its rule.name, rule.id and tactic', () => {
    const [alert] = parse(fixture('endpoint-behavior'));
    expect(alert).toMatchObject({
      title: 'Reverse Shell via Suspicious Child Process',
      description: expect.stringContaining('reverse shell'),
      severity: 'high',
      category: 'host-compromise',
      entity: { kind: 'host', key: 'web-01.corp.example.com', display: 'web-01.corp.example.com' },
      fingerprint: fingerprintOf('elastic', 'b6e8c090-f0ec-4c4e-af00-55ac2a9f9b41', 'host', 'web-01.corp.example.com'),
      labels: { rule_name: 'Reverse Shell via Suspicious Child Process', rule_uuid: 'b6e8c090-f0ec-4c4e-af00-55ac2a9f9b41', tags: 'Execution', event_code: 'behavior' },
    });
  });

  it('reads Elasticsearch hits (an Elasticsearch query rule\'s {{context.hits}}) by their _source', () => {
    const body = fixture('endpoint-hits');
    const alerts = parse(body);
    expect(alerts.map((a) => [a.title, a.entity.key])).toEqual([
      ['Reverse Shell via Suspicious Child Process', 'web-01.corp.example.com'],
      ['Malware Prevention Alert', 'ws-0042'],
    ]);
    expect(parse({ alerts: [body.alerts[0]] })).toEqual(parse(fixture('endpoint-behavior')));
    expect(elasticSource.deliveryId({ alerts: [body.alerts[1]] }, req)).toBe('MYfSjQEEEFe1o09b+++++D5Q');
    expect(elasticSource.deliveryId(body, req)).toBeUndefined();
  });

  it('maps a legacy (7.x) signal document by its signal.rule.* fields', () => {
    const [alert] = parse(fixture('legacy-signal'));
    expect(alert).toMatchObject({
      title: 'AWS RDS Snapshot Export',
      description: expect.stringContaining('203.0.113.5'),
      severity: 'low',
      severityOriginal: 'low',
      entity: { kind: 'account', key: 'deploy-bot' },
      observedAt: '2021-09-14T08:22:31.114Z',
      fingerprint: fingerprintOf('elastic', '6c4f3a80-153c-11ec-9b2a-bf6d0b1f1a11', 'account', 'deploy-bot'),
      labels: { rule_id: 'e14c5fd7-fdd7-49c2-9e5b-ec49d817bc8d', risk_score: '21' },
    });
  });

  it('says which fields it looked for when a document names no host or user', () => {
    const { 'host.name': _h, 'user.name': _u, ...doc } = fixture('flat');
    expect(parse(doc)[0].entity).toEqual({
      kind: 'resource',
      key: 'elastic-rule:3c2f8a90-07a4-11ef-9a6b-6b1f4c0a5e21',
      display: 'Elastic rule "Potential Credential Access via LSASS Memory Dump" (no host.name, host.hostname or user.name in the alert)',
    });
  });

  it('defaults to medium without severity or risk score, and to the receive time without @timestamp', () => {
    const { 'kibana.alert.severity': _s, 'kibana.alert.risk_score': _r, '@timestamp': _t, ...doc } = fixture('flat');
    expect(parse(doc)[0]).toMatchObject({ severity: 'medium', severityOriginal: 'unspecified', observedAt: receivedAt });
    expect(parse({ ...doc, '@timestamp': 'yesterday' })[0].observedAt).toBe(receivedAt);
  });

  it('keeps one fingerprint per rule and entity, across alert instances', () => {
    const body = fixture('flat');
    const [first] = parse(body);
    const later = { ...body, 'kibana.alert.uuid': 'another', '@timestamp': '2024-05-02T00:00:00Z', 'kibana.alert.reason': 'again' };
    expect(parse(later)[0].fingerprint).toBe(first.fingerprint);
    expect(parse(nest(body))[0].fingerprint).toBe(first.fingerprint);
    expect(parse({ ...body, 'host.name': 'WS-0043' })[0].fingerprint).not.toBe(first.fingerprint);
    expect(parse({ ...body, 'kibana.alert.rule.uuid': 'other-rule' })[0].fingerprint).not.toBe(first.fingerprint);
  });

  it('names the fields (by dotted path) when the body does not match', () => {
    expect(problemsOf({ ...fixture('flat'), 'kibana.alert.rule.name': 5, 'kibana.alert.severity': 'severe' })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^kibana\.alert\.rule\.name: /), expect.stringMatching(/^kibana\.alert\.severity: /)]),
    );
    const nested = fixture('nested');
    nested.kibana.alert.rule.tags = 'Domain: Cloud';
    expect(problemsOf(nested)).toEqual([expect.stringMatching(/^kibana\.alert\.rule\.tags: /)]);
    const batch = fixture('batch');
    delete batch.alerts[1]['kibana.alert.rule.name'];
    expect(problemsOf(batch)).toEqual([expect.stringMatching(/^alerts\.1\.kibana\.alert\.rule\.name: /)]);
    expect(problemsOf({ alerts: ['x'] })).toEqual([expect.stringMatching(/^alerts\.0: /)]);
    const { 'kibana.alert.rule.name': _name, ...nameless } = fixture('flat');
    expect(problemsOf(nameless)).toEqual([
      'kibana.alert.rule.name: expected a detection alert (kibana.alert.rule.name, or signal.rule.name before 8.0) or an Elastic Defend alert (event.kind "alert" with rule.name or message)',
    ]);
    expect(problemsOf('hello')[0]).toMatch(/^\(body\): /);
  });

  it('keeps secrets out of titles, descriptions, labels and entities', () => {
    const aws = 'AKIAIOSFODNN7EXAMPLE';
    const ghp = `ghp_${'A1b2C3d4E5'.repeat(3)}x9Y8z7`;
    const body = { ...fixture('flat'), 'kibana.alert.reason': `git push with ${ghp} and ${aws}`, 'user.name': aws, 'kibana.alert.rule.tags': [ghp] };
    const alerts = parse({ alerts: [body, nest(body)] });
    const text = JSON.stringify(alerts);
    expect(text).not.toContain(aws);
    expect(text).not.toContain(ghp);
    expect(alerts[0].description).toContain('[REDACTED github_token');
    expect(alerts[1].secrets).toEqual(
      expect.arrayContaining([ctx.redactor.describe('aws_access_key_id', aws), ctx.redactor.describe('github_token', ghp)]),
    );
  });

  it('returns well-formed alerts or throws PayloadError, for any input', () => {
    for (const bodies of [...anyBodies(), mutatedFixtures([...FIXTURES.map((name) => fixture(name)), nest(fixture('flat'))])]) {
      expectOnlyAlertsOrPayloadError(elasticSource, bodies, { numRuns: 300, req, ctx, normalizedTimes: true });
    }
  });
});
