import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../lib/errors';
import { CAPABILITIES } from '../../lib/providers/capabilities';
import { loadFleetFile } from '../../lib/providers/fleet-file';
import { loadProvidersConfig, vendorsInUse } from '../../lib/providers/providers-file';

const root = path.resolve(__dirname, '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-providers-'));
let n = 0;
function file(text: string): string {
  const f = path.join(dir, `f${n++}.yaml`);
  writeFileSync(f, text);
  return f;
}

function failure(load: () => unknown): PalisadeError {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(PalisadeError);
    return err as PalisadeError;
  }
  throw new Error('expected the file to be rejected');
}

const shippedProviders = readFileSync(path.join(root, 'runbooks/providers.yaml'), 'utf8');
const host = '{ id: h1, owner: o, environment: production, criticality: high }';

describe('runbooks/providers.yaml', () => {
  it('ships with a vendor for every capability: simulated, and no code host for secret scanning, no pager and no ticket system', () => {
    const config = loadProvidersConfig(path.join(root, 'runbooks/providers.yaml'));
    expect(Object.keys(config.vendors).sort()).toEqual([...CAPABILITIES].sort());
    const { secretScanning, paging, ticketing, ...rest } = config.vendors;
    expect(Object.values(rest).every((v) => v.default === 'simulated' && v.byTag.length === 0)).toBe(true);
    expect(secretScanning).toEqual({ default: 'none', byTag: [] });
    expect(paging).toEqual({ default: 'none', byTag: [] });
    expect(ticketing).toEqual({ default: 'none', byTag: [] });
    expect(vendorsInUse(config).map((v) => v.vendor)).not.toContain('none');
  });

  it('takes secretScanning as optional (none when left out) or github with its settings', () => {
    const without = loadProvidersConfig(file(shippedProviders.replace(/^\s+secretScanning: none\n/m, '')));
    expect(without.vendors.secretScanning).toEqual({ default: 'none', byTag: [] });
    const github = loadProvidersConfig(file(`${shippedProviders.replace('secretScanning: none', 'secretScanning: github')}settings:\n  github: { tokenEnv: GITHUB_TOKEN }\n`));
    expect(github.vendors.secretScanning.default).toBe('github');
    expect(vendorsInUse(github)).toContainEqual({ capability: 'secretScanning', vendor: 'github' });
    expect(failure(() => loadProvidersConfig(file(shippedProviders.replace('secretScanning: none', 'secretScanning: gitlab')))).message).toMatch(/no 'gitlab' vendor for secretScanning \(available: none, github\)/);
  });

  it('takes a default vendor and vendors chosen by a host’s inventory tags, with each vendor’s settings', () => {
    const config = loadProvidersConfig(
      file(
        shippedProviders.replace(
          'hostIsolation: simulated',
          'hostIsolation:\n    default: aws-ec2\n    byTag:\n      - { tag: platform, value: laptop, vendor: crowdstrike }',
        ) + 'settings:\n  aws-ec2: { quarantineGroupId: sg-0quarantine }\n',
      ),
    );
    expect(config.vendors.hostIsolation).toEqual({ default: 'aws-ec2', byTag: [{ tag: 'platform', value: 'laptop', vendor: 'crowdstrike' }] });
    expect(config.vendors.metrics).toEqual({ default: 'simulated', byTag: [] });
    expect(config.settings).toEqual({ 'aws-ec2': { quarantineGroupId: 'sg-0quarantine' } });
    // Only per-host capabilities can be split by tag.
    const split = shippedProviders.replace('metrics: simulated', 'metrics:\n    default: simulated\n    byTag: [{ tag: env, value: prod, vendor: prometheus }]');
    expect(failure(() => loadProvidersConfig(file(split))).message).toMatch(/vendors\.metrics: byTag chooses a vendor per host, which only hostIsolation and evidence do/);
  });

  it('names the capability, the vendor and what is available when a vendor does not exist', () => {
    const err = failure(() => loadProvidersConfig(file(shippedProviders.replace('hostIsolation: simulated', 'hostIsolation: carbonblack'))));
    expect(err.code).toBe('providers_invalid');
    expect(err.message).toMatch(/vendors\.hostIsolation: there is no 'carbonblack' vendor for hostIsolation \(available: simulated, aws-ec2, crowdstrike, defender\)/);
  });

  it('wants every capability, and only capabilities', () => {
    expect(failure(() => loadProvidersConfig(file(shippedProviders.replace(/^\s+metrics: simulated\n/m, '')))).message).toMatch(/vendors\.metrics: every capability needs a vendor/);
    // A file from before the identity capability still loads: identity is none, and says so when called.
    expect(loadProvidersConfig(file(shippedProviders.replace(/^\s+identity: simulated\n/m, ''))).vendors.identity.default).toBe('none');
    expect(failure(() => loadProvidersConfig(file(`${shippedProviders}  dns: simulated\n`))).message).toMatch(/"dns"/);
    expect(failure(() => loadProvidersConfig(file('vendors: [oops'))).message).toMatch(/is not readable YAML/);
  });
});

describe('runbooks/fleet.yaml', () => {
  it('ships a believable fleet', () => {
    const fleet = loadFleetFile(path.join(root, 'runbooks/fleet.yaml'));
    expect(fleet.hosts.map((h) => h.id)).toEqual(expect.arrayContaining(['web-1', 'web-2', 'web-3', 'db-1', 'build-1', 'stage-1', 'laptop-alice']));
    expect(fleet.hosts.find((h) => h.id === 'db-1')).toMatchObject({ environment: 'production', criticality: 'critical', online: true, isolated: false });
    expect(fleet.credentials.map((c) => c.type).sort()).toEqual(['aws_access_key_id', 'github_token', 'slack_webhook']);
    expect(fleet.credentials.find((c) => c.type === 'slack_webhook')?.shared).toBe(true);
    expect(fleet.accounts.find((a) => a.id === 'alice')).toMatchObject({ owner: 'bob', privileged: true, mfa: 'enabled', keys: [{ id: 'AKIAEXAMPLEALICE001', status: 'active' }] });
    expect(fleet.accounts.find((a) => a.id === 'svc-reporting')).toMatchObject({ password: false, privileged: false });
    expect(fleet.resources.find((r) => r.id === 's3-logs')?.baseline).toEqual({ public: false, encryption: 'aws:kms', logging: true });
    expect(fleet.patches).toContainEqual({ id: 'KB-2026-BAD', breaksSli: 'error_rate', degradedValue: 0.2 });
    expect(fleet.slis).toEqual({ error_rate: 0.01, latency_p99_ms: 180 });
  });

  it('explains a bad entry with the file, the field and the reason', () => {
    const bad = (yaml: string) => failure(() => loadFleetFile(file(yaml)));
    const fp = bad('credentials:\n  - { id: c1, type: t, owner: o, last4: abcd, fingerprint: nothex }\n');
    expect(fp.code).toBe('fleet_invalid');
    expect(fp.message).toMatch(/^Fleet file .*f\d+\.yaml: credentials\.0\.fingerprint: must be 64 lowercase hex/);
    expect(bad(`hosts:\n  - { id: h1, owner: o, environment: prod, criticality: high }\n`).message).toMatch(/hosts\.0\.environment/);
    expect(bad(`hosts:\n  - ${host}\n  - ${host}\n`).message).toMatch(/hosts\.1\.id: 'h1' is listed twice/);
    expect(bad(`hosts:\n  - ${host}\n  - { id: h2, hostname: h1, owner: o, environment: production, criticality: low }\n`).message).toMatch(/hosts\.1\.hostname: 'h1' is used by two hosts/);
    expect(bad('patches:\n  - { id: p1, breaksSli: error_rate }\n').message).toMatch(/patches\.0: breaksSli and degradedValue go together/);
    expect(bad('hosts: []\ndatabases: []\n').message).toMatch(/"databases"/);
    expect(bad('accounts:\n  - { id: a1, owner: o, mfa: sms }\n').message).toMatch(/accounts\.0\.mfa/);
    expect(bad('accounts:\n  - { id: a1, owner: o }\n  - { id: a1, owner: p }\n').message).toMatch(/accounts\.1\.id: 'a1' is listed twice/);
  });

  it('accepts an empty file', () => {
    expect(loadFleetFile(file('# nothing yet\n'))).toEqual({ hosts: [], credentials: [], accounts: [], resources: [], patches: [], slis: {} });
  });
});
