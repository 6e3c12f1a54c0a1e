import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../../lib/intake/source';
import { wazuhSource } from '../../../lib/intake/sources/wazuh';
import { adapterHarness, anyBodies, expectOnlyAlertsOrPayloadError, mutatedFixtures } from '../../support/adapters';

const { receivedAt, ctx, req, fixture, parse, problemsOf } = adapterHarness(wazuhSource, { receivedAt: '2024-05-01T12:00:00.000Z' });
const FIXTURES = [
  'level3-pam', 'level7-syscheck', 'level7-sca', 'level10-bruteforce', 'level12-web-attack', 'level13-vulnerability', 'level15-malware',
  'integration-test-alert', 'syslog-remote-host', 'shuffle-wrapped',
];

describe('wazuh source', () => {
  it.each([
    ['level3-pam', 'PAM: Login session opened.', 'info', 'level 3', 'other', 'db-01', 'db-01 (agent 003, 10.0.3.11)', '2024-05-01T12:30:01.123Z'],
    ['level7-syscheck', 'Integrity checksum changed.', 'low', 'level 7', 'config-drift', 'web-01', 'WEB-01 (agent 001, 10.0.1.10)', '2024-05-01T12:41:17.450Z'],
    ['level7-sca', 'CIS Ubuntu Linux 22.04 LTS Benchmark v1.0.0: Ensure SSH root login is disabled.', 'low', 'level 7', 'config-drift', 'web-01', 'WEB-01 (agent 001, 10.0.1.10)', '2024-05-01T13:00:05.001Z'],
    ['level10-bruteforce', 'sshd: brute force trying to get access to the system. Non existent user.', 'medium', 'level 10', 'host-compromise', 'bastion-01', 'bastion-01 (agent 002, 10.0.0.5)', '2024-05-01T13:12:44.908Z'],
    ['level12-web-attack', 'A web attack returned code 200 (success).', 'high', 'level 12', 'host-compromise', 'web-01', 'WEB-01 (agent 001, 10.0.1.10)', '2024-05-01T13:20:09.000Z'],
    ['level13-vulnerability', 'CVE-2024-3094 affects xz-utils', 'high', 'level 13', 'vulnerability', 'build-07', 'build-07 (agent 007, 10.0.7.70)', '2024-05-01T13:30:00.312Z'],
    ['level15-malware', 'Known crypto-miner binary executed (xmrig).', 'critical', 'level 15', 'host-compromise', 'k8s-node-3', 'k8s-node-3 (agent 004, 10.0.4.33)', '2024-05-01T13:45:51.777Z'],
  ])('maps %s', (name, title, severity, severityOriginal, category, key, display, observedAt) => {
    const body = fixture(name);
    const alerts = parse(body);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ title, severity, severityOriginal, category, entity: { kind: 'host', key, display }, observedAt });
    expect(alerts[0].description).toBe(body.full_log ?? body.rule.description);
    expect(alerts[0].labels).toMatchObject({
      rule_id: body.rule.id,
      rule_level: String(body.rule.level),
      groups: (body.rule.groups as string[]).join(','),
      agent_id: body.agent.id,
      manager: body.manager.name,
    });
    expect(wazuhSource.deliveryId(body, req)).toBe(`${body.manager.name}:${body.id}`);
  });

  it('accepts Wazuh\'s own integration test alert (no manager, an empty rule id, an unreadable timestamp)', () => {
    const body = fixture('integration-test-alert');
    expect(parse(body)).toEqual([
      expect.objectContaining({
        title: 'alert description',
        severity: 'info',
        entity: { kind: 'host', key: 'agent', display: 'agent (agent 001)' },
        observedAt: receivedAt,
        fingerprint: fingerprintOf('wazuh', undefined, '001', '', '/path/to/file'),
      }),
    ]);
    expect(wazuhSource.deliveryId(body, req)).toBe('wazuh:alert_id');
  });

  it('maps syslog the manager received from another host (agent 000) to the host the predecoder names', () => {
    const [alert] = parse(fixture('syslog-remote-host'));
    expect(alert).toMatchObject({
      category: 'host-compromise',
      entity: { kind: 'host', key: 'fw-edge-01', display: 'fw-edge-01 (syslog from 192.168.10.1 to wazuh-manager)' },
      labels: { agent_id: '000', srcip: '198.51.100.23', hostname: 'fw-edge-01' },
    });
    expect(alert.fingerprint).toBe(fingerprintOf('wazuh', 'wazuh-manager', '000', '5763', 'fw-edge-01'));
    const own = fixture('syslog-remote-host');
    own.predecoder.hostname = 'wazuh-manager';
    expect(parse(own)[0].entity).toMatchObject({ key: 'wazuh-manager', display: 'wazuh-manager (agent 000)' });
  });

  it('reads an alert wrapped by Wazuh\'s Shuffle integration (all_fields) as the alert itself', () => {
    const body = fixture('shuffle-wrapped');
    expect(parse(body)).toEqual(parse(fixture('level12-web-attack')));
    expect(wazuhSource.deliveryId(body, req)).toBe(wazuhSource.deliveryId(fixture('level12-web-attack'), req));
  });

  it('labels the file, CVE, MITRE techniques and source IP', () => {
    expect(parse(fixture('level7-syscheck'))[0].labels).toMatchObject({ file: '/etc/ssh/sshd_config', mitre: 'T1565.001', location: 'syscheck' });
    expect(parse(fixture('level13-vulnerability'))[0].labels).toMatchObject({ cve: 'CVE-2024-3094' });
    expect(parse(fixture('level10-bruteforce'))[0].labels).toMatchObject({ srcip: '203.0.113.45', mitre: 'T1110', decoder: 'sshd' });
  });

  it.each([
    [0, 'info'], [3, 'info'], [4, 'low'], [7, 'low'], [8, 'medium'], [11, 'medium'], [12, 'high'], [14, 'high'], [15, 'critical'],
  ])('maps rule level %i to %s', (level, severity) => {
    const body = fixture('level3-pam');
    expect(parse({ ...body, rule: { ...body.rule, level } })[0]).toMatchObject({ severity, severityOriginal: `level ${level}` });
  });

  it('counts authentication failures as a compromise only from level 10', () => {
    const body = fixture('level10-bruteforce');
    expect(parse({ ...body, rule: { ...body.rule, level: 5 } })[0].category).toBe('other');
    expect(parse({ ...body, rule: { ...body.rule, groups: ['ossec', 'rootcheck'] } })[0].category).toBe('host-compromise');
  });

  it('keeps one fingerprint per rule, agent and subject, across alerts', () => {
    const body = fixture('level7-syscheck');
    const [first] = parse(body);
    expect(first.fingerprint).toBe(fingerprintOf('wazuh', 'wazuh-manager', '001', '550', '/etc/ssh/sshd_config'));
    const again = { ...body, id: '1714570000.1', timestamp: '2024-05-02T00:00:00.000+0000', full_log: 'changed again' };
    expect(parse(again)[0].fingerprint).toBe(first.fingerprint);
    expect(wazuhSource.deliveryId(again, req)).not.toBe(wazuhSource.deliveryId(body, req));
    expect(parse({ ...body, syscheck: { ...body.syscheck, path: '/etc/passwd' } })[0].fingerprint).not.toBe(first.fingerprint);
    expect(parse({ ...body, agent: { id: '002', name: 'bastion-01' } })[0].fingerprint).not.toBe(first.fingerprint);
    const vuln = fixture('level13-vulnerability');
    const otherCve = structuredClone(vuln);
    otherCve.data.vulnerability.cve = 'CVE-2024-6387';
    expect(parse(otherCve)[0].fingerprint).not.toBe(parse(vuln)[0].fingerprint);
  });

  it('falls back to the receive time for an unreadable timestamp, and accepts numeric ids', () => {
    const body = fixture('level3-pam');
    const [alert] = parse({ ...body, timestamp: 'May  1 12:30:01', rule: { ...body.rule, id: 5501 } });
    expect(alert.observedAt).toBe(receivedAt);
    expect(alert.labels.rule_id).toBe('5501');
    const { ip: _ip, ...agent } = body.agent;
    expect(parse({ ...body, agent })[0].entity.display).toBe('db-01 (agent 003)');
  });

  it('names the fields when the body does not match', () => {
    const body = fixture('level7-syscheck');
    expect(problemsOf({ ...body, rule: { ...body.rule, level: 'high', groups: 'syscheck' }, agent: undefined })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^rule\.level: /), expect.stringMatching(/^rule\.groups: /), expect.stringMatching(/^agent: /)]),
    );
    expect(problemsOf({ ...body, rule: { ...body.rule, level: 16 } })).toEqual([expect.stringMatching(/^rule\.level: /)]);
    expect(problemsOf({ ...body, agent: { id: '001', name: '' } })).toEqual([expect.stringMatching(/^agent\.name: /)]);
    expect(problemsOf({ ...body, manager: { name: 7 } })).toEqual([expect.stringMatching(/^manager\.name: /)]);
    expect(problemsOf([body])[0]).toMatch(/^\(body\): /);
    expect(wazuhSource.deliveryId({ ...body, id: undefined }, req)).toBeUndefined();
  });

  it('keeps secrets out of titles, descriptions, labels and entities', () => {
    const aws = 'AKIAIOSFODNN7EXAMPLE';
    const ghp = `ghp_${'A1b2C3d4E5'.repeat(3)}x9Y8z7`;
    const body = fixture('level3-pam');
    const leaky = {
      ...body,
      full_log: `May  1 12:30:01 db-01 sudo: deploy : COMMAND=/usr/bin/env AWS_ACCESS_KEY_ID=${aws} GITHUB_TOKEN=${ghp} ./deploy.sh`,
      rule: { ...body.rule, description: `Token ${ghp} seen` },
      location: `/home/deploy/${aws}.log`,
    };
    const [alert] = parse(leaky);
    const text = JSON.stringify(alert);
    expect(text).not.toContain(aws);
    expect(text).not.toContain(ghp);
    expect(alert.description).toContain('[REDACTED aws_access_key_id');
    expect(alert.secrets).toEqual(
      expect.arrayContaining([ctx.redactor.describe('aws_access_key_id', aws), ctx.redactor.describe('github_token', ghp)]),
    );
  });

  it('returns well-formed alerts or throws PayloadError, for any input', () => {
    for (const bodies of [...anyBodies(), mutatedFixtures(FIXTURES.map((name) => fixture(name)))]) {
      expectOnlyAlertsOrPayloadError(wazuhSource, bodies, { numRuns: 300, req, ctx, normalizedTimes: true });
    }
  });
});
