import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GitHubSecretScanning } from '../../../activities/providers/secret-scanning/github';
import { FakeGitHub } from '../../support/vendors/github';
import { ProviderErrorType } from '../../../lib/providers/capabilities';
import { call, clock, expectNoSecrets, failure, loopbackServers, SWITCHES, switchTimeout } from '../../support/vendors/harness';

const start = loopbackServers();
const fingerprint = (value: string) => createHmac('sha256', 'test-key').update(value).digest('hex');
const SECRET = 'AKIAUNITTESTSECRET42';
const ref = { repository: 'acme/payments', alertNumber: 42 };

describe('GitHub secret scanning', () => {
  async function github(options: { timeoutMs?: number } = {}) {
    const server = await start(new FakeGitHub());
    server.addAlert('acme/payments', 42, { secret: SECRET });
    const provider = new GitHubSecretScanning({ baseUrl: server.url, token: server.token, timeoutMs: options.timeoutMs ?? 2000 }, { fingerprint });
    return { server, provider };
  }

  /** The same GitHub, as a GitHub App: JWT → installation token → REST. */
  function asApp(server: FakeGitHub, now?: () => number) {
    const { clientId, installationId, privateKey } = server.app;
    return new GitHubSecretScanning({ baseUrl: server.url, app: { clientId, installationId, privateKey }, timeoutMs: 2000, checkRepository: 'acme/payments' }, { fingerprint, now });
  }

  it('reads an alert’s secret and gives back only its type, the door’s fingerprint and the last four', async () => {
    const { server, provider } = await github();
    expect(await provider.describeSecret(call, ref)).toEqual({ type: 'aws_access_key_id', fingerprint: fingerprint(SECRET), last4: 'ET42' });
    const [req] = server.calls('GET', '/repos/acme/payments/secret-scanning/alerts/42');
    expect([req.headers.authorization, req.headers.accept, req.headers['x-github-api-version']]).toEqual([`Bearer ${server.token}`, 'application/vnd.github+json', '2022-11-28']);
  });

  it('authenticates as a GitHub App: an RS256 JWT buys an installation token, kept until it nears its end', async () => {
    const server = await start(new FakeGitHub());
    server.addAlert('acme/payments', 42, { secret: SECRET });
    server.installationTokens.expiresIn = 30;
    const time = clock();
    const provider = asApp(server, time.now);
    expect((await provider.describeSecret(call, ref)).fingerprint).toBe(fingerprint(SECRET));
    await provider.describeSecret(call, ref);
    expect(server.calls('POST', '/app/installations/51234567/access_tokens')).toHaveLength(1);
    time.advance(30);
    await provider.describeSecret(call, ref);
    expect(server.calls('POST', '/app/installations/51234567/access_tokens')).toHaveLength(2);
    // Revoked early: renewed once, and the call goes through.
    server.installationTokens.revokeAll();
    await provider.describeSecret(call, ref);
    expect(server.calls('POST', '/app/installations/51234567/access_tokens')).toHaveLength(3);
    expect(await provider.check()).toBe('GitHub App palisade-loopback, installation 51234567 reads the secret-scanning alerts of acme/payments (some open)');
  });

  it('fails Denied when the App’s key or installation is wrong, without showing the key', async () => {
    const server = await start(new FakeGitHub());
    const other = new FakeGitHub(); // another key pair
    const provider = new GitHubSecretScanning({ baseUrl: server.url, app: { clientId: server.app.clientId, installationId: server.app.installationId, privateKey: other.app.privateKey } }, { fingerprint });
    const err = await failure(provider.describeSecret(call, ref));
    expect([err.type, err.message]).toEqual([ProviderErrorType.Denied, expect.stringContaining('installation token')]);
    expectNoSecrets(err.message, [other.app.privateKey.split('\n')[1]]);
    const wrongInstallation = new GitHubSecretScanning({ baseUrl: server.url, app: { clientId: server.app.clientId, installationId: 1, privateKey: server.app.privateKey } }, { fingerprint });
    expect((await failure(wrongInstallation.describeSecret(call, ref))).type).toBe(ProviderErrorType.NotFound);
  });

  it('fails NotFound on an unknown alert or one shown without its secret, Denied on a bad token, Invalid before calling on a bad reference', async () => {
    const { server, provider } = await github();
    expect((await failure(provider.describeSecret(call, { ...ref, alertNumber: 7 }))).type).toBe(ProviderErrorType.NotFound);
    server.alerts.get('acme/payments#42')!.secret = '';
    expect((await failure(provider.describeSecret(call, ref))).message).toMatch(/carries no secret/);
    const before = server.requests.length;
    expect((await failure(provider.describeSecret(call, { repository: 'acme/../x', alertNumber: 42 }))).type).toBe(ProviderErrorType.Invalid);
    expect(server.requests.length).toBe(before);

    const bad = new GitHubSecretScanning({ baseUrl: server.url, token: 'ghp_wrongWrongWrong0123456789' }, { fingerprint });
    const err = await failure(bad.describeSecret(call, ref));
    expect([err.type, err.message]).toEqual([ProviderErrorType.Denied, expect.stringMatching(/Bad credentials.*Secret scanning alerts" read and write/)]);
    expectNoSecrets(err.message, ['ghp_wrongWrongWrong0123456789']);
  });

  it('fails Unavailable when GitHub is down or slower than the deadline', async () => {
    const { server } = await github();
    const provider = new GitHubSecretScanning({ baseUrl: server.url, token: server.token, timeoutMs: 200 }, { fingerprint });
    server.slowMs = 1000;
    expect((await failure(provider.describeSecret(call, ref))).message).toMatch(/did not answer within 200 ms/);
    server.slowMs = 0;
    await server.close();
    expect((await failure(provider.describeSecret(call, ref))).message).toMatch(/could not be reached/);
  });

  it('resolves an alert with a resolution and comment, and closing it again changes nothing', async () => {
    const { server, provider } = await github();
    const closed = await provider.closeAlert(call, ref, 'revoked', 'Revoked by Palisade incident inc-1');
    const alert = server.alerts.get('acme/payments#42')!;
    expect(alert).toMatchObject({ state: 'resolved', resolution: 'revoked', resolution_comment: 'Revoked by Palisade incident inc-1' });
    expect(closed).toEqual({ repository: 'acme/payments', alertNumber: 42, state: 'resolved', resolution: 'revoked', resolvedAt: alert.resolved_at });
    const [req] = server.calls('PATCH', '/repos/acme/payments/secret-scanning/alerts/42');
    expect([req.headers.authorization, req.headers.accept, req.headers['x-github-api-version']]).toEqual([`Bearer ${server.token}`, 'application/vnd.github+json', '2022-11-28']);
    expect(JSON.parse(req.body)).toEqual({ state: 'resolved', resolution: 'revoked', resolution_comment: 'Revoked by Palisade incident inc-1' });

    // GitHub answers 400 "the resolution was not changed": already closed as asked, so done.
    const again = await provider.closeAlert(call, ref, 'revoked', 'retried');
    expect(again.resolvedAt).toBe(closed.resolvedAt);
    expect(server.alerts.get('acme/payments#42')!.resolution_comment).toBe('Revoked by Palisade incident inc-1');
  });

  it('fails NotFound on an unknown alert, Invalid before calling GitHub on a bad reference, Denied on a bad token when closing', async () => {
    const { server, provider } = await github();
    expect((await failure(provider.closeAlert(call, { ...ref, alertNumber: 7 }, 'revoked', 'x'))).type).toBe(ProviderErrorType.NotFound);
    const before = server.requests.length;
    expect((await failure(provider.closeAlert(call, { repository: 'acme/payments/../x', alertNumber: 42 }, 'revoked', 'x'))).type).toBe(ProviderErrorType.Invalid);
    expect((await failure(provider.closeAlert(call, ref, 'fixed' as never, 'x'))).type).toBe(ProviderErrorType.Invalid);
    expect(server.requests.length).toBe(before);

    const bad = new GitHubSecretScanning({ baseUrl: server.url, token: 'ghp_wrongWrongWrong0123456789' });
    const err = await failure(bad.closeAlert(call, ref, 'revoked', 'x'));
    expect(err.type).toBe(ProviderErrorType.Denied);
    expectNoSecrets(err.message, ['ghp_wrongWrongWrong0123456789']);
    expect(server.alerts.get('acme/payments#42')!.state).toBe('open');
  });

  it.each(SWITCHES)('turns the %s switch into %s', async (kind, type, nonRetryable) => {
    const { server } = await github();
    const provider = new GitHubSecretScanning({ baseUrl: server.url, token: server.token, timeoutMs: switchTimeout(kind) }, { fingerprint });
    for (const attempt of [() => provider.closeAlert(call, ref, 'false_positive', 'x'), () => provider.describeSecret(call, ref)]) {
      server.fail(kind);
      const err = await failure(attempt());
      expect([err.type, err.nonRetryable]).toEqual([type, nonRetryable]);
      if (kind === '429') expect(err.details).toEqual([{ retryAfterMs: 5000 }]);
      expectNoSecrets(err.message, [server.token, SECRET]);
    }
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

  it('checks a token read-only, and refuses settings with both a token and an App, or a key that is not PEM', async () => {
    const { server, provider } = await github();
    expect(await provider.check()).toMatch(/^the token is accepted by http:\/\/127\.0\.0\.1:\d+ \(set checkRepository/);
    expect(server.requests.every((r) => r.method === 'GET')).toBe(true);
    expect(() => new GitHubSecretScanning({ token: 't', app: { clientId: 'c', installationId: 1, privateKey: 'k' } })).toThrow(/either tokenEnv .* or app/);
    expect(() => new GitHubSecretScanning({ app: { clientId: 'c', installationId: 1, privateKey: 'not a key' } })).toThrow(/not a PEM private key/);
  });
});
