import { describe, expect, it } from 'vitest';
import { VaultCredentials, type VaultConfig } from '../../../activities/providers/credentials/vault';
import { Redactor } from '../../../lib/intake/redact';
import { FakeVault } from '../../support/vendors/vault';
import { ProviderErrorType } from '../../../lib/providers/capabilities';
import { call, clock, expectNoSecrets, failure, loopbackServers, SWITCHES, switchTimeout } from '../../support/vendors/harness';

const start = loopbackServers();

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
    const { server, provider } = await vault(undefined, { timeoutMs: switchTimeout(kind) });
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
