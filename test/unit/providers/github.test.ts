import { describe, expect, it } from 'vitest';
import { GitHubSecretScanning } from '../../../activities/providers/secret-scanning/github';
import { FakeGitHub } from '../../support/vendors/github';
import { ProviderErrorType } from '../../../lib/providers/capabilities';
import { call, expectNoSecrets, failure, loopbackServers, SWITCHES } from '../../support/vendors/harness';

const start = loopbackServers();

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
