import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyDrift, describeChange, describeDrift, diffConfig, type DriftChange } from '../../lib/drift';

const securityGroup = {
  ingress: [
    { port: 443, protocol: 'tcp', cidr: '0.0.0.0/0' },
    { port: 22, protocol: 'tcp', cidr: '10.0.0.0/8' },
  ],
  tags: { team: 'web' },
};

describe('diffConfig', () => {
  it('finds nested changes, additions and removals, by path, in a stable order', () => {
    const current = {
      tags: { team: 'web', cost: 'shared' },
      ingress: [
        { port: 443, protocol: 'tcp', cidr: '0.0.0.0/0' },
        { port: 22, protocol: 'tcp', cidr: '0.0.0.0/0' },
        { port: 3389, protocol: 'tcp', cidr: '10.0.0.0/8' },
      ],
    };
    expect(diffConfig(securityGroup, current)).toEqual([
      { path: 'ingress[1].cidr', kind: 'changed', from: '10.0.0.0/8', to: '0.0.0.0/0' },
      { path: 'ingress[2].cidr', kind: 'added', to: '10.0.0.0/8' },
      { path: 'ingress[2].port', kind: 'added', to: 3389 },
      { path: 'ingress[2].protocol', kind: 'added', to: 'tcp' },
      { path: 'tags.cost', kind: 'added', to: 'shared' },
    ]);
    expect(diffConfig(current, securityGroup).map((c) => [c.path, c.kind])).toEqual([
      ['ingress[1].cidr', 'changed'],
      ['ingress[2].cidr', 'removed'],
      ['ingress[2].port', 'removed'],
      ['ingress[2].protocol', 'removed'],
      ['tags.cost', 'removed'],
    ]);
  });

  it('orders array items by index, quotes keys that are not plain names, and sees type changes and empty containers', () => {
    const items = (n: number) => Array.from({ length: n }, (_, i) => i);
    expect(diffConfig({ a: items(3) }, { a: items(12) }).map((c) => c.path)).toEqual(items(12).slice(3).map((i) => `a[${i}]`));
    expect(diffConfig({ tags: { 'team.name': 'web' } }, { tags: { 'team.name': 'data' } })[0].path).toBe('tags["team.name"]');
    expect(diffConfig({ a: 1 }, { a: { b: 1 } })).toEqual([
      { path: 'a', kind: 'removed', from: 1 },
      { path: 'a.b', kind: 'added', to: 1 },
    ]);
    expect(diffConfig({ a: [] }, { a: {} })).toEqual([{ path: 'a', kind: 'changed', from: [], to: {} }]);
    expect(diffConfig({}, { a: {} })).toEqual([{ path: 'a', kind: 'added', to: {} }]);
    expect(diffConfig({ a: null }, { a: 0 })).toEqual([{ path: 'a', kind: 'changed', from: null, to: 0 }]);
  });

  const config = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 })) as fc.Arbitrary<Record<string, unknown>>;

  it('finds nothing between a configuration and itself, or a copy with its keys in another order', () => {
    fc.assert(
      fc.property(config, (x) => {
        expect(diffConfig(x, x)).toEqual([]);
        expect(diffConfig(x, reorder(x))).toEqual([]);
      }),
    );
  });

  it('names every changed path once, finds a change exactly when the two differ, and reads the same both ways', () => {
    fc.assert(
      fc.property(config, config, (a, b) => {
        const changes = diffConfig(a, b);
        const paths = changes.map((c) => c.path);
        expect(new Set(paths).size).toBe(paths.length);
        expect(changes.length === 0).toBe(canonical(a) === canonical(b));
        expect(diffConfig(b, a).map((c) => c.path)).toEqual(paths);
        expect(diffConfig(reorder(a), reorder(b))).toEqual(changes);
        for (const c of changes) expect(c.kind === 'added' ? !('from' in c) : c.kind === 'removed' ? !('to' in c) : 'from' in c && 'to' in c).toBe(true);
      }),
    );
  });
});

describe('classifyDrift', () => {
  it('says there is no drift when nothing changed', () => {
    expect(classifyDrift([])).toEqual({ verdict: 'none', relevant: 0, changes: [] });
  });

  it('marks network, access, encryption and logging settings security-relevant, and nothing else', () => {
    const changed = (path: string, from: unknown = 'a', to: unknown = 'b'): DriftChange => ({ path, kind: 'changed', from, to });
    const relevant = [
      'ingress[0].cidr',
      'egressRules[1].toPort',
      'publicAccessBlock.blockPublicAcls',
      'bucketPolicy',
      'serverSideEncryption.kmsKeyId',
      'logging.enabled',
      'auditLogs',
      'mfaDelete',
      'minTlsVersion',
      'ssh_authorized_keys[0]',
      'iamInstanceProfile',
      'allowedOrigins[0]',
      'ACLRules',
      'db.privateEndpoint',
    ];
    const benign = ['instanceType', 'tags.team', 'replicas', 'description', 'memoryMb', 'labels["app.kubernetes.io/name"]', 'supportContact'];
    const report = classifyDrift([...relevant, ...benign].map((p) => changed(p)));
    expect(report.changes.filter((c) => c.securityRelevant).map((c) => c.path)).toEqual(relevant);
    expect(report).toMatchObject({ verdict: 'security', relevant: relevant.length });
    expect(classifyDrift(benign.map((p) => changed(p)))).toMatchObject({ verdict: 'benign', relevant: 0 });
  });

  it('always marks a change that opens a resource to anyone, whatever the setting is called', () => {
    const report = classifyDrift([
      { path: 'rules[0].source', kind: 'changed', from: '10.1.0.0/16', to: '0.0.0.0/0' },
      { path: 'rules[1].source', kind: 'added', to: '::/0' },
      { path: 'rules[0].source', kind: 'changed', from: '0.0.0.0/0', to: '10.1.0.0/16' },
    ]);
    expect(report.changes.map((c) => [c.securityRelevant, c.reason])).toEqual([
      [true, 'opens it to 0.0.0.0/0 (anyone)'],
      [true, 'opens it to ::/0 (anyone)'],
      [false, undefined],
    ]);
  });

  it('never carries or shows the values of a setting that looks like a secret', () => {
    const report = classifyDrift(
      diffConfig(
        { db: { adminPassword: 'hunter2', host: 'db-1' }, apiToken: 'tok-old', clientSecret: 'old-secret' },
        { db: { adminPassword: 'correct-horse', host: 'db-2' }, apiToken: 'tok-new', clientSecret: 'new-secret', signingKey: 'k-1' },
      ),
    );
    const text = JSON.stringify(report) + describeDrift(report);
    for (const value of ['hunter2', 'correct-horse', 'tok-old', 'tok-new', 'old-secret', 'new-secret', 'k-1']) expect(text).not.toContain(value);
    expect(report.changes.filter((c) => c.secret).map(describeChange)).toEqual([
      'apiToken: (changed)',
      'clientSecret: (changed)',
      'db.adminPassword: (changed)',
      'signingKey: (changed)',
    ]);
    expect(report.changes.find((c) => c.path === 'db.host')).toMatchObject({ secret: false, securityRelevant: false, from: 'db-1', to: 'db-2' });
    expect(report.changes.filter((c) => c.secret).every((c) => c.securityRelevant)).toBe(true);
  });

  it('describes the drift in a line, security-relevant changes first', () => {
    const report = classifyDrift(diffConfig(securityGroup, { ...securityGroup, ingress: [securityGroup.ingress[0]], tags: { team: 'data' } }));
    expect(describeDrift(report)).toBe(
      'ingress[1].cidr: 10.0.0.0/8 → (absent); ingress[1].port: 22 → (absent); ingress[1].protocol: tcp → (absent); tags.team: web → data',
    );
    expect(describeDrift(report, 2)).toBe('ingress[1].cidr: 10.0.0.0/8 → (absent); ingress[1].port: 22 → (absent); … and 2 more');
  });

  it('classifies every change of any drift, and never lets a secret value through', () => {
    const secretKey = fc.constantFrom('password', 'apiToken', 'client_secret', 'privateKey');
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })), secretKey, fc.string({ minLength: 12 }), (base, key, value) => {
        const report = classifyDrift(diffConfig(base, { ...base, nested: { [key]: `SECRET:${value}` } }));
        expect(report.changes.length).toBeGreaterThan(0);
        expect(JSON.stringify(report) + describeDrift(report, 1000)).not.toContain(`SECRET:${value}`);
        expect(report.relevant).toBe(report.changes.filter((c) => c.securityRelevant).length);
      }),
    );
  });
});

/** JSON with every object's keys sorted, whatever its prototype: equal exactly when the values are. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

/** The same value with every object's keys in reverse order. */
function reorder(value: unknown): any {
  if (Array.isArray(value)) return value.map(reorder);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reorder(v)]));
}
