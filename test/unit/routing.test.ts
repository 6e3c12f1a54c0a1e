import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { shippedCatalogue } from '../../apps/playbooks/load';
import type { Catalogue } from '../../lib/playbooks/catalogue';
import type { Alert } from '../../lib/intake/alert';
import { loadRouting, route } from '../../lib/intake/routing';

const ROOT = path.resolve(__dirname, '../..');

function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    id: 'a1',
    source: 'falco',
    deliveryId: 'd1',
    receivedAt: '2026-11-22T10:00:00Z',
    observedAt: '2026-11-22T10:00:00Z',
    title: 'Shell in container',
    description: '',
    severity: 'high',
    severityOriginal: 'Error',
    category: 'host-compromise',
    entity: { kind: 'host', key: 'web-1', display: 'web-1' },
    fingerprint: 'f1',
    labels: { env: 'prod-eu', team: 'payments' },
    raw: {},
    ...overrides,
  };
}

describe('routing', () => {
  let dir: string;
  let catalogue: Catalogue;
  beforeAll(async () => {
    catalogue = await shippedCatalogue();
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-routing-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function file(yaml: string): string {
    const f = path.join(dir, 'routing.yaml');
    writeFileSync(f, yaml);
    return f;
  }

  it('loads the committed runbooks/routing.yaml', () => {
    const routing = loadRouting(path.join(ROOT, 'runbooks/routing.yaml'), catalogue);
    expect(route(routing, alert())).toMatchObject({ kind: 'playbook', rule: 'compromised-hosts', playbook: 'host-compromise', workflowId: 'host-compromise:host:web-1', reopenWithinSeconds: 0 });
    expect(route(routing, alert({ category: 'config-drift', entity: { kind: 'resource', key: 'sg-1', display: 'sg-1' } }))).toMatchObject({
      playbook: 'config-drift',
      workflowId: 'config-drift:resource:sg-1',
    });
    expect(route(routing, alert({ category: 'vulnerability' }))).toMatchObject({ rule: 'everything-else', playbook: 'triage' });
    expect(route(routing, alert({ severity: 'info' }))).toEqual({ kind: 'ignore', rule: 'drop-informational' });
    expect(route(routing, alert({ category: 'secret-leak', entity: { kind: 'credential', key: 'secret:abc', display: 'x' } }))).toMatchObject({
      rule: 'leaked-secrets',
      playbook: 'secret-leak',
      entityKey: 'credential:secret:abc',
      reopenWithinSeconds: 86_400,
    });
  });

  it('takes the first matching rule, with lists, minSeverity and label wildcards', () => {
    const routing = loadRouting(
      file(`
rules:
  - name: prod-payments
    match: { labels: { env: "prod-*", team: payments }, minSeverity: high }
    playbook: triage
    entityKey: "{{labels.team}}/{{entity.key}}"
  - name: falco-or-wazuh
    match: { source: [falco, wazuh] }
    action: ignore
`),
      catalogue,
    );
    expect(route(routing, alert())).toMatchObject({ rule: 'prod-payments', entityKey: 'payments/web-1', workflowId: 'triage:payments/web-1' });
    expect(route(routing, alert({ severity: 'medium' }))).toEqual({ kind: 'ignore', rule: 'falco-or-wazuh' });
    expect(route(routing, alert({ source: 'splunk', severity: 'low' }))).toMatchObject({ kind: 'playbook', rule: '(default)', workflowId: 'triage:host:web-1' });
  });

  it('gives each rule its reopen and dedupe windows in seconds (none by default)', () => {
    const routing = loadRouting(
      file(`
rules:
  - name: refiring
    match: { source: splunk }
    playbook: triage
    dedupeWindow: 15m
    reopenWindow: 2h
  - name: rest
    playbook: triage
`),
      catalogue,
    );
    expect(route(routing, alert({ source: 'splunk' }))).toMatchObject({ rule: 'refiring', dedupeWithinSeconds: 900, reopenWithinSeconds: 7200 });
    expect(route(routing, alert())).toMatchObject({ rule: 'rest', dedupeWithinSeconds: 0, reopenWithinSeconds: 0 });
  });

  it('hashes an entity key too long for a workflow id, keeping the key itself', () => {
    const routing = loadRouting(path.join(ROOT, 'runbooks/routing.yaml'), catalogue);
    const long = 'k8s:payments/deployments/' + 'x'.repeat(300);
    const decision = route(routing, alert({ entity: { kind: 'resource', key: long, display: 'd' } }));
    expect(decision).toMatchObject({ kind: 'playbook', entityKey: `host:${long}` });
    const { workflowId } = decision as { workflowId: string };
    expect(workflowId).toMatch(/^host-compromise:sha256:[0-9a-f]{64}$/);
    expect(route(routing, alert({ entity: { kind: 'resource', key: long, display: 'd' } }))).toMatchObject({ workflowId });
  });

  it('stops a bad file with the file, the rule and the reason', () => {
    const cases: [string, RegExp][] = [
      ['rules:\n  - name: a\n    match: { severity: urgent }\n    playbook: triage\n', /rule 1 \(a\): match\.severity/],
      ['rules:\n  - name: a\n    playbook: contain-everything\n', /rule 1 \(a\): unknown playbook 'contain-everything' \(known: compromised-identity, config-drift, host-compromise, manual-incident, patch-canary, secret-leak, triage\)/],
      ['rules:\n  - name: a\n    playbook: triage\n  - name: a\n    action: ignore\n', /rule 2 \(a\): the name is used by an earlier rule/],
      ['rules:\n  - name: a\n    playbook: triage\n    action: ignore\n', /rule 1 \(a\): give either 'playbook' or 'action: ignore'/],
      ['rules:\n  - name: a\n    playbook: triage\n    entityKey: "{{#if}}"\n', /rule 1 \(a\): entityKey template/],
      ['rules:\n  - name: a\n    playbook: triage\n    colour: red\n', /rule 1 \(a\):.*colour/],
      ['rules:\n  - name: a\n    playbook: triage\n    reopenWindow: soon\n', /rule 1 \(a\): reopenWindow must be a duration such as 30m, 24h or 7d/],
      ['rules:\n  - name: a\n    playbook: triage\n    dedupeWindow: 5 minutes\n', /rule 1 \(a\): dedupeWindow must be a duration such as 30m, 24h or 7d/],
      ['rules: [\n', /is not readable YAML/],
      [`rules:\n  - name: a\n    match: { labels: { host: "${'*a'.repeat(151)}" } }\n    playbook: triage\n`, /rule 1 \(a\): match\.labels\.host Too big: expected string to have <=300 characters/],
    ];
    for (const [yaml, reason] of cases) {
      const f = file(yaml);
      expect(() => loadRouting(f, catalogue), yaml).toThrow(reason);
      expect(() => loadRouting(f, catalogue)).toThrow(`Routing file ${f}`);
    }
  });
});
