import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { routingTest } from '../../apps/cli/commands/routing-test';
import { loadConfig } from '../../lib/config/env';

const ROOT = path.resolve(__dirname, '../..');
const palisade = (...args: string[]) => run({}, ...args);
const run = (env: NodeJS.ProcessEnv, ...args: string[]) =>
  spawnSync(process.execPath, ['-r', '@swc-node/register', 'apps/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });

describe('palisade start with a bad routing file', () => {
  it('stops before starting anything, naming the file, the rule and the reason', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-badroute-'));
    try {
      const file = path.join(dir, 'routing.yaml');
      writeFileSync(file, 'rules:\n  - name: hosts\n    playbook: contain-everything\n');
      const start = run({ PALISADE_ROUTING_FILE: file, PALISADE_DATA_DIR: path.join(dir, 'data') }, 'start');
      expect(start.status).toBe(1);
      expect(start.stderr).toContain(`palisade: Routing file ${file}: rule 1 (hosts): unknown playbook 'contain-everything'`);
      expect(start.stdout).not.toContain('Starting Temporal');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('palisade routing test', () => {
  it('prints the matching rule, the entity key and the workflow id for a saved payload', () => {
    const run = palisade('routing', 'test', 'wazuh', 'test/fixtures/webhooks/wazuh/level12-web-attack.json');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('1 alert(s) from wazuh');
    expect(run.stdout).toMatch(/rule 'compromised-hosts': playbook host-compromise, entity key host:\S+, workflow id host-compromise:host:\S+/);
    // runbooks/paging.yaml: a compromised host pages.
    expect(run.stdout).toContain(
      "paging policy 'page-host-compromise': page secops-oncall (not sent: vendors.paging in runbooks/providers.yaml is none); and ticket in SEC (not sent: vendors.ticketing in runbooks/providers.yaml is none); and post to #sec-incidents in Slack (not sent: Slack is not connected)",
    );
  });

  it('shows that minor drift opens a ticket and pages nobody', () => {
    const run = palisade('routing', 'test', 'generic', 'test/fixtures/webhooks/generic/minor-drift.json');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("paging policy 'ticket-minor-drift': ticket in SEC");
    expect(run.stdout).not.toContain('page secops-oncall');
  });

  it('shows the page\'s fallback chain, each channel with its vendor and when the next is tried', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-routing-paging-'));
    try {
      const paging = path.join(dir, 'paging.yaml');
      writeFileSync(
        paging,
        [
          'policies:',
          '  - name: page-compromise',
          '    match: { playbook: host-compromise }',
          '    page: [{ service: secops-oncall, fallbackAfter: 1m }, { via: pagerduty, service: secops-leads }]',
          '    ticket: { project: SEC }',
        ].join('\n'),
      );
      const providers = path.join(dir, 'providers.yaml');
      writeFileSync(
        providers,
        'vendors: { inventory: simulated, hostIsolation: simulated, evidence: simulated, credentials: simulated, configBaseline: simulated, patching: simulated, metrics: simulated, notify: simulated, paging: pagerduty, ticketing: jira }\n',
      );
      const out = run({ PALISADE_PAGING_FILE: paging, PALISADE_PROVIDERS_FILE: providers }, 'routing', 'test', 'wazuh', 'test/fixtures/webhooks/wazuh/level12-web-attack.json');
      expect(out.status, out.stderr).toBe(0);
      expect(out.stdout).toContain(
        "paging policy 'page-compromise': page secops-oncall through pagerduty, falling back (refused, or nothing accepted within 1m) to secops-leads through pagerduty; and ticket in SEC through jira",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the headers an adapter needs, and explains a bad source or payload', () => {
    const github = palisade('routing', 'test', 'github', 'test/fixtures/webhooks/github/secret-scanning-created-public.json', '-H', 'X-GitHub-Event: secret_scanning_alert');
    expect(github.stdout).toContain("rule 'leaked-secrets'");
    const unknown = palisade('routing', 'test', 'nagios', 'x.json');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("palisade: There is no webhook source 'nagios'.");
    const wrong = palisade('routing', 'test', 'falco', 'test/fixtures/webhooks/wazuh/level12-web-attack.json');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('The falco payload does not match its format');
  });
});

describe('palisade routing test on every vendor variant (runbooks/routing.yaml)', () => {
  const config = loadConfig({}, ROOT);
  /** `rule entity-key` for each alert the saved payload holds, as `palisade routing test` prints them. */
  const routed = async (source: string, name: string) =>
    [...(await routingTest(config, source, path.join(ROOT, 'test/fixtures/webhooks', source, `${name}.json`), {})).matchAll(/rule '([^']+)': (?:playbook \S+, entity key (\S+), workflow id|ignored)/g)].map(
      ([, rule, key]) => (key ? `${rule} ${key}` : `${rule}`),
    );

  it.each([
    ['securityhub', 'custom-action', ['compromised-hosts host:i-0e1f2a3b4c5d6e7f8', 'leaked-secrets credential:ASIASZ4SI7REXAMPLE8K']],
    ['securityhub', 'insight-results', ['everything-else host:i-0e1f2a3b4c5d6e7f8', 'everything-else host:i-0b2c3d4e5f6a7b8c9']],
    ['guardduty', 'eks-runtime-new-binary', ['compromised-hosts host:i-0f9e8d7c6b5a41302']],
    ['guardduty', 'attack-sequence-compromised-credentials', ['leaked-secrets credential:AKIAZ4SI7REXAMPLE7Q2']],
    ['guardduty', 'eks-audit-exec-kube-system', ['everything-else resource:arn:aws:eks:us-east-1:123456789012:cluster/shop-prod']],
    ['guardduty', 's3-malicious-object', ['everything-else resource:arn:aws:s3:::acme-uploads/incoming/invoice-2024-06.pdf.exe']],
    ['guardduty', 'lambda-c2-activity', ['everything-else resource:arn:aws:lambda:us-east-1:123456789012:function:resize-images']],
    ['elastic', 'endpoint-malware', ['compromised-hosts host:ws-0042']],
    ['elastic', 'endpoint-behavior', ['compromised-hosts host:web-01.corp.example.com']],
    ['elastic', 'endpoint-hits', ['compromised-hosts host:web-01.corp.example.com', 'compromised-hosts host:ws-0042']],
    ['elastic', 'legacy-signal', ['everything-else account:deploy-bot']],
    ['wazuh', 'syslog-remote-host', ['compromised-hosts host:fw-edge-01']],
    ['wazuh', 'shuffle-wrapped', ['compromised-hosts host:web-01']],
    ['wazuh', 'integration-test-alert', ['drop-informational']],
    ['falco', 'warning-k8s-privileged-pod', ['drifted-config resource:k8s:shop/pods/debug-tools-5c9f']],
    ['falco', 'warning-k8s-cluster-admin-binding', ['drifted-config resource:ci-bot']],
    ['falco', 'critical-cloudtrail-console-login-no-mfa', ['drifted-config resource:ops-admin']],
    ['falco', 'warning-sidekick-v2-payload', ['compromised-hosts host:k8s:shop/checkout-7d9f8b6c5-x2kqp']],
    ['sentinel', 'common-activity-log-security', ['compromised-hosts host:vm-prod-web-04']],
    ['sentinel', 'common-log-alerts-v2-computer', ['everything-else host:sql-prod-02']],
    ['sentinel', 'common-budget', ['everything-else resource:/subscriptions/11111111-2222-3333-4444-555555555555/providers/microsoft.consumption/budgets/team-platform-monthly']],
    ['sentinel', 'common-service-health', ['everything-else account:/subscriptions/11111111-2222-3333-4444-555555555555']],
    ['splunk', 'result-dest-forwarded', ['compromised-hosts host:fin-laptop-17']],
  ])('routes %s %s', async (source, name, expected) => {
    expect(await routed(source, name)).toEqual(expected);
  });
});
