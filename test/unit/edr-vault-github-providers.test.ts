import { ApplicationFailure } from '@temporalio/common';
import { afterEach, describe, expect, it } from 'vitest';
import { CrowdStrikeHostIsolation } from '../../activities/providers/host-isolation/crowdstrike';
import { DefenderHostIsolation } from '../../activities/providers/host-isolation/defender';
import { VaultCredentials, type VaultConfig } from '../../activities/providers/credentials/vault';
import { GitHubSecretScanning } from '../../activities/providers/secret-scanning/github';
import { Redactor } from '../../lib/intake/redact';
import { ProviderErrorType, type ProviderCall } from '../../lib/providers/capabilities';
import { FakeFalcon } from '../support/vendors/crowdstrike';
import { FakeDefender } from '../support/vendors/defender';
import { FakeGitHub } from '../support/vendors/github';
import type { FailureKind, LoopbackVendor } from '../support/vendors/loopback';
import { FakeVault } from '../support/vendors/vault';

const call: ProviderCall = { idempotencyKey: 'inc-1:step-1', incidentId: 'inc-1' };
const servers: LoopbackVendor[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start<S extends LoopbackVendor>(server: S): Promise<S> {
  servers.push(server);
  return server.start();
}

/** A clock the providers read for token expiry, moved by hand. */
function clock() {
  let t = Date.now();
  return { now: () => t, advance: (seconds: number) => (t += seconds * 1000) };
}

/** The provider error a call failed with (it must fail with one). */
async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('expected the call to fail');
}

/** Each failure switch and the provider error it must become. */
const SWITCHES: [FailureKind, ProviderErrorType, boolean][] = [
  ['5xx', ProviderErrorType.Unavailable, false],
  ['429', ProviderErrorType.Throttled, false],
  ['timeout', ProviderErrorType.Unavailable, false],
  ['denied', ProviderErrorType.Denied, true],
];

function expectNoSecrets(message: string, secrets: string[]): void {
  for (const s of secrets) expect(message).not.toContain(s);
}

describe('CrowdStrike Falcon host isolation', () => {
  async function falcon(options: { timeoutMs?: number } = {}) {
    const server = await start(new FakeFalcon());
    server.devices.set('aid-1', 'normal');
    const c = clock();
    const provider = new CrowdStrikeHostIsolation({ baseUrl: server.url, clientId: server.clientId, clientSecret: server.clientSecret, timeoutMs: options.timeoutMs ?? 2000 }, { now: c.now });
    return { server, provider, clock: c };
  }

  it('contains a device, reads it back contained, contains it again harmlessly and lifts containment', async () => {
    const { server, provider } = await falcon();
    await expect(provider.verify(call, 'aid-1')).resolves.toMatchObject({ hostId: 'aid-1', isolated: false });
    await expect(provider.isolate(call, 'aid-1', 'incident inc-1')).resolves.toMatchObject({ hostId: 'aid-1', isolated: true });
    expect(server.devices.get('aid-1')).toBe('contained');
    await expect(provider.verify(call, 'aid-1')).resolves.toMatchObject({ isolated: true });
    await provider.isolate(call, 'aid-1', 'retried');
    expect(server.devices.get('aid-1')).toBe('contained');

    const actions = server.calls('POST', '/devices/entities/devices-actions/v2');
    expect(actions.map((r) => [r.query.get('action_name'), JSON.parse(r.body)])).toEqual([
      ['contain', { ids: ['aid-1'] }],
      ['contain', { ids: ['aid-1'] }],
    ]);
    expect(actions.every((r) => r.headers['content-type'] === 'application/json')).toBe(true);

    await expect(provider.release(call, 'aid-1', 'done')).resolves.toMatchObject({ isolated: false });
    expect(server.devices.get('aid-1')).toBe('normal');
    expect(server.calls('POST', '/devices/entities/devices-actions/v2').at(-1)!.query.get('action_name')).toBe('lift_containment');
    await expect(provider.verify(call, 'aid-1')).resolves.toMatchObject({ isolated: false });
  });

  it('is not isolated while containment is pending, and still is while lifting is', async () => {
    const { server, provider } = await falcon();
    server.autoSettle = false;
    await provider.isolate(call, 'aid-1', 'x');
    expect(server.devices.get('aid-1')).toBe('containment_pending');
    expect((await provider.verify(call, 'aid-1')).isolated).toBe(false);
    server.settle();
    expect((await provider.verify(call, 'aid-1')).isolated).toBe(true);
    await provider.release(call, 'aid-1', 'x');
    expect(server.devices.get('aid-1')).toBe('lift_containment_pending');
    expect((await provider.verify(call, 'aid-1')).isolated).toBe(true);
  });

  it('asks for one token for many calls, a new one near expiry, and another when Falcon stops accepting it', async () => {
    const { server, provider, clock: c } = await falcon();
    // Calls that start together share the one token request.
    await Promise.all([provider.verify(call, 'aid-1'), provider.verify(call, 'aid-1'), provider.isolate(call, 'aid-1', 'x')]);
    for (let i = 0; i < 3; i++) await provider.verify(call, 'aid-1');
    const tokenRequests = () => server.calls('POST', '/oauth2/token');
    expect(tokenRequests()).toHaveLength(1);
    const form = new URLSearchParams(tokenRequests()[0].body);
    expect([form.get('client_id'), form.get('client_secret')]).toEqual([server.clientId, server.clientSecret]);
    expect(tokenRequests()[0].headers['content-type']).toBe('application/x-www-form-urlencoded');

    c.advance(1799 - 30); // within the last minute of its life
    await provider.verify(call, 'aid-1');
    expect(tokenRequests()).toHaveLength(2);
    await provider.verify(call, 'aid-1');
    expect(tokenRequests()).toHaveLength(2);

    server.tokens.revokeAll();
    await expect(provider.verify(call, 'aid-1')).resolves.toMatchObject({ isolated: true });
    expect(tokenRequests()).toHaveLength(3);
    expect(server.calls('GET', '/devices/entities/devices/v2').filter((r) => r.headers.authorization === undefined)).toEqual([]);
  });

  it.each(SWITCHES)('turns the %s switch into %s', async (kind, type, nonRetryable) => {
    const { server, provider } = await falcon({ timeoutMs: 300 });
    await provider.verify(call, 'aid-1'); // a token in hand, so the switch hits the action
    server.fail(kind);
    const err = await failure(provider.isolate(call, 'aid-1', 'x'));
    expect([err.type, err.nonRetryable]).toEqual([type, nonRetryable]);
    if (kind === '429') {
      const { retryAfterMs } = (err.details as [{ retryAfterMs: number }])[0];
      expect(retryAfterMs).toBeGreaterThan(1000);
      expect(retryAfterMs).toBeLessThanOrEqual(3000);
    }
    if (kind === 'denied') expect(err.message).toMatch(/Hosts scope/);
    if (kind === 'timeout') expect(err.message).toMatch(/did not answer within 300 ms while trying to contain host 'aid-1'/);
    expectNoSecrets(err.message, [server.clientSecret, ...server.requests.map((r) => r.headers.authorization ?? '').filter(Boolean)]);
    expect(server.devices.get('aid-1')).toBe('normal');
    // The switch is spent: the next call goes through.
    await provider.isolate(call, 'aid-1', 'x');
    expect(server.devices.get('aid-1')).toBe('contained');
  });

  it('fails Denied on a wrong secret, NotFound on an unknown device, Invalid on replace, never showing the secret', async () => {
    const { server, provider } = await falcon();
    const wrong = new CrowdStrikeHostIsolation({ baseUrl: server.url, clientId: server.clientId, clientSecret: 'not-the-secret-xyz' });
    const denied = await failure(wrong.verify(call, 'aid-1'));
    expect(denied.type).toBe(ProviderErrorType.Denied);
    expectNoSecrets(denied.message, ['not-the-secret-xyz']);

    server.fail('5xx', { on: 'token' });
    expect((await failure(provider.verify(call, 'aid-1'))).type).toBe(ProviderErrorType.Unavailable);
    expect((await failure(provider.isolate(call, 'aid-404', 'x'))).type).toBe(ProviderErrorType.NotFound);
    expect((await failure(provider.verify(call, 'aid-404'))).type).toBe(ProviderErrorType.NotFound);

    const before = server.requests.length;
    const replace = await failure(provider.replace(call, 'aid-1', 'golden:1'));
    expect([replace.type, replace.nonRetryable]).toEqual([ProviderErrorType.Invalid, true]);
    expect(replace.message).toMatch(/aws-ec2/);
    expect(server.requests.length).toBe(before);
  });

  it('is Unavailable, saying why, when nothing listens', async () => {
    const server = await start(new FakeFalcon());
    const url = server.url;
    await server.close();
    const err = await failure(new CrowdStrikeHostIsolation({ baseUrl: url, clientId: 'id', clientSecret: 'secret-0123' }).verify(call, 'aid-1'));
    expect([err.type, err.nonRetryable]).toEqual([ProviderErrorType.Unavailable, false]);
    expect(err.message).toMatch(/could not be reached \(fetch failed: ECONNREFUSED\)/);
  });

  it('scrubs the secret and the token even when the vendor echoes them back', async () => {
    const secret = 'echoed-secret-0123456789';
    const echo: typeof fetch = async (_url, init) => {
      const body = typeof init?.body === 'string' ? init.body : '';
      const auth = new Headers(init?.headers).get('authorization') ?? '';
      if (body.includes('client_secret')) return Response.json({ access_token: 'tok-echo-abcdef', expires_in: 1799 }, { status: 201 });
      return Response.json({ errors: [{ code: 500, message: `boom for ${auth} with ${secret}` }] }, { status: 500 });
    };
    const provider = new CrowdStrikeHostIsolation({ baseUrl: 'http://127.0.0.1:9', clientId: 'id', clientSecret: secret }, { fetch: echo });
    const err = await failure(provider.verify(call, 'aid-1'));
    expect(err.type).toBe(ProviderErrorType.Unavailable);
    expect(err.message).toMatch(/boom for Bearer \[redacted\] with \[redacted\]/);
    expectNoSecrets(err.message, [secret, 'tok-echo-abcdef']);
  });
});

describe('Microsoft Defender for Endpoint host isolation', () => {
  async function defender(options: { timeoutMs?: number } = {}) {
    const server = await start(new FakeDefender());
    server.machines.add('m-1');
    const c = clock();
    const provider = new DefenderHostIsolation(
      { tenantId: server.tenantId, clientId: server.clientId, clientSecret: server.clientSecret, loginBaseUrl: server.url, apiBaseUrl: server.url, timeoutMs: options.timeoutMs ?? 2000 },
      { now: c.now },
    );
    return { server, provider, clock: c };
  }

  it('isolates a machine once however often asked, reads it back, and releases it', async () => {
    const { server, provider } = await defender();
    await expect(provider.verify(call, 'm-1')).resolves.toMatchObject({ isolated: false });
    await provider.isolate(call, 'm-1', 'Palisade incident inc-1');
    expect(server.isolated('m-1')).toBe(true);
    await expect(provider.verify(call, 'm-1')).resolves.toMatchObject({ hostId: 'm-1', isolated: true });
    await provider.isolate(call, 'm-1', 'retried');
    const isolations = server.calls('POST', '/api/machines/m-1/isolate');
    expect(isolations.map((r) => JSON.parse(r.body))).toEqual([{ Comment: 'Palisade incident inc-1', IsolationType: 'Full' }]);
    expect(server.calls('GET', '/api/machineactions')[0].query.get('$filter')).toBe("machineId eq 'm-1'");

    await provider.release(call, 'm-1', 'incident cancelled');
    expect(server.isolated('m-1')).toBe(false);
    expect(server.calls('POST', '/api/machines/m-1/unisolate').map((r) => JSON.parse(r.body))).toEqual([{ Comment: 'incident cancelled' }]);
    await provider.release(call, 'm-1', 'again');
    expect(server.calls('POST', '/api/machines/m-1/unisolate')).toHaveLength(1);
    await expect(provider.verify(call, 'm-1')).resolves.toMatchObject({ isolated: false });
  });

  it('does not ask twice while an isolation is pending, and verifies only once it succeeded', async () => {
    const { server, provider } = await defender();
    server.autoSettle = false;
    await provider.isolate(call, 'm-1', 'x');
    await provider.isolate(call, 'm-1', 'x'); // Defender would refuse a second request (ActiveRequestAlreadyExists)
    expect(server.actions.map((a) => [a.type, a.status])).toEqual([['Isolate', 'Pending']]);
    expect((await provider.verify(call, 'm-1')).isolated).toBe(false);
    server.settle();
    expect((await provider.verify(call, 'm-1')).isolated).toBe(true);
  });

  it('asks the tenant for one token for many calls and a new one near expiry', async () => {
    const { server, provider, clock: c } = await defender();
    for (let i = 0; i < 3; i++) await provider.verify(call, 'm-1');
    const tokens = () => server.calls('POST', `/${server.tenantId}/oauth2/v2.0/token`);
    expect(tokens()).toHaveLength(1);
    const form = new URLSearchParams(tokens()[0].body);
    expect(Object.fromEntries(form)).toEqual({
      grant_type: 'client_credentials',
      client_id: server.clientId,
      client_secret: server.clientSecret,
      scope: 'https://api.securitycenter.microsoft.com/.default',
    });
    c.advance(3600);
    await provider.verify(call, 'm-1');
    expect(tokens()).toHaveLength(2);
  });

  it.each(SWITCHES)('turns the %s switch into %s', async (kind, type, nonRetryable) => {
    const { server, provider } = await defender({ timeoutMs: 300 });
    await provider.verify(call, 'm-1');
    server.fail(kind);
    const err = await failure(provider.isolate(call, 'm-1', 'x'));
    expect([err.type, err.nonRetryable]).toEqual([type, nonRetryable]);
    if (kind === '429') expect(err.details).toEqual([{ retryAfterMs: 2000 }]);
    expectNoSecrets(err.message, [server.clientSecret]);
    expect(server.isolated('m-1')).toBe(false);
  });

  it('fails Denied on a wrong secret (saying why, not the secret), NotFound on an unknown machine, Invalid on replace', async () => {
    const { server, provider } = await defender();
    const wrong = new DefenderHostIsolation({ tenantId: server.tenantId, clientId: server.clientId, clientSecret: 'wrong-secret-0987654321', loginBaseUrl: server.url, apiBaseUrl: server.url });
    const denied = await failure(wrong.isolate(call, 'm-1', 'x'));
    expect(denied.type).toBe(ProviderErrorType.Denied);
    expect(denied.message).toMatch(/invalid_client; AADSTS7000215: Invalid client secret provided/);
    expectNoSecrets(denied.message, ['wrong-secret-0987654321']);

    expect((await failure(provider.isolate(call, 'm-404', 'x'))).type).toBe(ProviderErrorType.NotFound);
    expect((await failure(provider.verify(call, 'm-404'))).type).toBe(ProviderErrorType.NotFound);
    const replace = await failure(provider.replace(call, 'm-1', 'golden:1'));
    expect([replace.type, replace.nonRetryable]).toEqual([ProviderErrorType.Invalid, true]);
  });
});

describe('HashiCorp Vault credentials', () => {
  const redactor = new Redactor(Buffer.from('fingerprint-key-for-tests'));
  const fingerprint = (v: string) => redactor.fingerprint(v);
  const ref = (value: string) => ({ type: 'field:password', fingerprint: fingerprint(value), last4: value.slice(-4) });
  const LEAKED_LEASE_VALUE = 'v-token-dynamic-user-pass-1234';

  async function vault(auth?: VaultConfig['auth'], options: { timeoutMs?: number } = {}) {
    const server = await start(new FakeVault());
    server.putKv('secret/payments/stripe', { key: 'sk_live_leaked_0000000001', account: 'acct_1' });
    server.addStaticRole('database/orders', 'orders_app', 'orders-db-password-0001');
    server.leases.set('database/creds/ci/abc123', 'open');
    const c = clock();
    const provider = new VaultCredentials(
      {
        baseUrl: server.url,
        auth: auth ?? { token: server.rootToken },
        timeoutMs: options.timeoutMs ?? 2000,
        credentials: [
          { id: 'stripe-key', kind: 'kv', path: 'payments/stripe', field: 'key', owner: 'payments', dependents: ['checkout'], scope: ['stripe:charges'] },
          { id: 'orders-db', kind: 'database-static-role', role: 'orders', owner: 'orders-team', shared: true, dependents: ['orders-api', 'reports'] },
          { id: 'ci-db-lease', kind: 'lease', leaseId: 'database/creds/ci/abc123', owner: 'ci', fingerprints: [fingerprint(LEAKED_LEASE_VALUE)] },
        ],
      },
      { fingerprint, now: c.now },
    );
    return { server, provider, clock: c };
  }

  it('finds a credential by the fingerprint of the value Vault holds, or by a configured fingerprint, and nothing else', async () => {
    const { provider } = await vault();
    await expect(provider.lookup(call, ref('sk_live_leaked_0000000001'))).resolves.toEqual({
      credentialId: 'stripe-key',
      type: 'vault-kv',
      owner: 'payments',
      shared: false,
      scope: ['stripe:charges'],
      dependents: ['checkout'],
      status: 'active',
    });
    await expect(provider.lookup(call, ref('orders-db-password-0001'))).resolves.toMatchObject({ credentialId: 'orders-db', shared: true, status: 'active' });
    await expect(provider.lookup(call, ref(LEAKED_LEASE_VALUE))).resolves.toMatchObject({ credentialId: 'ci-db-lease', status: 'active' });
    await expect(provider.lookup(call, ref('acct_1'))).resolves.toBeNull(); // another field of the secret
    await expect(provider.lookup(call, ref('never-stored-anywhere'))).resolves.toBeNull();
  });

  it('revokes a lease (Vault answers it is gone), harmlessly twice', async () => {
    const { server, provider } = await vault();
    await expect(provider.revoke(call, 'ci-db-lease', 'leaked')).resolves.toMatchObject({ credentialId: 'ci-db-lease', status: 'revoked' });
    expect(server.leases.get('database/creds/ci/abc123')).toBe('revoked');
    expect(server.calls('PUT', '/v1/sys/leases/revoke').map((r) => JSON.parse(r.body))).toEqual([{ lease_id: 'database/creds/ci/abc123' }]);
    await provider.revoke(call, 'ci-db-lease', 'retried');
    await expect(provider.lookup(call, ref(LEAKED_LEASE_VALUE))).resolves.toMatchObject({ credentialId: 'ci-db-lease', status: 'revoked' });
  });

  it('rotates a KV secret to a new random value it never returns, keeping its other fields', async () => {
    const { server, provider } = await vault();
    const rotation = await provider.rotate(call, 'stripe-key');
    const now = server.current('secret/payments/stripe')!;
    expect(now.account).toBe('acct_1');
    expect(typeof now.key).toBe('string');
    expect(now.key).not.toBe('sk_live_leaked_0000000001');
    expect((now.key as string).length).toBeGreaterThanOrEqual(40);
    expect(rotation).toMatchObject({ credentialId: 'stripe-key', newCredentialId: 'stripe-key@v2', updatedDependents: ['checkout'] });
    expect(JSON.stringify(rotation)).not.toContain(now.key as string);
    const write = server.calls('POST', '/v1/secret/data/payments/stripe');
    expect(write).toHaveLength(1);
    expect(write[0].headers['x-vault-token']).toBe(server.rootToken);
    // The leaked value is no longer what Vault holds; the new one is found by its own fingerprint.
    await expect(provider.lookup(call, ref('sk_live_leaked_0000000001'))).resolves.toBeNull();
    await expect(provider.lookup(call, ref(now.key as string))).resolves.toMatchObject({ credentialId: 'stripe-key', status: 'active' });
    // Revoking a KV secret replaces the value again.
    await expect(provider.revoke(call, 'stripe-key', 'x')).resolves.toMatchObject({ status: 'revoked' });
    expect(server.kv.get('secret/payments/stripe')).toHaveLength(3);
  });

  it('has Vault change a database static role’s password, for revoke and for rotate', async () => {
    const { server, provider } = await vault();
    await provider.revoke(call, 'orders-db', 'leaked');
    const afterRevoke = server.staticRoles.get('database/orders')!.password;
    expect(afterRevoke).not.toBe('orders-db-password-0001');
    const rotation = await provider.rotate(call, 'orders-db');
    expect(server.staticRoles.get('database/orders')!.password).not.toBe(afterRevoke);
    expect(rotation).toMatchObject({ credentialId: 'orders-db', updatedDependents: ['orders-api', 'reports'] });
    expect(server.calls('POST', '/v1/database/rotate-role/orders')).toHaveLength(2);
    await expect(provider.lookup(call, ref('orders-db-password-0001'))).resolves.toBeNull();
  });

  it('says what it cannot do: rotate a lease, search usage, or act on a credential it was not given', async () => {
    const { provider } = await vault();
    const lease = await failure(provider.rotate(call, 'ci-db-lease'));
    expect([lease.type, lease.nonRetryable]).toEqual([ProviderErrorType.Invalid, true]);
    const usage = await failure(provider.findUsage(call, 'stripe-key', { from: '2025-01-01T00:00:00Z', to: '2025-01-02T00:00:00Z' }));
    expect(usage.type).toBe(ProviderErrorType.Invalid);
    expect(usage.message).toMatch(/audit device/);
    expect((await failure(provider.revoke(call, 'nope', 'x'))).type).toBe(ProviderErrorType.NotFound);
  });

  it('logs in with AppRole once for many calls, again near expiry, and again when Vault stops accepting the token', async () => {
    const server0 = new FakeVault();
    const { server, provider, clock: c } = await vault({ approle: { roleId: server0.roleId, secretId: server0.secretId } });
    const logins = () => server.calls('POST', '/v1/auth/approle/login');
    for (let i = 0; i < 3; i++) await provider.revoke(call, 'ci-db-lease', 'x');
    expect(logins()).toHaveLength(1);
    expect(JSON.parse(logins()[0].body)).toEqual({ role_id: server.roleId, secret_id: server.secretId });
    const issued = server.calls('PUT', '/v1/sys/leases/revoke').map((r) => r.headers['x-vault-token']);
    expect(new Set(issued).size).toBe(1);
    expect(issued[0]).not.toBe(server.rootToken);

    c.advance(3600);
    await provider.revoke(call, 'ci-db-lease', 'x');
    expect(logins()).toHaveLength(2);

    server.approleTokens.revokeAll();
    await provider.revoke(call, 'ci-db-lease', 'x');
    expect(logins()).toHaveLength(3);
  });

  it('fails Denied (once, without retrying) when the configured token is refused, and never shows a secret', async () => {
    const { server } = await vault();
    const wrong = new VaultCredentials({ baseUrl: server.url, auth: { token: 'hvs.wrong-token-000000' }, credentials: [{ id: 'l', kind: 'lease', leaseId: 'database/creds/ci/abc123', owner: 'o' }] }, { fingerprint });
    const before = server.requests.length;
    const err = await failure(wrong.revoke(call, 'l', 'x'));
    expect([err.type, err.nonRetryable]).toEqual([ProviderErrorType.Denied, true]);
    expect(server.requests.length - before).toBe(1);
    expectNoSecrets(err.message, ['hvs.wrong-token-000000']);
  });

  it.each(SWITCHES)('turns the %s switch into %s', async (kind, type, nonRetryable) => {
    const { server, provider } = await vault(undefined, { timeoutMs: 300 });
    server.fail(kind);
    const err = await failure(provider.rotate(call, 'stripe-key'));
    expect([err.type, err.nonRetryable]).toEqual([type, nonRetryable]);
    if (kind === '429') expect(err.details).toEqual([{ retryAfterMs: 1000 }]);
    expectNoSecrets(err.message, [server.rootToken, 'sk_live_leaked_0000000001']);
    expect(server.kv.get('secret/payments/stripe')).toHaveLength(1);
  });

  it('turns a refused AppRole login into Invalid (Vault answers 400) and a denied one into Denied, never showing the secret id', async () => {
    const { server } = await vault();
    const provider = new VaultCredentials(
      { baseUrl: server.url, auth: { approle: { roleId: server.roleId, secretId: 'wrong-secret-id-123456' } }, credentials: [{ id: 'l', kind: 'lease', leaseId: 'database/creds/ci/abc123', owner: 'o' }] },
      { fingerprint },
    );
    const err = await failure(provider.revoke(call, 'l', 'x'));
    // Vault answers a wrong secret id with 400 "invalid role or secret ID".
    expect(err.type).toBe(ProviderErrorType.Invalid);
    expect(err.message).toMatch(/log in with AppRole.*invalid role or secret ID/);
    expectNoSecrets(err.message, ['wrong-secret-id-123456']);
    server.fail('denied', { on: 'token' });
    const good = new VaultCredentials({ baseUrl: server.url, auth: { approle: { roleId: server.roleId, secretId: server.secretId } }, credentials: [{ id: 'l', kind: 'lease', leaseId: 'database/creds/ci/abc123', owner: 'o' }] }, { fingerprint });
    expect((await failure(good.revoke(call, 'l', 'x'))).type).toBe(ProviderErrorType.Denied);
    expect(server.leases.get('database/creds/ci/abc123')).toBe('open');
  });
});

describe('GitHub secret scanning', () => {
  async function github(options: { timeoutMs?: number } = {}) {
    const server = await start(new FakeGitHub());
    server.addAlert('acme/payments', 42);
    const provider = new GitHubSecretScanning({ baseUrl: server.url, token: server.token, timeoutMs: options.timeoutMs ?? 2000 });
    return { server, provider };
  }

  it('resolves an alert with a resolution and comment, and closing it again changes nothing', async () => {
    const { server, provider } = await github();
    const closed = await provider.closeAlert(call, { repository: 'acme/payments', alertNumber: 42 }, 'revoked', 'Revoked by Palisade incident inc-1');
    const alert = server.alerts.get('acme/payments#42')!;
    expect(alert).toMatchObject({ state: 'resolved', resolution: 'revoked', resolution_comment: 'Revoked by Palisade incident inc-1' });
    expect(closed).toEqual({ repository: 'acme/payments', alertNumber: 42, state: 'resolved', resolution: 'revoked', resolvedAt: alert.resolved_at });
    const [req] = server.calls('PATCH', '/repos/acme/payments/secret-scanning/alerts/42');
    expect([req.headers.authorization, req.headers.accept, req.headers['x-github-api-version']]).toEqual([`Bearer ${server.token}`, 'application/vnd.github+json', '2022-11-28']);
    expect(JSON.parse(req.body)).toEqual({ state: 'resolved', resolution: 'revoked', resolution_comment: 'Revoked by Palisade incident inc-1' });

    const again = await provider.closeAlert(call, { repository: 'acme/payments', alertNumber: 42 }, 'revoked', 'retried');
    expect(again.resolvedAt).toBe(closed.resolvedAt);
    expect(server.alerts.get('acme/payments#42')!.resolution_comment).toBe('Revoked by Palisade incident inc-1');
  });

  it('fails NotFound on an unknown alert, Invalid before calling GitHub on a bad reference, Denied on a bad token', async () => {
    const { server, provider } = await github();
    expect((await failure(provider.closeAlert(call, { repository: 'acme/payments', alertNumber: 7 }, 'revoked', 'x'))).type).toBe(ProviderErrorType.NotFound);
    const before = server.requests.length;
    expect((await failure(provider.closeAlert(call, { repository: 'acme/payments/../x', alertNumber: 42 }, 'revoked', 'x'))).type).toBe(ProviderErrorType.Invalid);
    expect((await failure(provider.closeAlert(call, { repository: 'acme/payments', alertNumber: 42 }, 'fixed' as never, 'x'))).type).toBe(ProviderErrorType.Invalid);
    expect(server.requests.length).toBe(before);

    const bad = new GitHubSecretScanning({ baseUrl: server.url, token: 'ghp_wrongWrongWrong0123456789' });
    const err = await failure(bad.closeAlert(call, { repository: 'acme/payments', alertNumber: 42 }, 'revoked', 'x'));
    expect([err.type, err.message]).toEqual([ProviderErrorType.Denied, expect.stringMatching(/Bad credentials.*Secret scanning alerts: write/)]);
    expectNoSecrets(err.message, ['ghp_wrongWrongWrong0123456789']);
    expect(server.alerts.get('acme/payments#42')!.state).toBe('open');
  });

  it.each(SWITCHES)('turns the %s switch into %s', async (kind, type, nonRetryable) => {
    const { server } = await github();
    const provider = new GitHubSecretScanning({ baseUrl: server.url, token: server.token, timeoutMs: 300 });
    server.fail(kind);
    const err = await failure(provider.closeAlert(call, { repository: 'acme/payments', alertNumber: 42 }, 'false_positive', 'x'));
    expect([err.type, err.nonRetryable]).toEqual([type, nonRetryable]);
    if (kind === '429') expect(err.details).toEqual([{ retryAfterMs: 5000 }]);
    expectNoSecrets(err.message, [server.token]);
    expect(server.alerts.get('acme/payments#42')!.state).toBe('open');
  });

  it('reads a 403 secondary rate limit as Throttled and a 422 as Invalid', async () => {
    const answers = [
      Response.json({ message: 'You have exceeded a secondary rate limit' }, { status: 403, headers: { 'retry-after': '60' } }),
      Response.json({ message: 'Validation Failed' }, { status: 422 }),
    ];
    const provider = new GitHubSecretScanning({ baseUrl: 'http://127.0.0.1:9', token: 'ghp_x0123456789' }, { fetch: async () => answers.shift()! });
    const throttled = await failure(provider.closeAlert(call, { repository: 'a/b', alertNumber: 1 }, 'wont_fix', 'x'));
    expect([throttled.type, throttled.details]).toEqual([ProviderErrorType.Throttled, [{ retryAfterMs: 60_000 }]]);
    expect((await failure(provider.closeAlert(call, { repository: 'a/b', alertNumber: 1 }, 'wont_fix', 'x'))).type).toBe(ProviderErrorType.Invalid);
  });
});
