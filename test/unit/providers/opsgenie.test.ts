import { describe, expect, it } from 'vitest';
import { OpsgeniePaging } from '../../../activities/providers/paging/opsgenie';
import { ProviderErrorType } from '../../../lib/providers/capabilities';
import { json } from '../../support/vendors/loopback';
import { FakeOpsgenie } from '../../support/vendors/opsgenie';
import { expectNoSecrets, failure, loopbackServers, SWITCHES, switchTimeout } from '../../support/vendors/harness';

const start = loopbackServers();
const SERVICES = { 'secops-oncall': { responders: [{ type: 'team' as const, name: 'SecOps' }] } };

async function opsgenie(opts: { timeoutMs?: number; basePath?: string; requestWaitMs?: number } = {}) {
  const server = await start(new FakeOpsgenie(undefined, opts.basePath ?? ''));
  const client = new OpsgeniePaging({ baseUrl: server.baseUrl, apiKey: server.apiKey, services: SERVICES, timeoutMs: opts.timeoutMs ?? 10_000, requestWaitMs: opts.requestWaitMs ?? 2_000 });
  return { server, client };
}

const trigger = { action: 'trigger' as const, dedupKey: 'inc-1', service: 'secops-oncall', summary: '[critical] Host web-1 compromised', severity: 'critical' as const, source: 'host:web-1', link: 'http://palisade/incidents/inc-1', details: { alerts: 3, playbook: 'host-compromise' } };

describe('Opsgenie Alert API', () => {
  it('creates one alert per alias with GenieKey, follows the request to learn the alert id, acknowledges and closes by alias', async () => {
    const { server, client } = await opsgenie();
    server.processingPolls = 2; // the create is not processed at once: the client asks again
    const receipt = await client.send(trigger);
    expect(receipt.dedupKey).toBe('inc-1');
    expect(receipt.message).toContain(`alert ${server.alerts[0].id}`);
    const create = server.creates()[0];
    expect(create.headers.authorization).toBe(`GenieKey ${server.apiKey}`);
    expect(json(create)).toMatchObject({
      message: '[critical] Host web-1 compromised',
      alias: 'inc-1',
      priority: 'P1',
      responders: [{ type: 'team', name: 'SecOps' }],
      entity: 'host:web-1',
      details: { alerts: '3', playbook: 'host-compromise', palisade: 'http://palisade/incidents/inc-1' },
    });
    expect(server.calls('GET', '/v2/alerts/requests/').length).toBe(3);

    await client.send(trigger);
    expect(server.alerts).toHaveLength(1);
    expect(server.alerts[0].count).toBe(2);

    await client.send({ action: 'acknowledge', dedupKey: 'inc-1', service: 'secops-oncall' });
    expect(server.byAlias('inc-1')).toMatchObject({ acknowledged: true, acknowledgedBy: 'Palisade' });
    await client.send({ action: 'resolve', dedupKey: 'inc-1', service: 'secops-oncall' });
    expect(server.byAlias('inc-1')?.status).toBe('closed');
    const close = server.calls('POST', '/v2/alerts/inc-1/close')[0];
    expect(close.query.get('identifierType')).toBe('alias');
  });

  it('serves Jira Service Management Operations under its base path with the same calls', async () => {
    const { server, client } = await opsgenie({ basePath: '/jsm/ops/integration' });
    await client.send(trigger);
    await client.send({ action: 'resolve', dedupKey: 'inc-1', service: 'secops-oncall' });
    expect(server.byAlias('inc-1')?.status).toBe('closed');
    expect(server.requests.every((r) => r.path.startsWith('/jsm/ops/integration/v2/alerts'))).toBe(true);
  });

  it('a request Opsgenie refuses once processed is Invalid; one never processed in time is Unavailable (retried, deduplicated by alias)', async () => {
    const { client } = await opsgenie();
    const closeUnknown = await failure(client.send({ action: 'resolve', dedupKey: 'never-paged', service: 'secops-oncall' }));
    expect(closeUnknown.type).toBe(ProviderErrorType.Invalid);
    expect(closeUnknown.message).toContain('Alert does not exist');

    const { server, client: impatient } = await opsgenie({ requestWaitMs: 0 });
    server.processingPolls = 5;
    const pending = await failure(impatient.send(trigger));
    expect(pending.type).toBe(ProviderErrorType.Unavailable);
    expect(pending.nonRetryable).toBe(false);
  });

  it('a message past Opsgenie’s 130 characters is cut, not refused; an unknown service is Invalid before anything is sent; a wrong key is Denied and scrubbed', async () => {
    const { server, client } = await opsgenie();
    await expect(client.send({ ...trigger, summary: 'x'.repeat(500) })).resolves.toMatchObject({ dedupKey: 'inc-1' });
    expect((json(server.creates().at(-1)!) as { message: string }).message).toHaveLength(130);
    const before = server.requests.length;
    const unknown = await failure(client.send({ ...trigger, service: 'nobody' }));
    expect(unknown.type).toBe(ProviderErrorType.Invalid);
    expect(unknown.nonRetryable).toBe(true);
    expect(server.requests.length).toBe(before);
    const wrong = new OpsgeniePaging({ baseUrl: server.baseUrl, apiKey: 'wrong-genie-key-0000', services: SERVICES });
    const err = await failure(wrong.send(trigger));
    expect(err.type).toBe(ProviderErrorType.Denied);
    expect(err.nonRetryable).toBe(true);
    expectNoSecrets(err.message, ['wrong-genie-key-0000']);
  });

  it('the check lists alerts with the key (read-only)', async () => {
    const { server, client } = await opsgenie();
    await expect(client.check()).resolves.toContain('reads alerts');
    expect(server.requests.map((r) => r.method)).toEqual(['GET']);
  });

  for (const [kind, type, nonRetryable] of SWITCHES) {
    it(`failure switch ${kind} becomes ${type}`, async () => {
      const { server, client } = await opsgenie({ timeoutMs: switchTimeout(kind) });
      server.fail(kind);
      const err = await failure(client.send(trigger));
      expect(err.type).toBe(type);
      expect(err.nonRetryable).toBe(nonRetryable);
      // Opsgenie says how long a throttling lasts in X-RateLimit-Period-In-Sec.
      if (kind === '429') expect(err.details?.[0]).toEqual({ retryAfterMs: 1000 });
      expectNoSecrets(err.message, [server.apiKey]);
    });
  }
});
