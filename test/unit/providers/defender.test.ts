import { describe, expect, it } from 'vitest';
import { DefenderHostIsolation } from '../../../activities/providers/host-isolation/defender';
import { FakeDefender } from '../../support/vendors/defender';
import { ProviderErrorType } from '../../../lib/providers/capabilities';
import { call, clock, expectNoSecrets, failure, loopbackServers, SWITCHES, switchTimeout } from '../../support/vendors/harness';

const start = loopbackServers();

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
    const { server, provider } = await defender({ timeoutMs: switchTimeout(kind) });
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
