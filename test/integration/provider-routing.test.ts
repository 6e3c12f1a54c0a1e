import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProviders, createProviders } from '../../activities/providers/registry';
import { PalisadeError } from '../../lib/errors';
import { loadProvidersConfig } from '../../lib/providers/providers-file';
import { startTestEngine, type TestEngine } from '../support/engine';
import { freePort } from '../../apps/cli/start/ports';
import { FakeFalcon } from '../support/vendors/crowdstrike';
import { FakeDefender } from '../support/vendors/defender';
import { FakeGitHub } from '../support/vendors/github';

const SIMULATED = ['inventory', 'evidence', 'credentials', 'identity', 'configBaseline', 'patching', 'metrics', 'notify'].map((c) => `  ${c}: simulated`).join('\n');

// runbooks/providers.yaml choosing vendors per host by inventory tags, with settings and secrets
// from the environment: built by the registry against a real Postgres (the simulated fleet) and
// CrowdStrike's endpoints on loopback.
describe('providers chosen per host', () => {
  let engine: TestEngine;
  let falcon: FakeFalcon;
  let dir: string;
  beforeAll(async () => {
    engine = await startTestEngine({ withWorker: false });
    falcon = await new FakeFalcon().start();
    dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-providers-'));
  });
  afterAll(async () => {
    await falcon?.close();
    await engine?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const providersFile = (settings: string) => {
    const file = path.join(dir, `${randomUUID()}.yaml`);
    writeFileSync(
      file,
      `vendors:\n${SIMULATED}\n  hostIsolation:\n    default: simulated\n    byTag:\n      - { tag: platform, value: laptop, vendor: crowdstrike }\nsettings:\n${settings}\n`,
    );
    return loadProvidersConfig(file);
  };
  const call = { idempotencyKey: 'k', incidentId: randomUUID() };

  it('contains a laptop through CrowdStrike and a server through the default vendor', async () => {
    const config = providersFile(`  crowdstrike: { baseUrl: "${falcon.url}", clientId: ${falcon.clientId}, clientSecretEnv: FALCON_SECRET, timeoutMs: 3000 }`);
    const { providers, fleet } = createProviders(config, { db: engine.db, env: { FALCON_SECRET: falcon.clientSecret }, fingerprint: (v) => v });
    const laptop = `laptop-${randomUUID().slice(0, 6)}`;
    const server = `web-${randomUUID().slice(0, 6)}`;
    await fleet.addHost({ id: laptop, hostname: laptop, owner: 'alice', environment: 'production', criticality: 'medium', tags: { platform: 'laptop' } });
    await fleet.addHost({ id: server, hostname: server, owner: 'team-web', environment: 'production', criticality: 'high', tags: { platform: 'ec2' } });
    falcon.devices.set(laptop, 'normal');

    await providers.hostIsolation.isolate(call, laptop, 'reverse shell');
    expect(falcon.devices.get(laptop)).toBe('contained');
    expect((await fleet.host(laptop))?.isolated).toBe(false);

    await providers.hostIsolation.isolate(call, server, 'reverse shell');
    expect((await fleet.host(server))?.isolated).toBe(true);
    expect(falcon.devices.has(server)).toBe(false);
    expect((await providers.hostIsolation.verify(call, laptop)).isolated).toBe(true);
  });

  it('stops at start when a vendor’s secret variable is not set, or its settings are wrong', () => {
    const config = providersFile(`  crowdstrike: { baseUrl: "${falcon.url}", clientId: x, clientSecretEnv: FALCON_SECRET }`);
    const missing = (() => {
      try {
        createProviders(config, { db: engine.db, env: {} });
      } catch (err) {
        return err as PalisadeError;
      }
      throw new Error('expected the build to fail');
    })();
    expect(missing).toBeInstanceOf(PalisadeError);
    expect(missing.code).toBe('provider_secret_missing');
    expect(missing.message).toBe('settings.crowdstrike.clientSecretEnv names the environment variable FALCON_SECRET, which is not set.');

    const wrong = providersFile(`  crowdstrike: { baseUrl: not-a-url, clientId: x, clientSecretEnv: FALCON_SECRET }`);
    expect(() => createProviders(wrong, { db: engine.db, env: { FALCON_SECRET: 's3cret-value' } })).toThrow(/Vendor crowdstrike cannot use its settings: settings\.crowdstrike\.baseUrl/);
  });

  it('checks each configured vendor with a read-only call: what works, what is denied, what fails', async () => {
    const defender = await new FakeDefender().start();
    const github = await new FakeGitHub().start();
    github.addAlert('acme/payments', 1);
    try {
      const file = path.join(dir, `${randomUUID()}.yaml`);
      writeFileSync(
        file,
        [
          'vendors:',
          '  inventory: simulated',
          '  hostIsolation:',
          '    default: defender',
          '    byTag: [{ tag: platform, value: laptop, vendor: crowdstrike }]',
          ...['evidence', 'credentials', 'identity', 'configBaseline', 'patching', 'notify'].map((c) => `  ${c}: simulated`),
          '  metrics: prometheus',
          '  secretScanning: github',
          'settings:',
          `  github: { baseUrl: "${github.url}", app: { clientId: ${github.app.clientId}, installationId: ${github.app.installationId}, privateKeyEnv: GITHUB_APP_KEY }, checkRepository: acme/payments }`,
          `  crowdstrike: { baseUrl: "${falcon.url}", clientId: ${falcon.clientId}, clientSecretEnv: FALCON_SECRET }`,
          `  defender: { loginBaseUrl: "${defender.url}", apiBaseUrl: "${defender.url}", tenantId: ${defender.tenantId}, clientId: ${defender.clientId}, clientSecretEnv: DEFENDER_SECRET }`,
          `  prometheus: { baseUrl: "http://127.0.0.1:${await freePort()}", timeout: 2s }`,
        ].join('\n'),
      );
      const env = { FALCON_SECRET: falcon.clientSecret, DEFENDER_SECRET: 'not-the-secret-0000', GITHUB_APP_KEY: github.app.privateKey };
      const checks = await checkProviders(loadProvidersConfig(file), { env });
      const by = Object.fromEntries(checks.map((c) => [`${c.capability}/${c.vendor}`, c]));
      expect(by['hostIsolation/crowdstrike']).toMatchObject({ status: 'ok', detail: 'token issued; device query answered' });
      expect(by['hostIsolation/defender'].status).toBe('denied');
      expect(by['hostIsolation/defender'].detail).not.toContain('not-the-secret-0000');
      expect(by['metrics/prometheus']).toMatchObject({ status: 'failed', detail: expect.stringMatching(/^Unavailable: Prometheus at .* did not answer/) });
      expect(by['inventory/simulated'].status).toBe('skipped');
      expect(by['secretScanning/github']).toMatchObject({ status: 'ok', detail: 'GitHub App palisade-loopback, installation 51234567 reads the secret-scanning alerts of acme/payments (some open)' });
      // Read-only on GitHub: the App's token, and a list of alerts without their secrets.
      expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /app', 'POST /app/installations/51234567/access_tokens', 'GET /repos/acme/payments/secret-scanning/alerts']);
      expect(github.requests.at(-1)?.query.get('hide_secret')).toBe('true');
      expect(checks).toHaveLength(11); // ten capabilities, hostIsolation with two vendors
    } finally {
      await defender.close();
      await github.close();
    }
  });
});
