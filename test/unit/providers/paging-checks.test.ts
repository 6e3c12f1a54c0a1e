import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkProviders } from '../../../activities/providers/registry';
import { Capability } from '../../../lib/providers/capabilities';
import { loadProvidersConfig } from '../../../lib/providers/providers-file';
import { FakeGitHub } from '../../support/vendors/github';
import { FakeJira } from '../../support/vendors/jira';
import { FakeOpsgenie } from '../../support/vendors/opsgenie';
import { FakePagerDuty } from '../../support/vendors/pagerduty';
import { loopbackServers } from '../../support/vendors/harness';

const start = loopbackServers();
const SIMULATED = ['inventory', 'hostIsolation', 'evidence', 'credentials', 'identity', 'configBaseline', 'patching', 'metrics', 'notify'].map((c) => `  ${c}: simulated`);

function providersFile(lines: string[]): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'palisade-paging-checks-')), 'providers.yaml');
  writeFileSync(file, ['vendors:', ...SIMULATED, ...lines].join('\n'));
  return file;
}

/** `palisade providers check` on the page and ticket vendors: each one read-only call (PagerDuty's Events API has none). */
describe('providers check: paging and ticketing vendors', () => {
  it('Opsgenie lists alerts and GitHub Issues reads each repository, sending nothing; wrong credentials are denied', async () => {
    const og = await start(new FakeOpsgenie());
    const gh = await start(new FakeGitHub());
    gh.addRepository('acme/security-incidents');
    const file = providersFile([
      '  paging: opsgenie',
      '  ticketing: github-issues',
      'settings:',
      `  opsgenie: { baseUrl: "${og.baseUrl}", apiKeyEnv: OG_KEY, services: { secops-oncall: { responders: [{ type: team, name: SecOps }] } } }`,
      `  github-issues: { baseUrl: "${gh.url}", tokenEnv: GH_TOKEN, repositories: { SEC: acme/security-incidents } }`,
    ]);
    const ok = await checkProviders(loadProvidersConfig(file), { env: { OG_KEY: og.apiKey, GH_TOKEN: gh.token } });
    const by = Object.fromEntries(ok.map((c) => [`${c.capability}/${c.vendor}`, c]));
    expect(by['paging/opsgenie']).toMatchObject({ status: 'ok', detail: expect.stringContaining('secops-oncall') });
    expect(by['ticketing/github-issues']).toMatchObject({ status: 'ok', detail: 'the token reads acme/security-incidents' });
    expect([...og.requests, ...gh.requests].map((r) => r.method)).toEqual(['GET', 'GET']);

    const denied = await checkProviders(loadProvidersConfig(file), { env: { OG_KEY: 'wrong-genie-key-0000', GH_TOKEN: 'ghp_wrongTokenForTests000000' } });
    for (const c of denied.filter((x) => x.capability === Capability.Paging || x.capability === Capability.Ticketing)) {
      expect(c.status, c.vendor).toBe('denied');
      expect(c.detail).not.toMatch(/wrong-genie-key-0000|ghp_wrongTokenForTests000000/);
    }
  });

  it('PagerDuty lists its services without a call; Jira reads who the token is', async () => {
    const pd = await start(new FakePagerDuty());
    const jira = await start(new FakeJira());
    const file = providersFile([
      '  paging: pagerduty',
      '  ticketing: jira',
      'settings:',
      `  pagerduty: { eventsUrl: "${pd.url}", services: { secops-oncall: { routingKeyEnv: PD_KEY } } }`,
      `  jira: { baseUrl: "${jira.url}", email: "${jira.email}", apiTokenEnv: JIRA_TOKEN }`,
    ]);
    const checks = await checkProviders(loadProvidersConfig(file), { env: { PD_KEY: pd.routingKeys[0], JIRA_TOKEN: jira.apiToken } });
    const by = Object.fromEntries(checks.map((c) => [`${c.capability}/${c.vendor}`, c]));
    expect(by['paging/pagerduty']).toMatchObject({ status: 'ok', detail: expect.stringContaining('nothing was sent') });
    expect(by['ticketing/jira']).toMatchObject({ status: 'ok', detail: 'authenticated as SecOps Bot' });
    expect(pd.requests).toHaveLength(0);
    expect(jira.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /rest/api/3/myself']);
  });
});
