import { describe, expect, it } from 'vitest';
import { CrowdStrikeHostIsolation } from '../../../activities/providers/host-isolation/crowdstrike';
import { FakeFalcon } from '../../support/vendors/crowdstrike';
import { ProviderErrorType } from '../../../lib/providers/capabilities';
import { call, clock, expectNoSecrets, failure, loopbackServers, SWITCHES, switchTimeout } from '../../support/vendors/harness';

const start = loopbackServers();

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
    const { server, provider } = await falcon({ timeoutMs: switchTimeout(kind) });
    await provider.verify(call, 'aid-1'); // a token in hand, so the switch hits the action
    server.fail(kind);
    const err = await failure(provider.isolate(call, 'aid-1', 'x'));
    expect([err.type, err.nonRetryable]).toEqual([type, nonRetryable]);
    if (kind === '429') {
      const { retryAfterMs } = (err.details as [{ retryAfterMs: number }])[0];
      expect(retryAfterMs).toBeGreaterThan(1000);
      // The fake says when in whole epoch seconds, read on its own clock a moment before ours: a few ms over 3 s is the same answer.
      expect(retryAfterMs).toBeLessThanOrEqual(3100);
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
