import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../../lib/intake/source';
import { falcoSource } from '../../../lib/intake/sources/falco';
import { adapterHarness, anyBodies, expectOnlyAlertsOrPayloadError, mutatedFixtures } from '../../support/adapters';

const { receivedAt, ctx, req, fixture, parse, problemsOf } = adapterHarness(falcoSource, { receivedAt: '2024-05-01T12:00:00.000Z' });
const FIXTURES = [
  'critical-drift', 'error-write-bin', 'warning-sensitive-file', 'notice-shell',
  'informational-k8s-deployment', 'warning-k8s-configmap-credentials', 'notice-k8s-exec',
  'warning-k8s-privileged-pod', 'warning-k8s-cluster-admin-binding', 'critical-cloudtrail-console-login-no-mfa', 'warning-sidekick-v2-payload',
];
const NODE = 'ip-10-0-12-34.eu-west-1.compute.internal';

describe('falco source', () => {
  it('maps a syscall event on a container', () => {
    const body = fixture('critical-drift');
    expect(parse(body)).toEqual([
      {
        title: 'Drop and execute new binary in container',
        description: body.output,
        severity: 'critical',
        severityOriginal: 'Critical',
        category: 'host-compromise',
        entity: { kind: 'host', key: NODE, display: NODE },
        observedAt: '2024-05-01T12:40:01.123Z',
        fingerprint: fingerprintOf('falco', 'Drop and execute new binary in container', 'host', NODE, '3ad7b26ded6d'),
        labels: {
          rule: 'Drop and execute new binary in container',
          priority: 'Critical',
          source: 'syscall',
          tags: 'maturity_stable,container,process,mitre_persistence,TA0003,PCI_DSS_11.5.1',
          hostname: NODE,
          'container.id': '3ad7b26ded6d',
          'container.name': 'checkout',
          'container.image.repository': 'ghcr.io/acme/checkout',
          'k8s.ns.name': 'shop',
          'k8s.pod.name': 'checkout-7d9f8b6c5-x2kqp',
          'proc.name': 'kworkerd',
          'proc.cmdline': 'kworkerd -c /tmp/k.conf',
          'user.name': 'root',
        },
      },
    ]);
    expect(falcoSource.deliveryId(body, req)).toBe(body.uuid);
  });

  it.each([
    ['error-write-bin', 'Write below binary dir', 'high', 'Error', 'host-compromise', { kind: 'host', key: 'bastion-01', display: 'Bastion-01' }, '2024-05-01T12:41:55.000Z'],
    ['warning-sensitive-file', 'Read sensitive file untrusted', 'medium', 'Warning', 'host-compromise', { kind: 'host', key: NODE, display: NODE }, '2024-05-01T12:43:10.445Z'],
    ['notice-shell', 'Terminal shell in container', 'low', 'Notice', 'host-compromise', { kind: 'host', key: NODE, display: NODE }, '2024-05-01T12:45:00.987Z'],
    ['informational-k8s-deployment', 'K8s Deployment Created', 'info', 'Informational', 'config-drift',
      { kind: 'resource', key: 'k8s:shop/deployments/checkout', display: 'Kubernetes shop/deployments/checkout' }, '2024-05-01T12:50:12.000Z'],
    ['warning-k8s-configmap-credentials', 'Create/Modify Configmap With Private Credentials', 'medium', 'Warning', 'secret-leak',
      { kind: 'resource', key: 'k8s:payments/configmaps/api-env', display: 'Kubernetes payments/configmaps/api-env' }, '2024-05-01T12:52:40.000Z'],
    ['notice-k8s-exec', 'Attach/Exec Pod', 'low', 'Notice', 'host-compromise',
      { kind: 'resource', key: 'k8s:shop/pods/checkout-7d9f8b6c5-x2kqp', display: 'Kubernetes shop/pods/checkout-7d9f8b6c5-x2kqp' }, '2024-05-01T12:55:03.000Z'],
  ])('maps %s', (name, title, severity, severityOriginal, category, entity, observedAt) => {
    const body = fixture(name);
    const alerts = parse(body);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ title, severity, severityOriginal, category, entity, observedAt });
    expect(alerts[0].labels).toMatchObject({ rule: title, priority: severityOriginal, source: body.source, tags: (body.tags as string[]).join(','), hostname: body.hostname });
    expect(falcoSource.deliveryId(body, req)).toBe(body.uuid);
  });

  it.each([
    ['warning-k8s-privileged-pod', 'config-drift', { kind: 'resource', key: 'k8s:shop/pods/debug-tools-5c9f', display: 'Kubernetes shop/pods/debug-tools-5c9f' }],
    ['warning-k8s-cluster-admin-binding', 'config-drift', { kind: 'account', key: 'ci-bot', display: 'ci-bot (ka.user.name)' }],
    ['critical-cloudtrail-console-login-no-mfa', 'config-drift', { kind: 'account', key: 'ops-admin', display: 'ops-admin (ct.user)' }],
  ])('maps the k8s-audit or plugin event %s to the object or the user it names, never the Falco host', (name, category, entity) => {
    const [alert] = parse(fixture(name));
    expect(alert).toMatchObject({ category, entity });
  });

  it('maps a falcosidekick 2.x payload (no uuid, source, tags or hostname) to the pod', () => {
    const body = fixture('warning-sidekick-v2-payload');
    expect(parse(body)[0]).toMatchObject({
      category: 'host-compromise',
      entity: { kind: 'resource', key: 'k8s:shop/checkout-7d9f8b6c5-x2kqp' },
      labels: { source: 'syscall', 'user.name': 'root' },
    });
    expect(falcoSource.deliveryId(body, req)).toBeUndefined();
  });

  it('says which fields it looked at when an audit event names neither an object nor a user', () => {
    const body = fixture('warning-k8s-cluster-admin-binding');
    expect(parse({ ...body, output_fields: { 'ka.req.binding.subjects': 'x' } })[0].entity).toEqual({
      kind: 'resource',
      key: 'falco-rule:Attach to cluster-admin Role',
      display: 'Falco rule "Attach to cluster-admin Role" (source k8s_audit: no ka.target.name, ka.resp.name or user field in output_fields)',
    });
  });

  it('labels the container, process and Kubernetes fields, skipping <NA> and nulls', () => {
    expect(parse(fixture('warning-sensitive-file'))[0].labels).toMatchObject({ 'fd.name': '/etc/shadow', 'container.name': 'debug' });
    expect(parse(fixture('warning-sensitive-file'))[0].labels).not.toHaveProperty('k8s.pod.name');
    expect(parse(fixture('error-write-bin'))[0].labels).not.toHaveProperty('container.image.repository');
    expect(parse(fixture('informational-k8s-deployment'))[0].labels).toMatchObject({ 'ka.user.name': 'alice@example.com', 'ka.verb': 'create' });
  });

  it.each([
    ['Emergency', 'critical'], ['Alert', 'critical'], ['Critical', 'critical'], ['Error', 'high'], ['Warning', 'medium'],
    ['Notice', 'low'], ['Informational', 'info'], ['Debug', 'info'], ['warning', 'medium'],
  ])('maps priority %s to %s', (priority, severity) => {
    expect(parse({ ...fixture('notice-shell'), priority })[0]).toMatchObject({ severity, severityOriginal: priority });
  });

  it('falls back from the hostname to the pod, the container, the user, then the rule', () => {
    const { hostname: _h, ...body } = fixture('critical-drift');
    const fields = body.output_fields;
    expect(parse(body)[0].entity).toEqual({ kind: 'resource', key: 'k8s:shop/checkout-7d9f8b6c5-x2kqp', display: 'pod shop/checkout-7d9f8b6c5-x2kqp' });
    const noPod = { ...fields, 'k8s.pod.name': '<NA>' };
    expect(parse({ ...body, output_fields: noPod })[0].entity).toEqual({ kind: 'resource', key: 'container:3ad7b26ded6d', display: 'container checkout' });
    expect(parse({ ...body, output_fields: { 'user.name': 'Root' } })[0].entity).toEqual({ kind: 'account', key: 'root', display: 'Root' });
    expect(parse({ ...body, output_fields: undefined })[0].entity).toEqual({
      kind: 'resource',
      key: 'falco-rule:Drop and execute new binary in container',
      display: 'Falco rule "Drop and execute new binary in container" (source syscall: no hostname, k8s.pod.name, container.id or user field in output_fields)',
    });
  });

  it('defaults the source to syscall and the time to the receive time', () => {
    const { source: _s, time: _t, ...body } = fixture('notice-shell');
    expect(parse(body)[0]).toMatchObject({ category: 'host-compromise', observedAt: receivedAt, labels: { source: 'syscall' } });
    expect(parse({ ...body, time: 'now' })[0].observedAt).toBe(receivedAt);
  });

  it('keeps one fingerprint per rule, host and container, across events', () => {
    const body = fixture('notice-shell');
    const [first] = parse(body);
    const again = { ...body, uuid: 'f0f0f0f0-0000-4000-8000-000000000000', time: '2024-05-02T00:00:00Z', output: 'again', priority: 'Warning' };
    expect(parse(again)[0].fingerprint).toBe(first.fingerprint);
    expect(falcoSource.deliveryId(again, req)).not.toBe(falcoSource.deliveryId(body, req));
    expect(parse({ ...body, output_fields: { ...body.output_fields, 'container.id': 'ffffeeee0000' } })[0].fingerprint).not.toBe(first.fingerprint);
    expect(parse({ ...body, hostname: 'other-node' })[0].fingerprint).not.toBe(first.fingerprint);
    expect(parse({ ...body, rule: 'Launch Suspicious Network Tool in Container' })[0].fingerprint).not.toBe(first.fingerprint);
  });

  it('names the fields when the body does not match', () => {
    const body = fixture('notice-shell');
    expect(problemsOf({ ...body, priority: 'Severe', rule: 7, output_fields: ['x'] })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^priority: .*Falco priority/), expect.stringMatching(/^rule: /), expect.stringMatching(/^output_fields: /)]),
    );
    expect(problemsOf({ ...body, tags: [1] })).toEqual([expect.stringMatching(/^tags\.0: /)]);
    const { output: _o, ...noOutput } = body;
    expect(problemsOf(noOutput)).toEqual([expect.stringMatching(/^output: /)]);
    expect(problemsOf(null)[0]).toMatch(/^\(body\): /);
    expect(falcoSource.deliveryId({ ...body, uuid: 42 }, req)).toBeUndefined();
  });

  it('keeps secrets out of titles, descriptions, labels and entities', () => {
    const aws = 'AKIAIOSFODNN7EXAMPLE';
    const ghp = `ghp_${'A1b2C3d4E5'.repeat(3)}x9Y8z7`;
    const [configmap] = parse(fixture('warning-k8s-configmap-credentials'));
    expect(JSON.stringify(configmap)).not.toContain(aws);
    expect(configmap.secrets).toEqual([ctx.redactor.describe('aws_access_key_id', aws)]);
    const body = fixture('notice-shell');
    const cmdline = `git clone https://x-access-token:${ghp}@github.com/acme/infra.git`;
    const leaky = { ...body, output: `${body.output} cmdline=${cmdline}`, output_fields: { ...body.output_fields, 'proc.cmdline': cmdline, 'user.name': aws }, hostname: `${aws}` };
    const [alert] = parse(leaky);
    const text = JSON.stringify(alert);
    expect(text).not.toContain(aws);
    expect(text).not.toContain(ghp);
    expect(alert.labels['proc.cmdline']).toContain('[REDACTED github_token');
    expect(alert.secrets).toEqual(
      expect.arrayContaining([ctx.redactor.describe('aws_access_key_id', aws), ctx.redactor.describe('github_token', ghp)]),
    );
  });

  it('returns well-formed alerts or throws PayloadError, for any input', () => {
    for (const bodies of [...anyBodies(), mutatedFixtures(FIXTURES.map((name) => fixture(name)))]) {
      expectOnlyAlertsOrPayloadError(falcoSource, bodies, { numRuns: 300, req, ctx, normalizedTimes: true });
    }
  });
});
